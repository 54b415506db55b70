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
