# Script mode (cmake -P), run at every build: writes OUTPUT from INPUT with the current
# `git describe --always --dirty --tags`, so the version a results file records is the code
# that was built, not the code at the last configure. configure_file leaves OUTPUT untouched
# when nothing changed, so an unchanged version recompiles nothing.
#   cmake -DSOURCE_DIR=... -DINPUT=version.hpp.in -DOUTPUT=version.hpp -DPROJECT_VERSION=x.y.z -P GitVersion.cmake
execute_process(
  COMMAND git describe --always --dirty --tags
  WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE PRIORBENCH_GIT_VERSION
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT PRIORBENCH_GIT_VERSION)
  set(PRIORBENCH_GIT_VERSION "unknown")
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
