# Kill-to-removal time and the canary's cost (issue 15): bench/care_kill_to_removal.sh, with
# kill_to_removal stopping the clock on the kernel's change. A plain program: it only times.
add_executable(kill_to_removal ${CMAKE_CURRENT_SOURCE_DIR}/kill_to_removal.cpp)
target_link_libraries(kill_to_removal PRIVATE lvscare_ipvs lvscare_nftables lvscare_netlink lvscare_warnings)
