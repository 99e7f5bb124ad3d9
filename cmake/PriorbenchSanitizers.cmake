# Instrumented builds (docs/fuzzing.md). Both apply to every target of the tree, so the
# sanitizers see priorbench's own code everywhere; the libraries it links (PETSc, HDF5,
# Open MPI, LibTorch) are Debian's, uninstrumented. _GLIBCXX_ASSERTIONS adds libstdc++'s
# cheap bounds checks (operator[], front(), back()) without changing its ABI.

if(PRIORBENCH_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PRIORBENCH_BUILD_FUZZERS needs clang for libFuzzer, but the C++ compiler is "
                        "${CMAKE_CXX_COMPILER_ID}; configure with the preset fuzz (Debian packages clang, "
                        "libclang-rt-14-dev)")
  endif()
  # Coverage feedback in every object; only the harnesses link libFuzzer's main
  # (-fsanitize=fuzzer in fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=address,undefined)
endif()

if(PRIORBENCH_SANITIZE)
  # Every report is fatal: a test that triggers one fails.
  add_compile_options(-fsanitize=${PRIORBENCH_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=${PRIORBENCH_SANITIZE})
endif()
