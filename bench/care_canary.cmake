# Kill-to-removal time and the canary's cost (issue 15): bench/care_kill_to_removal.sh, with
# kill_to_removal stopping the clock on the kernel's change. A plain program: it only times.
add_executable(kill_to_removal ${CMAKE_CURRENT_SOURCE_DIR}/kill_to_removal.cpp)
target_link_libraries(kill_to_removal PRIVATE lvscare_ipvs lvscare_nftables lvscare_netlink lvscare_warnings)
# A short run as a root test, so CI proves the benchmark runs (no timing assertion): the canary row,
# 3 kills; each must be seen taken out within the tool's timeout.
add_test(NAME care_kill_to_removal_bench_short
  COMMAND env ROWS=canary ${CMAKE_CURRENT_SOURCE_DIR}/care_kill_to_removal.sh ${CMAKE_BINARY_DIR} 3)
set_tests_properties(care_kill_to_removal_bench_short PROPERTIES
  LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120 RESOURCE_LOCK care_scenario)
