# bench_formats: lookups in LMDB, cdb and SST files, their own libraries
# (liblmdb, libcdb, RocksDB, LevelDB) against chasefs's engines (issues 5 and 10).
# Included by bench/CMakeLists.txt.
find_library(BENCH_ROCKSDB_LIB rocksdb REQUIRED)
add_executable(bench_formats
  ${CMAKE_CURRENT_LIST_DIR}/bench_formats.cc
  ${CMAKE_CURRENT_LIST_DIR}/formats_rocksdb.cc
  ${CMAKE_CURRENT_LIST_DIR}/formats_leveldb.cc
  ${CMAKE_CURRENT_LIST_DIR}/bench_result.cc
)
target_include_directories(bench_formats PRIVATE ${CMAKE_CURRENT_LIST_DIR})
# chase_mkindex_lib: the .ldb table is written by chase-mkindex's writer
# (LevelDB's TableBuilder), as a user would make it.
target_link_libraries(bench_formats PRIVATE chase chase_mkindex_lib lmdb cdb ${BENCH_ROCKSDB_LIB}
                      Threads::Threads)
