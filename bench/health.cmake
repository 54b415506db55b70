# CPU per HTTP(S) health check and peak RSS, lvscare beside HAProxy (bench/health_vs_haproxy.sh).
# A plain program: the measured process must not carry Google Benchmark's own memory.
add_executable(health_check_bench health_check_bench.cpp health_bench_server.cpp)
target_include_directories(health_check_bench PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(health_check_bench PRIVATE lvscare_health lvscare_warnings)
if(LVSCARE_STATIC)
  target_link_options(health_check_bench PRIVATE -static)
endif()
