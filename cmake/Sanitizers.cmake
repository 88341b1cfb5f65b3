# Sanitizer and fuzzer builds (docs/reliability.md).
#
# RNNATLAS_SANITIZE=address,undefined | thread   instruments every rnnatlas target (the flags go on
#   rnnatlas_flags, which every library, test, the CLI and the fuzzers link). Any report aborts the
#   program (-fno-sanitize-recover=all), so a test with a report fails.
# RNNATLAS_BUILD_FUZZERS=ON   builds the libFuzzer targets in fuzz/ (clang only). Every library is
#   compiled with coverage instrumentation (-fsanitize=fuzzer-no-link) so that the fuzzers see
#   which branches of our parsers an input reaches; combine with RNNATLAS_SANITIZE=address,undefined
#   (the `fuzz` preset does).
#
# Libraries from Debian (HDF5, GoogleTest, Open MPI) are not instrumented: ASan still checks every
# access our code makes into their memory, but not their own accesses.

set(RNNATLAS_SANITIZE "" CACHE STRING
    "Build with sanitizers: address,undefined (ASan + UBSan), thread (TSan), or empty for none")
set_property(CACHE RNNATLAS_SANITIZE PROPERTY STRINGS "" "address,undefined" "address" "undefined"
                                              "thread")
option(RNNATLAS_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

if(RNNATLAS_SANITIZE)
  set(known_sanitizers address undefined thread)
  string(REPLACE "," ";" sanitizers "${RNNATLAS_SANITIZE}")
  foreach(sanitizer ${sanitizers})
    if(NOT sanitizer IN_LIST known_sanitizers)
      message(FATAL_ERROR "RNNATLAS_SANITIZE=${RNNATLAS_SANITIZE}: unknown sanitizer "
                          "'${sanitizer}'; allowed: address,undefined or thread")
    endif()
  endforeach()
  if("thread" IN_LIST sanitizers AND "address" IN_LIST sanitizers)
    message(FATAL_ERROR "RNNATLAS_SANITIZE=${RNNATLAS_SANITIZE}: ThreadSanitizer cannot be "
                        "combined with AddressSanitizer; build them separately")
  endif()
  target_compile_options(rnnatlas_flags INTERFACE
    -fsanitize=${RNNATLAS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(rnnatlas_flags INTERFACE -fsanitize=${RNNATLAS_SANITIZE})
endif()
add_feature_info(Sanitizers RNNATLAS_SANITIZE
                 "every target built with -fsanitize=${RNNATLAS_SANITIZE}")

if(RNNATLAS_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RNNATLAS_BUILD_FUZZERS needs clang (libFuzzer), but the C++ compiler is "
                        "${CMAKE_CXX_COMPILER_ID}: configure with -DCMAKE_CXX_COMPILER=clang++ "
                        "-DCMAKE_C_COMPILER=clang, or use the `fuzz` preset")
  endif()
  target_compile_options(rnnatlas_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
add_feature_info(Fuzzers RNNATLAS_BUILD_FUZZERS "libFuzzer targets in fuzz/")
