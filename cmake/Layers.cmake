# The layers as CMake sees them. The table in the top CMakeLists.txt names every layer, bottom up,
# the layers each one uses, and the public headers (include/lvscare/) each one owns. From it:
#   - every layer gets an include dir in the build tree holding only its own headers,
#       layer-include/<layer>/<layer>      -> src/<layer>          ("netlink/socket.hpp")
#       layer-include/<layer>/lvscare/<h>  -> include/lvscare/<h>  ("lvscare/result.hpp")
#     which is the layer library's only PUBLIC include dir: a target sees the headers of the
#     layers it links and no others, so an include of a layer it does not link fails to compile;
#   - lvscare_add_library and lvscare_link_layers refuse to link a layer the table does not let
#     the target's layer use;
#   - the unit test layering_includes (cmake/LayeringCheck.cmake) reads every #include of every
#     layer and fails on one of a layer the table does not name, or on a named layer none uses.

set(LVSCARE_LAYER_INCLUDE ${CMAKE_BINARY_DIR}/layer-include)

# Where a layer's own files are: src/<layer>, or tests/<layer> for a layer only tests link.
function(lvscare_layer_dir layer out)
  if(layer IN_LIST LVSCARE_TEST_LAYERS)
    set(${out} tests/${layer} PARENT_SCOPE)
  else()
    set(${out} src/${layer} PARENT_SCOPE)
  endif()
endfunction()

# Checks the table (every layer uses only layers before it; every public header has exactly one
# owner), makes the include dirs and writes the table to lvscare_layers.cmake for the check test.
function(lvscare_setup_layers)
  set(all ${LVSCARE_LAYERS} ${LVSCARE_TEST_LAYERS})
  file(GLOB public RELATIVE ${PROJECT_SOURCE_DIR}/include/lvscare ${PROJECT_SOURCE_DIR}/include/lvscare/*.hpp)
  file(REMOVE_RECURSE ${LVSCARE_LAYER_INCLUDE})
  set(below "")
  set(owned "")
  set(table "# Written by cmake/Layers.cmake from the layer table in CMakeLists.txt.\n")
  string(APPEND table "set(LVSCARE_LAYERS ${LVSCARE_LAYERS})\nset(LVSCARE_TEST_LAYERS ${LVSCARE_TEST_LAYERS})\n")
  foreach(layer IN LISTS all)
    foreach(used IN LISTS LVSCARE_USES_${layer})
      if(NOT used IN_LIST below)
        message(FATAL_ERROR "layer table: ${layer} uses ${used}, which is not a layer listed before it")
      endif()
    endforeach()
    lvscare_layer_dir(${layer} dir)
    set(include_dir ${LVSCARE_LAYER_INCLUDE}/${layer})
    file(MAKE_DIRECTORY ${include_dir}/lvscare)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${dir} ${include_dir}/${layer} SYMBOLIC)
    foreach(header IN LISTS LVSCARE_HEADERS_${layer})
      if(NOT header IN_LIST public)
        message(FATAL_ERROR "layer table: ${layer} owns include/lvscare/${header}, which does not exist")
      elseif(header IN_LIST owned)
        message(FATAL_ERROR "layer table: include/lvscare/${header} has two owners")
      endif()
      list(APPEND owned ${header})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/lvscare/${header} ${include_dir}/lvscare/${header} SYMBOLIC)
    endforeach()
    string(APPEND table "set(LVSCARE_USES_${layer} ${LVSCARE_USES_${layer}})\n"
                        "set(LVSCARE_HEADERS_${layer} ${LVSCARE_HEADERS_${layer}})\n")
    list(APPEND below ${layer})
  endforeach()
  foreach(header IN LISTS public)
    if(NOT header IN_LIST owned)
      message(FATAL_ERROR "include/lvscare/${header} belongs to no layer: add it to LVSCARE_HEADERS_<layer> "
                          "in the layer table of CMakeLists.txt")
    endif()
  endforeach()
  file(WRITE ${CMAKE_BINARY_DIR}/lvscare_layers.cmake "${table}")
endfunction()

# lvscare_link_layers(target layer [PUBLIC deps...] [PRIVATE deps...]): target_link_libraries
# that first checks each project library in deps belongs to `layer` or to a layer it uses.
# PUBLIC: deps the target's headers include; PRIVATE: deps only its sources include.
function(lvscare_link_layers target layer)
  cmake_parse_arguments(ARG "" "" "PUBLIC;PRIVATE" ${ARGN})
  foreach(dep IN LISTS ARG_PUBLIC ARG_PRIVATE)
    if(NOT TARGET ${dep})
      continue()
    endif()
    get_target_property(dep_layer ${dep} LVSCARE_LAYER)
    if(dep_layer AND NOT dep_layer STREQUAL layer AND NOT dep_layer IN_LIST LVSCARE_USES_${layer})
      message(FATAL_ERROR "${target} (layer ${layer}) links ${dep} (layer ${dep_layer}), but the layer table "
                          "in CMakeLists.txt does not let ${layer} use ${dep_layer}")
    endif()
  endforeach()
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} lvscare_warnings)
endfunction()

# lvscare_add_library(name LAYER layer SOURCES... [PUBLIC deps...] [PRIVATE deps...]): the static
# library of a layer, exposing only that layer's headers.
function(lvscare_add_library name)
  cmake_parse_arguments(ARG "" "LAYER" "SOURCES;PUBLIC;PRIVATE;DEPS" ${ARGN})
  if(DEFINED ARG_DEPS)
    message(FATAL_ERROR "lvscare_add_library(${name}): DEPS is gone; name the deps PUBLIC (its headers "
                        "include them) or PRIVATE (only its sources do), and LAYER")
  endif()
  if(NOT ARG_LAYER IN_LIST LVSCARE_LAYERS AND NOT ARG_LAYER IN_LIST LVSCARE_TEST_LAYERS)
    message(FATAL_ERROR "lvscare_add_library(${name}): LAYER '${ARG_LAYER}' is not in the layer table")
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES LVSCARE_LAYER ${ARG_LAYER})
  target_include_directories(${name} PUBLIC ${LVSCARE_LAYER_INCLUDE}/${ARG_LAYER})
  lvscare_link_layers(${name} ${ARG_LAYER} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()
