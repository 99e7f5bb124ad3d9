# Script mode (cmake -P), run at every build: writes OUTPUT from INPUT with the current
# `git describe --always --dirty --tags`, so the version a results file records is the code
# that was built, not the code at the last configure, and whether the source tree was clean:
# PRIORBENCH_GIT_TREE is "dirty" when a tracked file differs from the commit (what makes
# describe append -dirty) or an untracked file sits where the build picks sources up (src/,
# cmake/, jobs/: the layers glob their *.cpp), "clean" otherwise, "unknown" without git.
# configure_file leaves OUTPUT untouched when nothing changed, so an unchanged version
# recompiles nothing.
#   cmake -DSOURCE_DIR=... -DINPUT=version.hpp.in -DOUTPUT=version.hpp -DPROJECT_VERSION=x.y.z -P GitVersion.cmake
execute_process(
  COMMAND git describe --always --dirty --tags
  WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE PRIORBENCH_GIT_VERSION
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(
  COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY ${SOURCE_DIR}
  RESULT_VARIABLE tracked_status
  OUTPUT_VARIABLE tracked_changes
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(
  COMMAND git status --porcelain --untracked-files=all -- src cmake jobs
  WORKING_DIRECTORY ${SOURCE_DIR}
  RESULT_VARIABLE source_status
  OUTPUT_VARIABLE source_changes
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT PRIORBENCH_GIT_VERSION OR NOT tracked_status EQUAL 0 OR NOT source_status EQUAL 0)
  if(NOT PRIORBENCH_GIT_VERSION)
    set(PRIORBENCH_GIT_VERSION "unknown")
  endif()
  set(PRIORBENCH_GIT_TREE "unknown")
elseif(tracked_changes OR source_changes)
  set(PRIORBENCH_GIT_TREE "dirty")
else()
  set(PRIORBENCH_GIT_TREE "clean")
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
