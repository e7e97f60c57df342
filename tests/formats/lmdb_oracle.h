// The real liblmdb as writer and oracle for the LMDB format tests: files
// are written with mdb_put and every answer is compared with mdb_get.
#pragma once

#include <lmdb.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chase_test {

using KV = std::vector<std::pair<std::string, std::string>>;

struct LmdbWriteOptions {
    unsigned flags = 0;               // mdb_dbi_open flags of the main database (MDB_DUPSORT...)
    std::map<std::string, KV> named;  // named databases and their records
    size_t map_size = size_t(1) << 32;
};

// Writes records into a fresh single-file environment at path (MDB_NOSUBDIR;
// the lock file is path + "-lock").  Aborts the test on a liblmdb error.
void lmdb_write(const std::string &path, const KV &records, const LmdbWriteOptions &opt = {});

// Reads a file through liblmdb itself.
class LmdbOracle {
   public:
    explicit LmdbOracle(const std::string &path);
    ~LmdbOracle();
    // mdb_get in the main database, or in the named database db.
    std::optional<std::string> get(const std::string &key, const std::string &db = "");
    // Every record, in liblmdb's cursor order.
    KV all(const std::string &db = "");

   private:
    MDB_env *env_ = nullptr;
};

// mdb_dump of the main database (or -s db), parsed back into records.
KV mdb_dump_records(const std::string &path, const std::string &db = "");

}  // namespace chase_test
