# bench_formats: LMDB and cdb lookups, liblmdb/libcdb against chasefs's
# engines (issue 5).  Included by bench/CMakeLists.txt.
add_executable(bench_formats
  ${CMAKE_CURRENT_LIST_DIR}/bench_formats.cc
  ${CMAKE_CURRENT_LIST_DIR}/bench_result.cc
)
target_include_directories(bench_formats PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_formats PRIVATE chase lmdb cdb Threads::Threads)
