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

# lvscare_add_library(name SOURCES... DEPS...): one static library per layer.
function(lvscare_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  # src/ is public to the layers above: they include "netlink/socket.hpp" and the like.
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE lvscare_warnings)
endfunction()
