# IPVS programming cost, ours vs ipvsadm -R, inside the test VM: bench/ipvs_vs_ipvsadm.sh.
lvscare_add_benchmark(ipvs_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ipvs_bench.cpp DEPS lvscare_ipvs lvscare_host)
# A short run as a vm test, so CI proves the comparison runs (no timing assertion).
if(COMMAND lvscare_add_vm_test)
  lvscare_add_vm_test(NAME vm_ipvs_bench_short
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/ipvs_vs_ipvsadm.sh --inside --bench $<TARGET_FILE:ipvs_bench>
      --services 50 --reals 4
    TIMEOUT 300)
endif()
