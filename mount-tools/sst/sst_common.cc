// What the RocksDB and LevelDB writers share: which options a format takes,
// byte order, and the generated-key entries of the format table.
#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "sst/sst_writers.h"

namespace mkindex {

namespace {

bool is_table_format(const std::string &format) {
    return format == "rocksdb" || format == "leveldb";
}

}  // namespace

BuildError check_table_options(const std::string &format, const TableOptions &table) {
    if (!is_table_format(format)) {
        if (table.given.empty()) return {};
        return BuildError::make(
            EINVAL,
            table.given.front() + " applies to --format rocksdb and leveldb, not " + format);
    }
    // Limits both libraries share.  A block of 4 GiB is refused by RocksDB
    // and would overflow LevelDB's 32-bit restart offsets; 0 would put every
    // key in a block of its own, which --block-size 1 says more plainly.
    if (table.block_size < 1 || table.block_size > UINT32_MAX)
        return BuildError::make(EINVAL, "--block-size must be 1.." + std::to_string(UINT32_MAX));
    // RocksDB turns 0 into 1 without a word; LevelDB's block builder needs
    // at least 1.
    if (table.restart_interval < 1 || table.restart_interval > INT32_MAX)
        return BuildError::make(EINVAL,
                                "--restart-interval must be 1.." + std::to_string(INT32_MAX));
    // RocksDB caps bits per key at 100 without a word; the same bound for
    // LevelDB keeps one rule for both.
    if (table.filter_bits > 100)
        return BuildError::make(EINVAL,
                                "--filter-bits must be 0..100 (0: no filter; RocksDB caps it at "
                                "100)");
    return format == "rocksdb" ? check_rocksdb_options(table) : check_leveldb_options(table);
}

BuildError sort_unique_bytewise(std::vector<TextRecord> *recs, const std::string &what) {
    // std::string compares as unsigned bytes (char_traits<char>), the order
    // of both libraries' bytewise comparators.
    std::stable_sort(recs->begin(), recs->end(),
                     [](const TextRecord &a, const TextRecord &b) { return a.key < b.key; });
    for (size_t i = 1; i < recs->size(); i++)
        if ((*recs)[i].key == (*recs)[i - 1].key)
            return BuildError::make(EINVAL, "line " + std::to_string((*recs)[i].line) + ": key '" +
                                                (*recs)[i].key + "' repeats line " +
                                                std::to_string((*recs)[i - 1].line) + " (" + what +
                                                " written here holds one value per key)");
    return {};
}

BuildError write_rocksdb_format(const KvSource &src, const TableOptions &table,
                                const OutputTarget &out, Progress *progress,
                                WriteSummary *summary) {
    return write_rocksdb_records(text_records(src), table, out, progress, summary);
}

BuildError write_leveldb_format(const KvSource &src, const TableOptions &table,
                                const OutputTarget &out, Progress *progress,
                                WriteSummary *summary) {
    return write_leveldb_records(text_records(src), table, out, progress, summary);
}

}  // namespace mkindex
