#include "sst_fixture.h"

#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>
#include <rocksdb/comparator.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/wide_columns.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>
#include <stdexcept>

namespace sst_test {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string &msg) {
    throw std::runtime_error(msg);
}

void check(const rocksdb::Status &s, const std::string &what) {
    if (!s.ok()) fail("rocksdb " + what + ": " + s.ToString());
}

void check(const leveldb::Status &s, const std::string &what) {
    if (!s.ok()) fail("leveldb " + what + ": " + s.ToString());
}

std::string random_string(std::mt19937_64 &rng, size_t lo, size_t hi, bool binary) {
    size_t n = lo + size_t(rng() % (hi - lo + 1));
    std::string s(n, '\0');
    for (char &c : s) c = binary ? char(rng() & 0xff) : char(' ' + rng() % 95);
    return s;
}

// A directory for a DB next to the table it will give, removed afterwards.
class ScratchDir {
   public:
    explicit ScratchDir(const std::string &near) {
        std::string parent = fs::absolute(near).parent_path().string();
        std::string tmpl = parent + "/.sst-fixture-db-XXXXXX";
        if (!mkdtemp(tmpl.data())) fail("mkdtemp in " + parent + ": " + strerror(errno));
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }

   private:
    std::string path_;
};

// The one file of the directory with this extension, copied to path.
void take_only_table(const std::string &dir, const std::string &ext, const std::string &path) {
    std::vector<fs::path> found;
    for (const auto &e : fs::directory_iterator(dir))
        if (e.path().extension() == ext) found.push_back(e.path());
    if (found.size() != 1)
        fail(dir + " holds " + std::to_string(found.size()) + " " + ext +
             " files, not one (the records do not fit one table)");
    fs::copy_file(found[0], path, fs::copy_options::overwrite_existing);
}

rocksdb::CompressionType rocksdb_compression(Compression c) {
    switch (c) {
        case Compression::kNone:
            return rocksdb::kNoCompression;
        case Compression::kSnappy:
            return rocksdb::kSnappyCompression;
        case Compression::kZlib:
            return rocksdb::kZlibCompression;
        case Compression::kBZip2:
            return rocksdb::kBZip2Compression;
        case Compression::kLz4:
            return rocksdb::kLZ4Compression;
        case Compression::kLz4hc:
            return rocksdb::kLZ4HCCompression;
        case Compression::kZstd:
            return rocksdb::kZSTD;
    }
    fail("unknown compression");
}

rocksdb::ChecksumType rocksdb_checksum(Checksum c) {
    switch (c) {
        case Checksum::kNone:
            return rocksdb::kNoChecksum;
        case Checksum::kCrc32c:
            return rocksdb::kCRC32c;
        case Checksum::kxxHash:
            return rocksdb::kxxHash;
        case Checksum::kxxHash64:
            return rocksdb::kxxHash64;
        case Checksum::kXXH3:
            return rocksdb::kXXH3;
    }
    fail("unknown checksum");
}

rocksdb::BlockBasedTableOptions table_options(const RocksdbSpec &spec) {
    if (spec.format_version < 0 || spec.format_version > 5)
        fail("format_version " + std::to_string(spec.format_version) +
             ": RocksDB 7.8 writes 0..5 (and aborts on others)");
    rocksdb::BlockBasedTableOptions t;
    t.block_size = spec.block_size;
    t.format_version = uint32_t(spec.format_version);
    t.checksum = rocksdb_checksum(spec.checksum);
    t.block_restart_interval = spec.restart_interval;
    t.enable_index_compression = spec.index_compression;
    if (spec.filter == Filter::kBloom)
        t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(spec.filter_bits));
    else if (spec.filter == Filter::kRibbon)
        t.filter_policy.reset(rocksdb::NewRibbonFilterPolicy(spec.filter_bits));
    return t;
}

rocksdb::Options rocksdb_options(const RocksdbSpec &spec) {
    rocksdb::Options o;
    o.compression = rocksdb_compression(spec.compression);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(spec)));
    return o;
}

// Writes recs (in the comparator's order) through an SstFileWriter.
void write_sst(const std::string &path, const rocksdb::Options &o, const Records &recs) {
    rocksdb::SstFileWriter w(rocksdb::EnvOptions(), o);
    check(w.Open(path), "SstFileWriter::Open " + path);
    for (const auto &[k, v] : recs) check(w.Put(k, v), "SstFileWriter::Put");
    check(w.Finish(), "SstFileWriter::Finish");
}

}  // namespace

Records refused_table_records() {
    Records r;
    for (int i = 0; i < 200; i++) {
        char k[16];
        snprintf(k, sizeof k, "key%05d", i * 7);
        r.emplace_back(k, "value " + std::to_string(i));
    }
    return r;
}

namespace {

Records few_records() {
    return refused_table_records();
}

// A DB in a scratch directory next to path; after fill(), one flush, and
// the .sst it made copied to path.
template <typename Fill>
void rocksdb_flush_table(const std::string &path, rocksdb::Options o, Fill fill) {
    ScratchDir dir(path);
    o.create_if_missing = true;
    o.disable_auto_compactions = true;
    o.write_buffer_size = 256 << 20;  // every op in one memtable, one flush
    rocksdb::DB *raw = nullptr;
    check(rocksdb::DB::Open(o, dir.path(), &raw), "DB::Open");
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<const rocksdb::Snapshot *> snaps;
    fill(*db, snaps);
    rocksdb::FlushOptions fo;
    fo.wait = true;
    check(db->Flush(fo), "Flush");
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    if (files.size() != 1)
        fail("the flush made " + std::to_string(files.size()) + " tables, not one");
    fs::copy_file(files[0].db_path + "/" + files[0].name, path,
                  fs::copy_options::overwrite_existing);
    for (const rocksdb::Snapshot *s : snaps) db->ReleaseSnapshot(s);
    check(db->Close(), "Close");
}

}  // namespace

// ---- records ----

Records random_records(const RecordShape &shape) {
    if (shape.key_min < 1 || shape.key_max < shape.key_min || shape.value_max < shape.value_min)
        fail("bad RecordShape");
    std::mt19937_64 rng(shape.seed);
    std::vector<std::string> keys;
    keys.reserve(shape.count);
    // Draw, sort, drop repeats, draw again for the missing ones (short keys
    // repeat often; the space may even be smaller than count), then drop
    // random extras.
    for (int round = 0; round < 64 && keys.size() < shape.count; round++) {
        size_t want = std::max(2 * (shape.count - keys.size()), shape.count / 4) + 16;
        for (size_t i = 0; i < want; i++)
            keys.push_back(random_string(rng, shape.key_min, shape.key_max, shape.binary));
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    }
    if (keys.size() > shape.count) {
        std::shuffle(keys.begin(), keys.end(), rng);
        keys.resize(shape.count);
        std::sort(keys.begin(), keys.end());
    }
    Records out;
    out.reserve(keys.size());
    for (std::string &k : keys)
        out.emplace_back(std::move(k),
                         random_string(rng, shape.value_min, shape.value_max, shape.binary));
    return out;
}

std::optional<std::string> Table::expected(std::string_view key) const {
    auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> absent_keys(const Table &t, size_t n, uint64_t seed) {
    std::set<std::string> out;
    auto absent = [&](const std::string &k) { return !t.values.count(k) && !t.deleted.count(k); };
    auto add = [&](const std::string &k) {
        if (out.size() < n && absent(k)) out.insert(k);
    };
    std::vector<std::string> stored;
    for (const auto &[k, v] : t.values) stored.push_back(k);
    stored.insert(stored.end(), t.deleted.begin(), t.deleted.end());
    std::sort(stored.begin(), stored.end());
    std::mt19937_64 rng(seed);
    if (!stored.empty()) {
        add(std::string(1, '\0'));
        add(stored.back() + '\xff');
        add(std::string(stored.back().size() + 1, '\xff'));
    }
    // Neighbours of a sample of stored keys, spread over the table.
    size_t step = std::max<size_t>(1, stored.size() / std::max<size_t>(1, n / 6));
    for (size_t i = 0; i < stored.size() && out.size() < n; i += step) {
        const std::string &k = stored[i];
        add(k + '\0');
        add(k + char(rng() & 0xff));
        add(k.substr(0, k.size() - 1));
        std::string changed = k;
        changed.back() = char(changed.back() ^ (1 + rng() % 255));
        add(changed);
        if (uint8_t(k.back()) > 0) {
            std::string below = k;
            below.back() = char(uint8_t(below.back()) - 1);
            add(below);
        }
    }
    for (int tries = 0; out.size() < n && tries < int(10 * n); tries++)
        add(random_string(rng, 1, 24, true));
    return std::vector<std::string>(out.begin(), out.end());
}

// ---- names ----

const char *name(Compression c) {
    switch (c) {
        case Compression::kNone:
            return "none";
        case Compression::kSnappy:
            return "snappy";
        case Compression::kZlib:
            return "zlib";
        case Compression::kBZip2:
            return "bzip2";
        case Compression::kLz4:
            return "lz4";
        case Compression::kLz4hc:
            return "lz4hc";
        case Compression::kZstd:
            return "zstd";
    }
    return "?";
}

const char *name(Checksum c) {
    switch (c) {
        case Checksum::kNone:
            return "none";
        case Checksum::kCrc32c:
            return "crc32c";
        case Checksum::kxxHash:
            return "xxhash";
        case Checksum::kxxHash64:
            return "xxhash64";
        case Checksum::kXXH3:
            return "xxh3";
    }
    return "?";
}

const char *name(Filter f) {
    switch (f) {
        case Filter::kNone:
            return "nofilter";
        case Filter::kBloom:
            return "bloom";
        case Filter::kRibbon:
            return "ribbon";
    }
    return "?";
}

std::string RocksdbSpec::describe() const {
    std::string s = "fv" + std::to_string(format_version) + "_" + name(checksum) + "_" +
                    name(compression) + "_b" + std::to_string(block_size) + "_r" +
                    std::to_string(restart_interval);
    if (filter != Filter::kNone)
        s += std::string("_") + name(filter) + std::to_string(int(filter_bits));
    if (!index_compression) s += "_rawindex";
    return s;
}

std::string LeveldbSpec::describe() const {
    std::string s = std::string(snappy ? "snappy" : "none") + "_b" + std::to_string(block_size) +
                    "_r" + std::to_string(restart_interval);
    if (filter_bits) s += "_bloom" + std::to_string(filter_bits);
    return s;
}

void PrintTo(const RocksdbSpec &spec, std::ostream *os) {
    *os << spec.describe();
}
void PrintTo(const LeveldbSpec &spec, std::ostream *os) {
    *os << spec.describe();
}

// ---- plain tables ----

Table write_rocksdb_table(const std::string &path, const Records &recs, const RocksdbSpec &spec) {
    write_sst(path, rocksdb_options(spec), recs);
    Table t{path, {}, {}};
    for (const auto &[k, v] : recs) t.values.emplace(k, v);
    if (t.values.size() != recs.size()) fail("records with repeated keys");
    return t;
}

namespace {

leveldb::Options leveldb_options(const LeveldbSpec &spec) {
    leveldb::Options o;
    o.create_if_missing = true;
    o.error_if_exists = true;
    o.block_size = spec.block_size;
    o.block_restart_interval = spec.restart_interval;
    o.compression = spec.snappy ? leveldb::kSnappyCompression : leveldb::kNoCompression;
    // One memtable and one output table for everything a fixture writes.
    o.write_buffer_size = 64 << 20;
    o.max_file_size = size_t(1) << 40;
    return o;
}

// A leveldb::DB in a scratch directory next to path; after fill(), every
// level compacted and the one .ldb copied to path.
template <typename Fill>
void leveldb_compact_table(const std::string &path, const LeveldbSpec &spec, Fill fill) {
    ScratchDir dir(path);
    leveldb::Options o = leveldb_options(spec);
    std::unique_ptr<const leveldb::FilterPolicy> filter;
    if (spec.filter_bits) {
        filter.reset(leveldb::NewBloomFilterPolicy(spec.filter_bits));
        o.filter_policy = filter.get();
    }
    leveldb::DB *raw = nullptr;
    check(leveldb::DB::Open(o, dir.path() + "/db", &raw), "DB::Open");
    std::unique_ptr<leveldb::DB> db(raw);
    std::vector<const leveldb::Snapshot *> snaps;
    fill(*db, snaps);
    db->CompactRange(nullptr, nullptr);
    for (const leveldb::Snapshot *s : snaps) db->ReleaseSnapshot(s);
    db.reset();
    take_only_table(dir.path() + "/db", ".ldb", path);
}

}  // namespace

Table write_leveldb_table(const std::string &path, const Records &recs, const LeveldbSpec &spec) {
    leveldb_compact_table(path, spec, [&](leveldb::DB &db, auto &) {
        for (const auto &[k, v] : recs) check(db.Put(leveldb::WriteOptions(), k, v), "Put");
    });
    Table t{path, {}, {}};
    for (const auto &[k, v] : recs) t.values.emplace(k, v);
    if (t.values.size() != recs.size()) fail("records with repeated keys");
    return t;
}

// ---- histories ----

std::vector<Op> random_history(size_t nkeys, size_t nops, uint64_t seed, bool single_deletes) {
    std::mt19937_64 rng(seed);
    Records keys = random_records({.count = nkeys, .key_min = 1, .key_max = 24, .seed = seed});
    // Per key: whether it is single-delete managed, and whether it holds a
    // put that has not been single-deleted yet.
    std::vector<bool> single(keys.size()), live(keys.size());
    for (size_t i = 0; i < keys.size(); i++) single[i] = single_deletes && rng() % 4 == 0;
    std::vector<Op> ops;
    for (size_t n = 0; n < nops; n++) {
        size_t i = rng() % keys.size();
        const std::string &k = keys[i].first;
        std::string v = "v" + std::to_string(n) + std::string(rng() % 40, char('a' + n % 26));
        if (single[i]) {
            // Put, SingleDelete, Put, ...: never two puts in a row.
            if (live[i])
                ops.push_back({OpType::kSingleDelete, k, ""});
            else
                ops.push_back({OpType::kPut, k, v});
            live[i] = !live[i];
        } else if (rng() % 3 == 0) {
            ops.push_back({OpType::kDelete, k, ""});
        } else {
            ops.push_back({OpType::kPut, k, v});
        }
    }
    return ops;
}

Table write_rocksdb_history_table(const std::string &path, const std::vector<Op> &ops,
                                  const RocksdbSpec &spec) {
    Table t{path, {}, {}};
    rocksdb_flush_table(path, rocksdb_options(spec), [&](rocksdb::DB &db, auto &snaps) {
        rocksdb::WriteOptions wo;
        std::set<std::string> keys;
        snaps.push_back(db.GetSnapshot());
        for (const Op &op : ops) {
            keys.insert(op.key);
            switch (op.type) {
                case OpType::kPut:
                    check(db.Put(wo, op.key, op.value), "Put");
                    break;
                case OpType::kDelete:
                    check(db.Delete(wo, op.key), "Delete");
                    break;
                case OpType::kSingleDelete:
                    check(db.SingleDelete(wo, op.key), "SingleDelete");
                    break;
            }
            // Without a snapshot between two versions the flush keeps
            // only the newer.
            snaps.push_back(db.GetSnapshot());
        }
        for (const std::string &k : keys) {
            std::string v;
            rocksdb::Status s = db.Get(rocksdb::ReadOptions(), k, &v);
            if (s.ok())
                t.values.emplace(k, v);
            else if (s.IsNotFound())
                t.deleted.insert(k);
            else
                check(s, "Get");
        }
    });
    return t;
}

Table write_leveldb_history_table(const std::string &path, const std::vector<Op> &ops,
                                  const LeveldbSpec &spec) {
    Table t{path, {}, {}};
    leveldb_compact_table(path, spec, [&](leveldb::DB &db, auto &snaps) {
        leveldb::WriteOptions wo;
        std::set<std::string> keys;
        // A snapshot older than every op: LevelDB's compaction drops a
        // deletion at or below the oldest snapshot.
        snaps.push_back(db.GetSnapshot());
        for (const Op &op : ops) {
            keys.insert(op.key);
            if (op.type == OpType::kPut)
                check(db.Put(wo, op.key, op.value), "Put");
            else
                check(db.Delete(wo, op.key), "Delete");
            snaps.push_back(db.GetSnapshot());
        }
        for (const std::string &k : keys) {
            std::string v;
            leveldb::Status s = db.Get(leveldb::ReadOptions(), k, &v);
            if (s.ok())
                t.values.emplace(k, v);
            else if (s.IsNotFound())
                t.deleted.insert(k);
            else
                check(s, "Get");
        }
    });
    return t;
}

// ---- refused tables ----

const std::vector<Refused> &all_refused() {
    static const std::vector<Refused> all = {
        Refused::kMergeOperands,     Refused::kRangeDeletion, Refused::kUserTimestamp,
        Refused::kReverseComparator, Refused::kHashIndex,     Refused::kDataBlockHashIndex,
        Refused::kPartitionedIndex,  Refused::kFirstKeyIndex, Refused::kPlainTable,
        Refused::kCuckooTable,       Refused::kBlobIndex,     Refused::kWideColumnEntity,
    };
    return all;
}

const char *name(Refused r) {
    switch (r) {
        case Refused::kMergeOperands:
            return "merge_operands";
        case Refused::kRangeDeletion:
            return "range_deletion";
        case Refused::kUserTimestamp:
            return "user_timestamp";
        case Refused::kReverseComparator:
            return "reverse_comparator";
        case Refused::kHashIndex:
            return "hash_index";
        case Refused::kDataBlockHashIndex:
            return "data_block_hash_index";
        case Refused::kPartitionedIndex:
            return "partitioned_index";
        case Refused::kFirstKeyIndex:
            return "first_key_index";
        case Refused::kPlainTable:
            return "plain_table";
        case Refused::kCuckooTable:
            return "cuckoo_table";
        case Refused::kBlobIndex:
            return "blob_index";
        case Refused::kWideColumnEntity:
            return "wide_column_entity";
    }
    return "?";
}

std::string write_merge_operand_table(const std::string &path) {
    rocksdb::Options o;
    check(rocksdb::MergeOperator::CreateFromString(rocksdb::ConfigOptions(), "stringappend",
                                                   &o.merge_operator),
          "the stringappend merge operator");
    rocksdb_flush_table(path, o, [](rocksdb::DB &db, auto &snaps) {
        rocksdb::WriteOptions wo;
        for (const auto &[k, v] : few_records()) check(db.Put(wo, k, v), "Put");
        snaps.push_back(db.GetSnapshot());
        // Operands on stored keys and on a key with no base value.
        for (const char *k : {"key00007", "key00700", "merge-only"}) {
            check(db.Merge(wo, k, "m1"), "Merge");
            snaps.push_back(db.GetSnapshot());
            check(db.Merge(wo, k, "m2"), "Merge");
        }
    });
    return path;
}

std::string write_range_deletion_table(const std::string &path) {
    rocksdb::Options o;
    rocksdb::SstFileWriter w(rocksdb::EnvOptions(), o);
    check(w.Open(path), "SstFileWriter::Open");
    // A tombstone over keys the table also holds: only the tombstone tells
    // that they are gone (in an older table; in this one they are newer).
    check(w.DeleteRange("key00100", "key00500"), "DeleteRange");
    for (const auto &[k, v] : few_records()) check(w.Put(k, v), "Put");
    check(w.Finish(), "Finish");
    return path;
}

std::string write_user_timestamp_table(const std::string &path) {
    rocksdb::Options o;
    check(rocksdb::Comparator::CreateFromString(rocksdb::ConfigOptions(),
                                                "leveldb.BytewiseComparator.u64ts", &o.comparator),
          "the u64ts comparator");
    rocksdb::SstFileWriter w(rocksdb::EnvOptions(), o);
    check(w.Open(path), "SstFileWriter::Open");
    std::string ts(8, '\0');
    ts[0] = 42;  // fixed64 little-endian 42
    for (const auto &[k, v] : few_records()) check(w.Put(k, ts, v), "Put with timestamp");
    check(w.Finish(), "Finish");
    return path;
}

std::string write_reverse_comparator_table(const std::string &path) {
    rocksdb::Options o;
    o.comparator = rocksdb::ReverseBytewiseComparator();
    Records r = few_records();
    std::reverse(r.begin(), r.end());
    write_sst(path, o, r);
    return path;
}

std::string write_hash_index_table(const std::string &path) {
    rocksdb::Options o;
    o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
    rocksdb::BlockBasedTableOptions t;
    t.index_type = rocksdb::BlockBasedTableOptions::kHashSearch;
    t.block_size = 256;  // several blocks, so the index has something to hash
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    write_sst(path, o, few_records());
    return path;
}

std::string write_data_block_hash_index_table(const std::string &path) {
    rocksdb::Options o;
    rocksdb::BlockBasedTableOptions t;
    t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    write_sst(path, o, few_records());
    return path;
}

std::string write_partitioned_index_table(const std::string &path) {
    rocksdb::Options o;
    rocksdb::BlockBasedTableOptions t;
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.partition_filters = true;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.block_size = 256;
    t.metadata_block_size = 128;  // several index partitions
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    write_sst(path, o, few_records());
    return path;
}

std::string write_first_key_index_table(const std::string &path) {
    rocksdb::Options o;
    rocksdb::BlockBasedTableOptions t;
    t.index_type = rocksdb::BlockBasedTableOptions::kBinarySearchWithFirstKey;
    t.block_size = 256;
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    write_sst(path, o, few_records());
    return path;
}

std::string write_plain_table(const std::string &path) {
    rocksdb::Options o;
    o.table_factory.reset(rocksdb::NewPlainTableFactory());
    o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
    o.allow_mmap_reads = true;  // PlainTable is read through mmap only
    write_sst(path, o, few_records());
    return path;
}

std::string write_cuckoo_table(const std::string &path) {
    rocksdb::Options o;
    o.table_factory.reset(rocksdb::NewCuckooTableFactory());
    o.allow_mmap_reads = true;
    // Cuckoo tables want keys and values of one length each.
    Records r;
    for (const auto &[k, v] : few_records()) {
        std::string fixed = v;
        fixed.resize(12, '.');
        r.emplace_back(k, fixed);
    }
    write_sst(path, o, r);
    return path;
}

std::string write_blob_index_table(const std::string &path) {
    rocksdb::Options o;
    o.enable_blob_files = true;
    o.min_blob_size = 64;
    rocksdb_flush_table(path, o, [](rocksdb::DB &db, auto &) {
        rocksdb::WriteOptions wo;
        for (const auto &[k, v] : few_records()) check(db.Put(wo, k, v), "Put");
        // Values of min_blob_size or more go to the .blob file; the table
        // keeps a blob index in their place.
        check(db.Put(wo, "key00014", std::string(200, 'B')), "Put a blob");
        check(db.Put(wo, "key00700", std::string(5000, 'C')), "Put a blob");
    });
    return path;
}

std::string write_wide_column_table(const std::string &path) {
    rocksdb::Options o;
    rocksdb_flush_table(path, o, [](rocksdb::DB &db, auto &) {
        rocksdb::WriteOptions wo;
        for (const auto &[k, v] : few_records()) check(db.Put(wo, k, v), "Put");
        rocksdb::WideColumns cols{{rocksdb::kDefaultWideColumnName, "the default column"},
                                  {"colour", "blue"}};
        check(db.PutEntity(wo, db.DefaultColumnFamily(), "key00021", cols), "PutEntity");
        check(db.PutEntity(wo, db.DefaultColumnFamily(), "entity-only", cols), "PutEntity");
    });
    return path;
}

std::string write_refused_table(const std::string &path, Refused r) {
    switch (r) {
        case Refused::kMergeOperands:
            return write_merge_operand_table(path);
        case Refused::kRangeDeletion:
            return write_range_deletion_table(path);
        case Refused::kUserTimestamp:
            return write_user_timestamp_table(path);
        case Refused::kReverseComparator:
            return write_reverse_comparator_table(path);
        case Refused::kHashIndex:
            return write_hash_index_table(path);
        case Refused::kDataBlockHashIndex:
            return write_data_block_hash_index_table(path);
        case Refused::kPartitionedIndex:
            return write_partitioned_index_table(path);
        case Refused::kFirstKeyIndex:
            return write_first_key_index_table(path);
        case Refused::kPlainTable:
            return write_plain_table(path);
        case Refused::kCuckooTable:
            return write_cuckoo_table(path);
        case Refused::kBlobIndex:
            return write_blob_index_table(path);
        case Refused::kWideColumnEntity:
            return write_wide_column_table(path);
    }
    fail("unknown Refused");
}

}  // namespace sst_test
