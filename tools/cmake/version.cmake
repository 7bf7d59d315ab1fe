# Writes the generated version source (script mode, run at every build by the loce_version
# target): the short git revision of the source tree, with "-dirty" when it has uncommitted
# changes. configure_file rewrites the file only when its text changes, so an unchanged revision
# recompiles nothing.
#   cmake -DSOURCE_DIR=... -DINPUT=version.cpp.in -DOUTPUT=version.cpp -DPROJECT_VERSION=x.y.z -P version.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE LOCE_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _rc ERROR_QUIET)
if(NOT _rc EQUAL 0 OR NOT LOCE_GIT_REVISION)
  set(LOCE_GIT_REVISION "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY ${SOURCE_DIR}
                  RESULT_VARIABLE _dirty ERROR_QUIET)
  if(NOT _dirty EQUAL 0)
    string(APPEND LOCE_GIT_REVISION "-dirty")
  endif()
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
