// LevelDB for bench_formats: the same records as one .ldb table (the file
// chasefs reads, written by LevelDB's TableBuilder through chase-mkindex's
// writer) and as a LevelDB database (LevelDB's own Puts, compacted), whose
// DB::Get is the baseline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace leveldb {
class DB;
}  // namespace leveldb

namespace bench_ldb {

using RecordFn = std::function<std::string(uint64_t)>;

// Written once each, with LevelDB 1.23's defaults (4 KiB blocks, Snappy, no
// filter, restart interval 16): the table at ldb, and the database db_dir,
// fully compacted so that a Get consults one table as in the .ldb file.
void make_table(const std::string &ldb, const std::string &db_dir, uint64_t n,
                const RecordFn &key_of, const RecordFn &value_of);

// The database, opened with its default options (8 MiB block cache).
class Db {
   public:
    explicit Db(const std::string &dir);
    ~Db();
    bool get(const std::string &key, std::string *value);

   private:
    leveldb::DB *db_ = nullptr;
};

}  // namespace bench_ldb
