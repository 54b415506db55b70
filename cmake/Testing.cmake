# Test helpers. Labels say what a test needs:
#   unit        no root, no sleeps, fake clock
#   root        integration against this machine's kernel, inside network namespaces the test makes
#   vm          real IPVS inside a small VM booted with Debian's kernel (tests/vm)
#   loopback    no root: real sockets on 127.0.0.1 and real time (seconds), e.g. the test servers
# A test that cannot run here (not root, no VM) prints why and is reported by CTest as skipped.

# lvscare_add_gtest(name LABEL unit|root [PREFIX prefix] SOURCES... DEPS...)
# PREFIX is put before each discovered test's name (e.g. "care_" so `ctest -R care` selects them).
# A test sees the headers of the layers in DEPS (and of the layers their headers use) and tests/
# for its support headers ("support/netns.hpp"); the fakes come from DEPS lvscare_testing.
function(lvscare_add_gtest name)
  cmake_parse_arguments(ARG "" "LABEL;PREFIX" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main lvscare_warnings)
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "${ARG_PREFIX}"
    PROPERTIES LABELS ${ARG_LABEL} SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
    DISCOVERY_TIMEOUT 30)
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/VmTest.cmake)
