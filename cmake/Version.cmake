# What `lvscare version` reports: the project version, the git commit, and the build date.
# The date is reproducible: SOURCE_DATE_EPOCH when the builder sets it (reproducible-builds.org),
# else the commit's date, never the wall clock. All three are read at configure time.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE LVSCARE_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT LVSCARE_GIT_COMMIT)
  set(LVSCARE_GIT_COMMIT unknown)
endif()

set(lvscare_epoch "$ENV{SOURCE_DATE_EPOCH}")
if(lvscare_epoch STREQUAL "")
  execute_process(COMMAND git log -1 --format=%ct WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE lvscare_epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT lvscare_epoch MATCHES "^[0-9]+$")
  set(lvscare_epoch 0)  # no git, no SOURCE_DATE_EPOCH: Go LVScare's default, 1970-01-01T00:00:00Z
endif()
# string(TIMESTAMP) formats SOURCE_DATE_EPOCH when it is set in the environment.
set(lvscare_saved_epoch "$ENV{SOURCE_DATE_EPOCH}")
set(ENV{SOURCE_DATE_EPOCH} ${lvscare_epoch})
string(TIMESTAMP LVSCARE_BUILD_DATE "%Y-%m-%dT%H:%M:%SZ" UTC)
if(lvscare_saved_epoch STREQUAL "")
  unset(ENV{SOURCE_DATE_EPOCH})
else()
  set(ENV{SOURCE_DATE_EPOCH} "${lvscare_saved_epoch}")
endif()
set(LVSCARE_SOURCE_DATE_EPOCH ${lvscare_epoch})
unset(lvscare_epoch)
unset(lvscare_saved_epoch)
