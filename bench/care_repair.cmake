# Repair time of `lvscare care` after foreign deletions (bench/care_repair.sh). A short nftables run
# as a root test, so CI proves the benchmark runs: 2 trials per kind, no timing assertion beyond the
# script's own generous bound (5 s per repair).
add_test(NAME care_repair_bench_short
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/care_repair.sh $<TARGET_FILE:lvscare> nftables 2 route)
set_tests_properties(care_repair_bench_short PROPERTIES
  LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120 RESOURCE_LOCK care_scenario)
