# The sanitized build (cmake -DCHASE_SANITIZE=ON; see README.md here): every
# C and C++ object of libchase, the daemon, the tools and the tests under
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer.
# The first report ends the program with a non-zero status.  The BPF objects
# (clang -target bpf, custom commands) are not affected.
#
# Included by the top-level CMakeLists.txt before the targets are defined
# (the flags) and calls chase_sanitize_programs() after (the settings every
# program carries, and the report check of the test programs).

set(CHASE_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                         -fno-omit-frame-pointer)
add_compile_options(${CHASE_SANITIZE_FLAGS})
add_link_options(-fsanitize=address,undefined)
# Given after the build type's own -O2 -g, so these win: ASan's slowdown is
# what it is at -O1 already, -O1 compiles faster, and line tables are all a
# report's stack needs.
add_compile_options(-O1 -g1)

# Children of the test programs write their reports under here (one file
# per report: t<test pid>-<start time>-.<program>.<pid>); see child_reports.cc.
set(CHASE_SANITIZER_REPORT_DIR ${CMAKE_BINARY_DIR}/sanitizer-reports)
set(CHASE_LSAN_SUPPRESSIONS ${CMAKE_CURRENT_LIST_DIR}/lsan.supp)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sanitize_defaults.cc.in
               ${CMAKE_BINARY_DIR}/sanitize_defaults.cc @ONLY)

function(_chase_collect_programs dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  set(found)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "EXECUTABLE")
      list(APPEND found ${t})
    endif()
  endforeach()
  foreach(d ${subdirs})
    _chase_collect_programs(${d} sub)
    list(APPEND found ${sub})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# Every program gets the compiled-in options (so chasefs run by hand behaves
# as under CTest); every GoogleTest program also the check of its children's
# reports.
function(chase_sanitize_programs)
  _chase_collect_programs(${CMAKE_SOURCE_DIR} programs)
  foreach(t ${programs})
    target_sources(${t} PRIVATE ${CMAKE_BINARY_DIR}/sanitize_defaults.cc)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(libs MATCHES "GTest::")
      target_sources(${t} PRIVATE ${CMAKE_SOURCE_DIR}/tests/sanitize/child_reports.cc)
      target_compile_definitions(${t} PRIVATE
        CHASE_SANITIZER_REPORT_DIR="${CHASE_SANITIZER_REPORT_DIR}")
    endif()
  endforeach()
endfunction()
