# Tests against a real IPVS kernel: each runs its command through scripts/vm/run.sh, which boots
# Debian's kernel in a small software-emulated VM (or runs on this host if its kernel has IPVS).
#
# lvscare_add_vm_test(NAME <name> COMMAND <cmd> [args...] [TIMEOUT <s>] [NO_PRELOAD] [NO_AUTOLOAD]
#                     [ENV K=V...])
#   COMMAND may use generator expressions, e.g. $<TARGET_FILE:ipvs_vm_test>. It runs as root in the
#   test's build directory; exit 77 from it reports the test as skipped. Not root: skipped.
#   TIMEOUT bounds the whole run, boot included (default 300 s; a boot takes 5-30 s by host load).
#   NO_PRELOAD boots with only the 9p/virtio modules loaded (ip_vs etc. load on demand).
#   NO_AUTOLOAD also stops the kernel's own on-demand loading (request_module: genl family lookup,
#   scheduler by name), as in a container without modprobe: only explicit loading works then.
#   ENV sets variables for the command (run.sh --env).
# Every vm test needs the fixture lvscare_vm_prepare (downloads and unpacks the kernel once into
# ${CMAKE_BINARY_DIR}/vm) and holds the lock lvscare_vm, so VMs run one at a time.

set(LVSCARE_VM_DIR ${PROJECT_SOURCE_DIR}/scripts/vm)

function(lvscare_add_vm_test)
  cmake_parse_arguments(ARG "NO_PRELOAD;NO_AUTOLOAD" "NAME;TIMEOUT" "COMMAND;ENV" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_COMMAND)
    message(FATAL_ERROR "lvscare_add_vm_test: NAME and COMMAND are required")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  get_property(have_fixture GLOBAL PROPERTY LVSCARE_VM_FIXTURE)
  if(NOT have_fixture)
    add_test(NAME lvscare_vm_prepare COMMAND ${LVSCARE_VM_DIR}/prepare.sh ${CMAKE_BINARY_DIR}/vm)
    set_tests_properties(lvscare_vm_prepare PROPERTIES
      LABELS vm FIXTURES_SETUP lvscare_vm RESOURCE_LOCK lvscare_vm SKIP_RETURN_CODE 77 TIMEOUT 900)
    set_property(GLOBAL PROPERTY LVSCARE_VM_FIXTURE ON)
  endif()
  set(options --timeout ${ARG_TIMEOUT} --cache ${CMAKE_BINARY_DIR}/vm)
  if(ARG_NO_PRELOAD)
    list(APPEND options --no-preload)
  endif()
  if(ARG_NO_AUTOLOAD)
    list(APPEND options --no-autoload)
  endif()
  foreach(kv IN LISTS ARG_ENV)
    list(APPEND options --env ${kv})
  endforeach()
  add_test(NAME ${ARG_NAME} COMMAND ${LVSCARE_VM_DIR}/run.sh ${options} -- ${ARG_COMMAND})
  math(EXPR ctest_timeout "${ARG_TIMEOUT} + 120")
  set_tests_properties(${ARG_NAME} PROPERTIES
    LABELS vm FIXTURES_REQUIRED lvscare_vm RESOURCE_LOCK lvscare_vm SKIP_RETURN_CODE 77
    TIMEOUT ${ctest_timeout})
endfunction()
