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

struct IndexEntry {
    std::string user_key;  // the separator's user key: every key of the block is <= it
    Handle block;
};

struct Table {
    std::string path;
    uint64_t size = 0;
    bool leveldb = false;  // no properties block: written by LevelDB
    BlockRules rules;
    bool index_user_keys = false, index_delta_values = false;
    std::vector<IndexEntry> index;   // ordered by user key
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
