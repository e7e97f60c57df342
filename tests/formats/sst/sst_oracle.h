// Independent answers for single RocksDB and LevelDB tables: what the
// libraries themselves (and RocksDB's sst_dump) say a table holds.  The SST
// reader's tests compare every lookup with these; nothing here shares code
// with chasefs or chase-mkindex.
//
// Errors (a file the library cannot open, a corrupt block, a merge operand
// without a merge operator) throw std::runtime_error with the library's
// message: a test that meets one has found something, not a key.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sst_test {

using KeyValue = std::pair<std::string, std::string>;

// Internal key types a table may hold (the byte after the sequence number).
enum EntryType : int {
    kDeletion = 0,
    kValue = 1,
    kMerge = 2,
    kSingleDeletion = 7,
    kRangeDeletion = 15,
    kBlobIndex = 17,
    kDeletionWithTimestamp = 20,
    kWideColumnEntity = 22,
};

// One entry as stored: a user key, its sequence number and type, the value
// bytes (empty for deletions).
struct Entry {
    std::string key;
    uint64_t seq = 0;
    int type = kValue;
    std::string value;
    bool operator==(const Entry &) const = default;
};

// The live pairs of entries in table order: for each user key the first
// (newest) entry decides; a value is live, a deletion hides the key.  Any
// other type throws (a Get cannot be answered from it alone).
std::vector<KeyValue> live_pairs(const std::vector<Entry> &entries);

// ---- RocksDB (block-based tables of the bytewise comparator) ----

// What a table's properties block says (rocksdb::TableProperties).
struct RocksdbProperties {
    uint64_t entries = 0, deletions = 0, merge_operands = 0, range_deletions = 0;
    uint64_t data_blocks = 0, index_size = 0, filter_size = 0;
    std::string compression, filter_policy, comparator, merge_operator, prefix_extractor;
    // "rocksdb.block.based.table.index.type" and the like, raw bytes.
    std::map<std::string, std::string> user;
};

// rocksdb::SstFileReader on one table: the reader RocksDB offers for files
// outside a DB.  Its iterator resolves versions as a DB at the latest
// sequence number would (newest entry wins, deletions hide the key).
class RocksdbOracle {
   public:
    explicit RocksdbOracle(const std::string &path);
    ~RocksdbOracle();
    RocksdbOracle(const RocksdbOracle &) = delete;
    RocksdbOracle &operator=(const RocksdbOracle &) = delete;

    std::optional<std::string> get(std::string_view key);
    // Live pairs with lo <= key (and key <= *hi if given), in order.
    std::vector<KeyValue> range(std::string_view lo, std::optional<std::string_view> hi);
    std::vector<KeyValue> scan() { return range("", std::nullopt); }
    // Every block's checksum, as RocksDB verifies it: "" or the message.
    std::string verify_checksums();
    RocksdbProperties properties() const;

   private:
    struct Rep;
    std::unique_ptr<Rep> rep_;
};

std::optional<std::string> rocksdb_get(const std::string &path, std::string_view key);

// ---- LevelDB tables (.ldb) ----

// leveldb::Table::Open with LevelDB's internal key order (written here, not
// taken from LevelDB's private headers) and checksums verified on every
// block read.  A Get seeks to (key, newest) and the first entry with that
// user key decides: type 1 its value, type 0 not found.
class LeveldbOracle {
   public:
    explicit LeveldbOracle(const std::string &path);
    ~LeveldbOracle();
    LeveldbOracle(const LeveldbOracle &) = delete;
    LeveldbOracle &operator=(const LeveldbOracle &) = delete;

    std::optional<std::string> get(std::string_view key);
    // Every internal entry in table order.
    std::vector<Entry> entries();
    std::vector<KeyValue> scan() { return live_pairs(entries()); }

   private:
    struct Rep;
    std::unique_ptr<Rep> rep_;
};

std::optional<std::string> leveldb_get(const std::string &path, std::string_view key);

// ---- sst_dump: a second, separate reader ----

// `sst_dump --file=PATH --command=scan --output_hex`, parsed: every internal
// entry in table order.  Works on RocksDB tables and on LevelDB tables
// (RocksDB reads LevelDB's format as its "old version"; sst_dump only looks
// at names ending in .sst, so a LevelDB table is given through a symlink).
std::vector<Entry> sst_dump_entries(const std::string &path);
// sst_dump --command=check --verify_checksum: "" or what it printed.
std::string sst_dump_verify(const std::string &path);

// ---- the footer, read from the file's last bytes by hand ----

struct Footer {
    bool legacy = false;          // 48-byte footer (LevelDB, RocksDB format_version 0)
    uint32_t format_version = 0;  // 0 for legacy footers
    int checksum = 1;             // ChecksumType byte; legacy footers imply CRC32c (1)
};
Footer read_footer(const std::string &path);

// Hex of at most 48 bytes, for failure messages.
std::string hex(std::string_view s);

}  // namespace sst_test
