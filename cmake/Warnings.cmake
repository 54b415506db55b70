# lvscare_warnings: an interface target every project target links, so all code builds with the
# same warning set (and -Werror unless LVSCARE_WERROR is OFF).
add_library(lvscare_warnings INTERFACE)
target_compile_options(lvscare_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough)
if(LVSCARE_WERROR)
  target_compile_options(lvscare_warnings INTERFACE -Werror)
endif()
# GCC 12 with optimisation reports -Wrestrict inside libstdc++'s own inlined std::string code
# ("lit" + std::string&&, one-character literals): a known false positive of that release (GCC bug
# 105329; the warning names exabyte-sized copies). Off for GCC 12, so correct code never fails a
# Release build on it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(lvscare_warnings INTERFACE -Wno-restrict)
endif()
