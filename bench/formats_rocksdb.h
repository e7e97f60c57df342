// RocksDB for bench_formats: the SST tables chasefs reads, written by
// RocksDB itself, and RocksDB's own readers of them as the baselines.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rocksdb {
class DB;
class Cache;
}  // namespace rocksdb

namespace bench_sst {

using RecordFn = std::function<std::string(uint64_t)>;

// The table at sst (written once: n records of key_of/value_of in key
// order, through SstFileWriter) and a RocksDB directory db_dir that holds
// it, ingested by hard link (the same inode: the table is not copied and
// RocksDB does not change it).  tikv: TiKV's options (32 KiB blocks, LZ4,
// format_version 2, CRC32c, a 10-bit Bloom filter); else RocksDB 7.8's
// defaults (4 KiB blocks, Snappy, format_version 5, XXH3, no filter).
void make_table(const std::string &sst, const std::string &db_dir, uint64_t n, bool tikv,
                const RecordFn &key_of, const RecordFn &value_of);

// The directory opened read-only.  block_cache_bytes 0: RocksDB's default
// block cache; else an LRU cache of that size.
class Db {
   public:
    Db(const std::string &dir, uint64_t block_cache_bytes);
    ~Db();
    bool get(const std::string &key, std::string *value);
    // One MultiGet of all keys; values[i] empty and ok[i] false when absent.
    void multi_get(const std::vector<std::string> &keys, std::vector<std::string> *values,
                   std::vector<bool> *ok);

   private:
    std::shared_ptr<rocksdb::Cache> cache_;
    rocksdb::DB *db_ = nullptr;
};

}  // namespace bench_sst
