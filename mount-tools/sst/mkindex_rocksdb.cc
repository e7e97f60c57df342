// chase-mkindex --format rocksdb: one block-based SST table written by
// RocksDB's SstFileWriter (the writer behind IngestExternalFile), so every
// byte is what librocksdb writes for these options.
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/version.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "sst/sst_writers.h"

namespace mkindex {

namespace {

struct Named {
    const char *name;
    int value;
};

const Named kCompressions[] = {
    {"none", rocksdb::kNoCompression},   {"snappy", rocksdb::kSnappyCompression},
    {"lz4", rocksdb::kLZ4Compression},   {"zstd", rocksdb::kZSTD},
    {"zlib", rocksdb::kZlibCompression},
};

const Named kChecksums[] = {
    {"none", rocksdb::kNoChecksum},   {"crc32c", rocksdb::kCRC32c}, {"xxhash", rocksdb::kxxHash},
    {"xxhash64", rocksdb::kxxHash64}, {"xxh3", rocksdb::kXXH3},
};

template <size_t N>
std::optional<int> lookup(const Named (&names)[N], const std::string &name) {
    for (const Named &n : names)
        if (name == n.name) return n.value;
    return std::nullopt;
}

template <size_t N>
std::string choices(const Named (&names)[N]) {
    std::string s;
    for (const Named &n : names) s += std::string(s.empty() ? "" : "|") + n.name;
    return s;
}

// The options as RocksDB takes them; the names were checked before.
rocksdb::Options make_options(const TableOptions &t) {
    rocksdb::Options o;
    if (!t.compression.empty())
        o.compression = rocksdb::CompressionType(*lookup(kCompressions, t.compression));
    rocksdb::BlockBasedTableOptions bt;
    bt.block_size = t.block_size;
    bt.block_restart_interval = int(t.restart_interval);
    bt.format_version = uint32_t(t.format_version);
    if (!t.checksum.empty()) bt.checksum = rocksdb::ChecksumType(*lookup(kChecksums, t.checksum));
    if (t.filter_bits) bt.filter_policy.reset(rocksdb::NewBloomFilterPolicy(double(t.filter_bits)));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bt));
    return o;
}

BuildError rocksdb_error(const rocksdb::Status &s, const std::string &what) {
    int err = s.IsNoSpace() ? ENOSPC : s.IsInvalidArgument() ? EINVAL : EIO;
    return BuildError::make(err, "librocksdb " + what + ": " + s.ToString());
}

std::string checksum_name(const TableOptions &t) {
    return t.checksum.empty() ? "xxh3" : t.checksum;
}

}  // namespace

BuildError check_rocksdb_options(const TableOptions &t) {
    if (!t.compression.empty()) {
        auto c = lookup(kCompressions, t.compression);
        if (!c)
            return BuildError::make(EINVAL, "--compression for rocksdb is " +
                                                choices(kCompressions) + ", not '" + t.compression +
                                                "'");
        auto supported = rocksdb::GetSupportedCompressions();
        if (std::find(supported.begin(), supported.end(), rocksdb::CompressionType(*c)) ==
            supported.end())
            return BuildError::make(EINVAL, "--compression " + t.compression +
                                                ": this librocksdb was built without it");
    }
    if (!t.checksum.empty() && !lookup(kChecksums, t.checksum))
        return BuildError::make(
            EINVAL, "--checksum is " + choices(kChecksums) + ", not '" + t.checksum + "'");
    if (t.format_version > 5)
        return BuildError::make(EINVAL, "--format-version must be 0..5 (what RocksDB " +
                                            std::to_string(ROCKSDB_MAJOR) + "." +
                                            std::to_string(ROCKSDB_MINOR) + " writes)");
    // Version 0's footer has no checksum type: RocksDB writes version 1
    // instead of 0 for any other checksum, without a word.
    if (t.format_version == 0 && checksum_name(t) != "crc32c")
        return BuildError::make(EINVAL,
                                "--format-version 0 has CRC32c checksums only; add --checksum "
                                "crc32c (with --checksum " +
                                    checksum_name(t) + " RocksDB writes format_version 1)");
    // Anything else RocksDB itself would refuse when opening a DB with them.
    rocksdb::Options o = make_options(t);
    rocksdb::Status s =
        o.table_factory->ValidateOptions(rocksdb::DBOptions(o), rocksdb::ColumnFamilyOptions(o));
    if (!s.ok()) return BuildError::make(EINVAL, "RocksDB refuses these options: " + s.ToString());
    return {};
}

BuildError write_rocksdb_records(std::vector<TextRecord> recs, const TableOptions &t,
                                 const OutputTarget &out, Progress *progress,
                                 WriteSummary *summary) {
    if (BuildError e = sort_unique_bytewise(&recs, "an SST table"); !e.ok()) return e;
    if (recs.empty())
        return BuildError::make(EINVAL, "no keys: RocksDB's SstFileWriter writes no empty table");
    rocksdb::Options o = make_options(t);
    // The page cache is the reader's business; the caller fsyncs.
    rocksdb::SstFileWriter w(rocksdb::EnvOptions(), o, nullptr, /*invalidate_page_cache=*/false);
    if (rocksdb::Status s = w.Open(out.path); !s.ok())
        return rocksdb_error(s, "opening the output");
    if (progress) progress->start_phase("writing", recs.size());
    for (size_t i = 0; i < recs.size(); i++) {
        if (rocksdb::Status s = w.Put(recs[i].key, recs[i].value); !s.ok())
            return rocksdb_error(s, "Put at line " + std::to_string(recs[i].line));
        if (progress) progress->update(i + 1);
    }
    if (rocksdb::Status s = w.Finish(); !s.ok()) return rocksdb_error(s, "Finish");
    // The table's shape as RocksDB reads it back.
    rocksdb::SstFileReader reader(o);
    if (rocksdb::Status s = reader.Open(out.path); !s.ok())
        return rocksdb_error(s, "reading the table back");
    auto p = reader.GetTableProperties();
    std::string shape =
        "format_version " + std::to_string(t.format_version) + ", " + checksum_name(t) + ", " +
        p->compression_name + ", " + std::to_string(p->num_data_blocks) +
        (p->num_data_blocks == 1 ? " data block of " : " data blocks of ") +
        std::to_string(t.block_size) + " bytes, index " + std::to_string(p->index_size) + " bytes";
    if (t.filter_bits)
        shape += ", Bloom filter " + std::to_string(t.filter_bits) + " bits/key (" +
                 std::to_string(p->filter_size) + " bytes)";
    *summary = WriteSummary{recs.size(), shape};
    return {};
}

}  // namespace mkindex
