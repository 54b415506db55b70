# cmake -DPROJECT_SOURCE_DIR=<source> -P version_date_check.cmake
# The build date cmake/Version.cmake gives `lvscare version`: SOURCE_DATE_EPOCH when the builder
# sets it, else the commit's date (never the wall clock), in RFC 3339 UTC; the environment is left
# as it was.
unset(ENV{SOURCE_DATE_EPOCH})
set(ENV{SOURCE_DATE_EPOCH} 86400)
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/Version.cmake)
if(NOT LVSCARE_BUILD_DATE STREQUAL "1970-01-02T00:00:00Z")
  message(FATAL_ERROR "SOURCE_DATE_EPOCH=86400 gave build date ${LVSCARE_BUILD_DATE}")
endif()
if(NOT "$ENV{SOURCE_DATE_EPOCH}" STREQUAL "86400")
  message(FATAL_ERROR "Version.cmake changed SOURCE_DATE_EPOCH to '$ENV{SOURCE_DATE_EPOCH}'")
endif()

unset(ENV{SOURCE_DATE_EPOCH})
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/Version.cmake)
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  message(FATAL_ERROR "Version.cmake left SOURCE_DATE_EPOCH=$ENV{SOURCE_DATE_EPOCH} set")
endif()
execute_process(COMMAND git log -1 --format=%ct WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE commit_epoch OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE git_failed)
if(git_failed)
  message(STATUS "not a git checkout: the commit-date case is not checked")
  return()
endif()
execute_process(COMMAND date -u -d @${commit_epoch} +%Y-%m-%dT%H:%M:%SZ
  OUTPUT_VARIABLE commit_date OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT LVSCARE_BUILD_DATE STREQUAL commit_date)
  message(FATAL_ERROR "without SOURCE_DATE_EPOCH: build date ${LVSCARE_BUILD_DATE}, commit date ${commit_date}")
endif()
message(STATUS "build date: SOURCE_DATE_EPOCH honoured; else the commit's date ${commit_date}")
