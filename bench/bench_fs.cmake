# bench_fs: the filesystem face (issue 3) against libchase and the backing
# directory.  Included by bench/CMakeLists.txt.
add_executable(bench_fs
  ${CMAKE_CURRENT_LIST_DIR}/bench_fs.cc
  ${CMAKE_CURRENT_LIST_DIR}/fs_workloads.cc
  ${CMAKE_CURRENT_LIST_DIR}/bench_result.cc
)
target_include_directories(bench_fs PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_fs PRIVATE chase Threads::Threads)
add_dependencies(bench_fs chasefs)
