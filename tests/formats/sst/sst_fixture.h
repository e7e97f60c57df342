// Test tables written by the real libraries (RocksDB's SstFileWriter and
// DB, LevelDB's TableBuilder and DB), each with what a Get must answer.
// For the SST reader's tests and for chase-mkindex's; nothing here shares
// code with either.
//
//   auto recs = random_records({.count = 100000, .key_max = 64, .seed = 7});
//   Table t = write_rocksdb_table(dir + "/t.sst", recs, {.compression = Compression::kZstd});
//   for (auto &[k, v] : t.values) ...            // every key and its value
//   for (auto &k : absent_keys(t, 1000, 1)) ...  // keys a Get must not find
//
// Failures of the libraries throw std::runtime_error with their message.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sst_test {

// Records sorted by key, bytewise, keys unique.
using Records = std::vector<std::pair<std::string, std::string>>;

struct RecordShape {
    size_t count = 1000;
    size_t key_min = 1, key_max = 16;  // bytes
    size_t value_min = 0, value_max = 100;
    // Keys and values of any byte (NUL, 0xff, TAB, LF included); false:
    // printable ASCII without TAB, as a TSV file can carry.
    bool binary = true;
    uint64_t seed = 1;
};

// count distinct random keys (fewer only if the key sizes cannot hold that
// many), sorted bytewise.
Records random_records(const RecordShape &shape);

// What Gets on a table must answer.
struct Table {
    std::string path;
    std::map<std::string, std::string> values;  // key -> the value a Get returns
    // Keys whose newest entry in the table is a deletion: a Get says "not
    // found" (and a reader of a whole LSM store stops there).
    std::set<std::string> deleted;

    std::optional<std::string> expected(std::string_view key) const;
};

// Keys in neither values nor deleted: neighbours of stored keys (one byte
// more, one less, the last byte changed), prefixes, keys before the first
// and after the last, random keys.  At most n, distinct, sorted.
std::vector<std::string> absent_keys(const Table &t, size_t n, uint64_t seed);

// ---- RocksDB ----

enum class Compression { kNone, kSnappy, kZlib, kBZip2, kLz4, kLz4hc, kZstd };
enum class Checksum { kNone, kCrc32c, kxxHash, kxxHash64, kXXH3 };
enum class Filter { kNone, kBloom, kRibbon };

const char *name(Compression c);
const char *name(Checksum c);
const char *name(Filter f);

struct RocksdbSpec {
    uint64_t block_size = 4096;
    Compression compression = Compression::kSnappy;
    // 0..5.  SstFileWriter writes 1 instead of 0 unless checksum is CRC32c.
    int format_version = 5;
    Checksum checksum = Checksum::kXXH3;
    Filter filter = Filter::kNone;
    double filter_bits = 10;  // with filter != kNone
    int restart_interval = 16;
    bool index_compression = true;  // RocksDB's default: the index block is compressed too

    // "fv5_xxh3_snappy_b4096_r16" and the like, for test names.
    std::string describe() const;
};

// GoogleTest prints parameters with these.
void PrintTo(const RocksdbSpec &spec, std::ostream *os);

// One table through rocksdb::SstFileWriter (every entry sequence 0, as for
// IngestExternalFile).  recs must be sorted and unique (random_records).
Table write_rocksdb_table(const std::string &path, const Records &recs,
                          const RocksdbSpec &spec = {});

// ---- LevelDB ----

struct LeveldbSpec {
    uint64_t block_size = 4096;
    bool snappy = true;   // LevelDB 1.23 has no other compression
    int filter_bits = 0;  // NewBloomFilterPolicy(bits) over user keys; 0: none
    int restart_interval = 16;

    std::string describe() const;
};

void PrintTo(const LeveldbSpec &spec, std::ostream *os);

// One .ldb table as LevelDB's DB writes it: the records Put one by one into
// an empty DB in key order, then CompactRange, and the one table taken out
// of the DB directory (so keys have sequence numbers 1..n and filters are
// over user keys).  recs must be sorted, unique and under 64 MiB in all
// (the DB's memtable holds them).
Table write_leveldb_table(const std::string &path, const Records &recs,
                          const LeveldbSpec &spec = {});

// ---- several versions of a key in one table ----

enum class OpType { kPut, kDelete, kSingleDelete };
struct Op {
    OpType type;
    std::string key, value;
};

// A history over nkeys keys: overwrites, deletes, puts after deletes, and
// (with single_deletes) keys put once and single-deleted, some put again
// after.  Follows SingleDelete's contract (never two puts of a key between
// single deletes, never Delete and SingleDelete on one key).
std::vector<Op> random_history(size_t nkeys, size_t nops, uint64_t seed,
                               bool single_deletes = true);

// ops applied to a fresh rocksdb::DB with a snapshot taken after each op
// (so the flush keeps every version), then one flush, and the one .sst it
// made copied to path.  Answers from DB::Get after the last op.  The table
// holds internal keys with their real sequence numbers, newest first, types
// 1 (value), 0 (deletion) and 7 (single deletion).
Table write_rocksdb_history_table(const std::string &path, const std::vector<Op> &ops,
                                  const RocksdbSpec &spec = {});

// The same through a leveldb::DB (snapshots, then CompactRange; LevelDB has
// no single delete, so kSingleDelete is a Delete).  Types 1 and 0.
Table write_leveldb_history_table(const std::string &path, const std::vector<Op> &ops,
                                  const LeveldbSpec &spec = {});

// ---- tables a reader must refuse ----
//
// Each holds a few ordinary keys besides the feature, so that a reader which
// ignored the feature would answer something; each is written by the
// library with the feature as its users turn it on.

enum class Refused {
    kMergeOperands,       // DB with the "stringappend" merge operator: type-2 entries
    kRangeDeletion,       // SstFileWriter::DeleteRange: a range tombstone block
    kUserTimestamp,       // comparator leveldb.BytewiseComparator.u64ts: 8-byte timestamps
    kReverseComparator,   // ReverseBytewiseComparator(): keys in descending order
    kHashIndex,           // index_type kHashSearch with a 1-byte prefix extractor
    kDataBlockHashIndex,  // data_block_index_type kDataBlockBinaryAndHash
    kPartitionedIndex,    // index_type kTwoLevelIndexSearch with partitioned filters
    kFirstKeyIndex,       // index_type kBinarySearchWithFirstKey
    kPlainTable,          // NewPlainTableFactory()
    kCuckooTable,         // NewCuckooTableFactory()
    kBlobIndex,           // DB with enable_blob_files: type-17 entries pointing into a .blob
    kWideColumnEntity,    // DB::PutEntity: type-22 entries
};

const std::vector<Refused> &all_refused();
// The ordinary records each refused table holds besides its feature (keys
// "key00000", "key00007", ... "key01393", values "value 0" ...), in
// reverse order in the reverse-comparator table, values padded with '.' to
// 12 bytes in the Cuckoo table.
Records refused_table_records();
const char *name(Refused r);  // "merge_operands", ... (usable in test names)

// Each writes the table to path and returns path.
std::string write_merge_operand_table(const std::string &path);
std::string write_range_deletion_table(const std::string &path);
std::string write_user_timestamp_table(const std::string &path);
std::string write_reverse_comparator_table(const std::string &path);
std::string write_hash_index_table(const std::string &path);
std::string write_data_block_hash_index_table(const std::string &path);
std::string write_partitioned_index_table(const std::string &path);
std::string write_first_key_index_table(const std::string &path);
std::string write_plain_table(const std::string &path);
std::string write_cuckoo_table(const std::string &path);
std::string write_blob_index_table(const std::string &path);
std::string write_wide_column_table(const std::string &path);
// Any of the above by its enum.
std::string write_refused_table(const std::string &path, Refused r);

}  // namespace sst_test
