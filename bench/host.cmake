# Repair-check cost of route and link mode (root: runs in a private network namespace it makes).
lvscare_add_benchmark(host_repair_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/host_repair_bench.cpp DEPS lvscare_host)
