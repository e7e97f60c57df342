# Compiler flags of the fuzz build (-DCHASE_FUZZ=ON), set before any target
# exists so that libchase, the native storage functions, the daemon's
# parsers and the TSV reader are all instrumented: libFuzzer needs their
# coverage to steer, and ASan/UBSan must see their memory.  UBSan aborts on
# the first report, so a report is a crash libFuzzer keeps as a finding.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "CHASE_FUZZ needs clang: configure with CC=clang CXX=clang++")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
