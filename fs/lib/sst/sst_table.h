// One block-based table (RocksDB or LevelDB), opened: what a lookup needs
// in memory.  The footer, the metaindex, the properties and the index are
// read (and checked) once at open, the filter is kept; afterwards a lookup
// costs one data-block read, done by the storage function.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sst_block.h"
#include "sst_filter.h"

namespace chase::sst {

constexpr uint64_t kBlockBasedMagic = 0x88e241b785f4cff7ull;
constexpr uint64_t kLegacyMagic = 0xdb4775248b80fb57ull;  // LevelDB, RocksDB format_version 0

// Does the file end like a block-based table?  tail: its last 8 bytes.
bool has_table_magic(const uint8_t *tail8);
// The name of another table kind the tail's magic announces, or nullptr.
const char *other_table_kind(const uint8_t *tail8);

// The index a table keeps for its open's life: separator user key -> data
// block, ordered by key.  The keys share one arena: a std::string each costs
// 80 bytes of heap for a 16-byte key, and a 4 M-key table has 125,000 of
// them; what the index holds is memory the block cache does not get.
class Index {
   public:
    size_t size() const { return blocks_.size(); }
    bool empty() const { return blocks_.empty(); }
    // Every key of block i is <= key(i).
    std::string_view key(size_t i) const {
        size_t from = i ? ends_[i - 1] : 0;
        return std::string_view(keys_).substr(from, ends_[i] - from);
    }
    const Handle &block(size_t i) const { return blocks_[i]; }
    // false: the arena would pass 4 GiB.
    bool add(std::string_view key, const Handle &h);
    void reserve(size_t n, size_t key_bytes);
    size_t bytes() const {
        return keys_.capacity() + ends_.capacity() * sizeof(uint32_t) +
               blocks_.capacity() * sizeof(Handle);
    }

   private:
    std::string keys_;
    std::vector<uint32_t> ends_;
    std::vector<Handle> blocks_;
};

struct Table {
    std::string path;
    uint64_t size = 0;
    bool leveldb = false;  // no properties block: written by LevelDB
    BlockRules rules;
    bool index_user_keys = false, index_delta_values = false;
    Index index;
    std::unique_ptr<Filter> filter;  // nullptr: none, or a kind not read
    std::string filter_note;         // what was done with the filter, for geometry
    uint64_t entries = 0, data_blocks = 0;
    std::string comparator, compression, column_family;

    // Index of the first data block that can hold user_key, or index.size().
    size_t block_for(std::string_view user_key) const;
};

// Reads and checks everything but the data blocks; refuses (EOPNOTSUPP)
// tables whose answers it could not give exactly, naming the feature.
Status open_table(int fd, uint64_t size, const std::string &path, std::unique_ptr<Table> *out);

}  // namespace chase::sst
