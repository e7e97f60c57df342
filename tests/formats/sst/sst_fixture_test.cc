// The fixture tables and the oracles checked against each other before
// other suites trust them: every table read back by its library's reader
// and by sst_dump, its footer read by hand, and each refused table shown to
// really hold its feature.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "sst_fixture.h"
#include "sst_oracle.h"
#include "temp_dir.h"

using namespace sst_test;
using tools_test::TempDir;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Every key of t and n absent keys, through get.
template <typename Get>
void check_gets(const Table &t, Get get, size_t absent, uint64_t seed, size_t every = 1) {
    size_t i = 0, wrong = 0;
    for (const auto &[k, v] : t.values) {
        if (i++ % every) continue;
        auto got = get(k);
        if (!got || *got != v) {
            ADD_FAILURE() << t.path << ": key " << hex(k) << ": got "
                          << (got ? hex(*got) : "nothing") << ", want " << hex(v);
            if (++wrong > 10) return;
        }
    }
    for (const std::string &k : t.deleted) EXPECT_EQ(get(k), std::nullopt) << hex(k);
    std::vector<std::string> missing = absent_keys(t, absent, seed);
    EXPECT_GE(missing.size(), std::min<size_t>(absent, 100));
    for (const std::string &k : missing) {
        auto got = get(k);
        EXPECT_EQ(got, std::nullopt) << t.path << ": absent key " << hex(k) << " found";
        if (got && ++wrong > 10) return;
    }
}

Records to_records(const std::map<std::string, std::string> &m) {
    return Records(m.begin(), m.end());
}

// Entries of a table written by SstFileWriter: records in order, all
// sequence 0 and type value.
void expect_ingest_entries(const std::vector<Entry> &entries, const Records &recs) {
    ASSERT_EQ(entries.size(), recs.size());
    for (size_t i = 0; i < recs.size(); i++) {
        ASSERT_EQ(entries[i], (Entry{recs[i].first, 0, kValue, recs[i].second})) << i;
    }
}

// Internal entries in table order: user keys ascending, sequence numbers
// descending within a key.
void expect_internal_order(const std::vector<Entry> &entries) {
    for (size_t i = 1; i < entries.size(); i++) {
        const Entry &a = entries[i - 1], &b = entries[i];
        ASSERT_TRUE(a.key < b.key || (a.key == b.key && a.seq > b.seq))
            << "entry " << i << ": " << hex(a.key) << "@" << a.seq << " then " << hex(b.key) << "@"
            << b.seq;
    }
}

// ---- RocksDB tables across the options ----

struct RocksCase {
    RocksdbSpec spec;
    RecordShape shape;
};

std::vector<RocksCase> rocks_cases() {
    std::vector<RocksCase> out;
    RecordShape mixed{
        .count = 3000, .key_min = 1, .key_max = 64, .value_min = 0, .value_max = 600, .seed = 11};
    // Every format_version with every checksum.
    for (int fv = 0; fv <= 5; fv++)
        for (Checksum c : {Checksum::kNone, Checksum::kCrc32c, Checksum::kxxHash,
                           Checksum::kxxHash64, Checksum::kXXH3})
            out.push_back({{.format_version = fv, .checksum = c}, mixed});
    // Every compression, at the oldest format with size prefixes (2) and now.
    for (Compression c :
         {Compression::kNone, Compression::kSnappy, Compression::kZlib, Compression::kBZip2,
          Compression::kLz4, Compression::kLz4hc, Compression::kZstd})
        for (int fv : {2, 5}) {
            RecordShape text = mixed;
            text.binary = false;  // compressible, so blocks really are compressed
            out.push_back({{.compression = c, .format_version = fv}, text});
        }
    // Block sizes, restart intervals, filters, an uncompressed index.
    for (uint64_t bs : {uint64_t(4096), uint64_t(16384), uint64_t(65536)})
        out.push_back({{.block_size = bs, .compression = Compression::kNone}, mixed});
    for (int r : {1, 4, 128}) out.push_back({{.restart_interval = r}, mixed});
    for (Filter f : {Filter::kBloom, Filter::kRibbon})
        for (int fv : {4, 5}) out.push_back({{.format_version = fv, .filter = f}, mixed});
    out.push_back({{.index_compression = false}, mixed});
    out.push_back({{.compression = Compression::kZstd, .index_compression = false}, mixed});
    return out;
}

void PrintTo(const RocksCase &c, std::ostream *os) {
    *os << c.spec.describe() << (c.shape.binary ? "" : " text");
}

class RocksdbFixture : public testing::TestWithParam<RocksCase> {};

TEST_P(RocksdbFixture, ReaderSstDumpAndFooterAgree) {
    const RocksCase &c = GetParam();
    TempDir dir;
    Records recs = random_records(c.shape);
    Table t = write_rocksdb_table(dir / "t.sst", recs, c.spec);
    RocksdbOracle oracle(t.path);
    EXPECT_EQ(oracle.verify_checksums(), "");
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 500, 3);
    EXPECT_EQ(oracle.scan(), recs);
    expect_ingest_entries(sst_dump_entries(t.path), recs);
    EXPECT_EQ(sst_dump_verify(t.path), "");

    Footer f = read_footer(t.path);
    // format_version 0 has no checksum field: RocksDB writes 1 for others.
    bool upgraded = c.spec.format_version == 0 && c.spec.checksum != Checksum::kCrc32c;
    EXPECT_EQ(f.legacy, c.spec.format_version == 0 && !upgraded);
    EXPECT_EQ(f.format_version, upgraded ? 1u : uint32_t(c.spec.format_version));
    EXPECT_EQ(f.checksum, int(c.spec.checksum));

    RocksdbProperties p = oracle.properties();
    EXPECT_EQ(p.entries, recs.size());
    EXPECT_EQ(p.deletions, 0u);
    EXPECT_EQ(p.comparator, "leveldb.BytewiseComparator");
    std::string want_compression = name(c.spec.compression);
    std::string got_compression = p.compression;
    std::transform(got_compression.begin(), got_compression.end(), got_compression.begin(),
                   ::tolower);
    EXPECT_NE(got_compression.find(want_compression == "none" ? "nocompression" : want_compression),
              std::string::npos)
        << p.compression;
    if (c.spec.filter == Filter::kNone) {
        EXPECT_EQ(p.filter_size, 0u);
    } else {
        EXPECT_GT(p.filter_size, 0u);
        EXPECT_FALSE(p.filter_policy.empty());
    }
}

INSTANTIATE_TEST_SUITE_P(Specs, RocksdbFixture, testing::ValuesIn(rocks_cases()),
                         [](const auto &info) {
                             return (info.param.shape.binary ? "" : "text_") +
                                    info.param.spec.describe();
                         });

TEST(RocksdbFixtureEffects, BlockSizeAndCompressionShapeTheTable) {
    TempDir dir;
    Records recs = random_records({.count = 5000, .value_max = 200, .binary = false});
    auto blocks = [&](RocksdbSpec s, const std::string &name) {
        return RocksdbOracle(write_rocksdb_table(dir / name, recs, s).path).properties();
    };
    auto small = blocks({.block_size = 4096, .compression = Compression::kNone}, "a.sst");
    auto big = blocks({.block_size = 65536, .compression = Compression::kNone}, "b.sst");
    EXPECT_GT(small.data_blocks, 8 * big.data_blocks);
    auto packed = blocks({.compression = Compression::kZstd}, "c.sst");
    EXPECT_EQ(packed.data_blocks, small.data_blocks) << "block_size counts raw bytes";
    EXPECT_LT(std::filesystem::file_size(dir / "c.sst"), std::filesystem::file_size(dir / "a.sst"));
}

// ---- shapes ----

struct ShapeCase {
    const char *name;
    RecordShape shape;
    size_t check_every;  // 1: every key
};

void PrintTo(const ShapeCase &c, std::ostream *os) {
    *os << c.name;
}

class RocksdbShapes : public testing::TestWithParam<ShapeCase> {};
class LeveldbShapes : public testing::TestWithParam<ShapeCase> {};

const ShapeCase kShapes[] = {
    {"one_key", {.count = 1}, 1},
    {"one_byte_keys", {.count = 256, .key_min = 1, .key_max = 1}, 1},
    {"empty_values", {.count = 5000, .value_min = 0, .value_max = 0}, 1},
    {"kib_keys", {.count = 400, .key_min = 1000, .key_max = 8192, .value_max = 50}, 1},
    {"multi_block_values", {.count = 60, .value_min = 4000, .value_max = 40000}, 1},
    {"million_keys", {.count = 1000000, .key_min = 4, .key_max = 16, .value_max = 8}, 7},
};

TEST_P(RocksdbShapes, EveryKeyReadsBack) {
    TempDir dir;
    Records recs = random_records(GetParam().shape);
    ASSERT_EQ(recs.size(), GetParam().shape.count);
    Table t = write_rocksdb_table(dir / "t.sst", recs);
    RocksdbOracle oracle(t.path);
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 2000, 5, GetParam().check_every);
    expect_ingest_entries(sst_dump_entries(t.path), recs);
}

TEST_P(LeveldbShapes, EveryKeyReadsBack) {
    TempDir dir;
    Records recs = random_records(GetParam().shape);
    Table t = write_leveldb_table(dir / "t.ldb", recs);
    LeveldbOracle oracle(t.path);
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 2000, 5, GetParam().check_every);
    // Put one by one into an empty DB: sequence numbers 1..n in key order.
    std::vector<Entry> entries = oracle.entries();
    ASSERT_EQ(entries.size(), recs.size());
    for (size_t i = 0; i < recs.size(); i++)
        ASSERT_EQ(entries[i], (Entry{recs[i].first, i + 1, kValue, recs[i].second})) << i;
    EXPECT_EQ(sst_dump_entries(t.path), entries);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RocksdbShapes, testing::ValuesIn(kShapes),
                         [](const auto &info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(Shapes, LeveldbShapes, testing::ValuesIn(kShapes),
                         [](const auto &info) { return std::string(info.param.name); });

// ---- LevelDB tables across the options ----

std::vector<LeveldbSpec> leveldb_specs() {
    std::vector<LeveldbSpec> out;
    for (bool snappy : {false, true})
        for (uint64_t bs : {uint64_t(4096), uint64_t(16384), uint64_t(65536)})
            for (int bits : {0, 10}) out.push_back({bs, snappy, bits, 16});
    out.push_back({4096, true, 0, 1});
    out.push_back({4096, false, 6, 64});
    return out;
}

class LeveldbFixture : public testing::TestWithParam<LeveldbSpec> {};

TEST_P(LeveldbFixture, ReaderSstDumpAndFooterAgree) {
    TempDir dir;
    Records recs = random_records({.count = 4000, .key_max = 48, .value_max = 700, .seed = 9});
    Table t = write_leveldb_table(dir / "t.ldb", recs, GetParam());
    LeveldbOracle oracle(t.path);
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 500, 4);
    EXPECT_EQ(oracle.scan(), recs);
    EXPECT_EQ(sst_dump_entries(t.path), oracle.entries());
    EXPECT_EQ(sst_dump_verify(t.path), "");
    Footer f = read_footer(t.path);
    EXPECT_TRUE(f.legacy);
}

INSTANTIATE_TEST_SUITE_P(Specs, LeveldbFixture, testing::ValuesIn(leveldb_specs()),
                         [](const auto &info) { return info.param.describe(); });

// ---- several versions of a key in one table ----

// What the history left in the table: versions per key, by type.
struct Census {
    size_t keys_with_3_versions = 0, values = 0, deletions = 0, single_deletions = 0;
};

Census census(const std::vector<Entry> &entries) {
    Census c;
    size_t run = 0;
    for (size_t i = 0; i < entries.size(); i++) {
        run = (i && entries[i - 1].key == entries[i].key) ? run + 1 : 1;
        if (run == 3) c.keys_with_3_versions++;
        c.values += entries[i].type == kValue;
        c.deletions += entries[i].type == kDeletion;
        c.single_deletions += entries[i].type == kSingleDeletion;
    }
    return c;
}

// The newest entry of each key says what the DB's Get said.
void expect_newest_entries_match(const std::vector<Entry> &entries, const Table &t) {
    size_t keys = 0;
    for (size_t i = 0; i < entries.size(); i++) {
        if (i && entries[i - 1].key == entries[i].key) continue;
        keys++;
        const Entry &e = entries[i];
        if (e.type == kValue)
            EXPECT_EQ(t.expected(e.key), e.value) << hex(e.key);
        else
            EXPECT_TRUE(t.deleted.count(e.key)) << hex(e.key) << " type " << e.type;
    }
    EXPECT_EQ(keys, t.values.size() + t.deleted.size());
}

class RocksdbHistory : public testing::TestWithParam<RocksdbSpec> {};

TEST_P(RocksdbHistory, EveryVersionKeptAndTheNewestAnswers) {
    TempDir dir;
    auto ops = random_history(400, 6000, 21);
    Table t = write_rocksdb_history_table(dir / "h.sst", ops, GetParam());
    ASSERT_FALSE(t.values.empty());
    ASSERT_FALSE(t.deleted.empty());
    std::vector<Entry> entries = sst_dump_entries(t.path);
    EXPECT_EQ(entries.size(), ops.size()) << "a snapshot after every op keeps every version";
    expect_internal_order(entries);
    Census c = census(entries);
    EXPECT_GT(c.keys_with_3_versions, 50u);
    EXPECT_GT(c.deletions, 100u);
    EXPECT_GT(c.single_deletions, 100u);
    expect_newest_entries_match(entries, t);
    RocksdbOracle oracle(t.path);
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 500, 8);
    EXPECT_EQ(oracle.scan(), to_records(t.values));
    EXPECT_EQ(live_pairs(entries), to_records(t.values));
    EXPECT_EQ(oracle.properties().deletions, c.deletions + c.single_deletions);
}

INSTANTIATE_TEST_SUITE_P(Specs, RocksdbHistory,
                         testing::Values(RocksdbSpec{},
                                         RocksdbSpec{.compression = Compression::kNone,
                                                     .format_version = 2,
                                                     .checksum = Checksum::kCrc32c},
                                         RocksdbSpec{.block_size = 65536,
                                                     .compression = Compression::kZstd,
                                                     .filter = Filter::kBloom}),
                         [](const auto &info) { return info.param.describe(); });

class LeveldbHistory : public testing::TestWithParam<LeveldbSpec> {};

TEST_P(LeveldbHistory, EveryVersionKeptAndTheNewestAnswers) {
    TempDir dir;
    auto ops = random_history(400, 6000, 22, /*single_deletes=*/false);
    Table t = write_leveldb_history_table(dir / "h.ldb", ops, GetParam());
    ASSERT_FALSE(t.deleted.empty());
    LeveldbOracle oracle(t.path);
    std::vector<Entry> entries = oracle.entries();
    EXPECT_EQ(entries.size(), ops.size());
    expect_internal_order(entries);
    Census c = census(entries);
    EXPECT_GT(c.keys_with_3_versions, 50u);
    EXPECT_GT(c.deletions, 100u);
    EXPECT_EQ(c.single_deletions, 0u);
    expect_newest_entries_match(entries, t);
    check_gets(
        t, [&](std::string_view k) { return oracle.get(k); }, 500, 8);
    EXPECT_EQ(sst_dump_entries(t.path), entries);
}

INSTANTIATE_TEST_SUITE_P(Specs, LeveldbHistory,
                         testing::Values(LeveldbSpec{}, LeveldbSpec{65536, false, 10, 4}),
                         [](const auto &info) { return info.param.describe(); });

// ---- refused tables hold what they claim ----

class RefusedTables : public testing::TestWithParam<Refused> {};

uint64_t last_fixed64(const std::string &path) {
    std::string d = read_file(path);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | uint8_t(d[d.size() - 8 + i]);
    return v;
}

// rocksdb.block.based.table.index.type is a fixed32.
uint32_t index_type(const RocksdbProperties &p) {
    auto it = p.user.find("rocksdb.block.based.table.index.type");
    if (it == p.user.end() || it->second.size() != 4) return ~0u;
    return uint8_t(it->second[0]) | uint8_t(it->second[1]) << 8 | uint8_t(it->second[2]) << 16 |
           uint32_t(uint8_t(it->second[3])) << 24;
}

bool has_type(const std::vector<Entry> &entries, int type) {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const Entry &e) { return e.type == type; });
}

TEST_P(RefusedTables, HoldTheirFeature) {
    TempDir dir;
    std::string path = write_refused_table(dir / "r.sst", GetParam());
    ASSERT_EQ(path, dir / "r.sst");
    ASSERT_GT(std::filesystem::file_size(path), 0u);
    switch (GetParam()) {
        case Refused::kMergeOperands: {
            RocksdbOracle o(path);
            EXPECT_EQ(o.properties().merge_operands, 6u);
            EXPECT_EQ(o.properties().merge_operator, "StringAppendOperator");
            EXPECT_TRUE(has_type(sst_dump_entries(path), kMerge));
            // Without the merge operator RocksDB itself cannot answer.
            EXPECT_THROW(o.get("key00007"), std::runtime_error);
            break;
        }
        case Refused::kRangeDeletion:
            EXPECT_EQ(RocksdbOracle(path).properties().range_deletions, 1u);
            break;
        case Refused::kUserTimestamp:
            EXPECT_EQ(RocksdbOracle(path).properties().comparator,
                      "leveldb.BytewiseComparator.u64ts");
            // Every stored key carries the 8-byte timestamp.
            for (const Entry &e : sst_dump_entries(path))
                ASSERT_EQ(e.key.substr(e.key.size() - 8), std::string("\x2a\0\0\0\0\0\0\0", 8));
            break;
        case Refused::kReverseComparator: {
            EXPECT_EQ(RocksdbOracle(path).properties().comparator,
                      "rocksdb.ReverseBytewiseComparator");
            auto e = sst_dump_entries(path);
            ASSERT_GT(e.size(), 2u);
            EXPECT_GT(e[0].key, e[1].key);
            break;
        }
        case Refused::kHashIndex: {
            RocksdbProperties p = RocksdbOracle(path).properties();
            EXPECT_EQ(index_type(p), 1u);  // kHashSearch
            EXPECT_EQ(p.prefix_extractor, "rocksdb.FixedPrefix.4");
            break;
        }
        case Refused::kDataBlockHashIndex: {
            // No property tells; the same records without the hash index
            // make a different, smaller table.
            std::string plain = write_rocksdb_table(dir / "p.sst", refused_table_records()).path;
            EXPECT_EQ(RocksdbOracle(path).scan(), RocksdbOracle(plain).scan());
            EXPECT_GT(std::filesystem::file_size(path), std::filesystem::file_size(plain));
            break;
        }
        case Refused::kPartitionedIndex:
            EXPECT_EQ(index_type(RocksdbOracle(path).properties()), 2u);  // kTwoLevelIndexSearch
            break;
        case Refused::kFirstKeyIndex:
            EXPECT_EQ(index_type(RocksdbOracle(path).properties()), 3u);
            break;
        case Refused::kPlainTable:
            // The legacy PlainTable magic (its format_version 0), not a
            // block-based table's.
            EXPECT_EQ(last_fixed64(path), 0x4f3418eb7a8f13b8ull);
            EXPECT_THROW(read_footer(path), std::runtime_error);
            break;
        case Refused::kCuckooTable:
            EXPECT_EQ(last_fixed64(path), 0x926789d0c5f17873ull);
            EXPECT_THROW(read_footer(path), std::runtime_error);
            break;
        case Refused::kBlobIndex: {
            auto e = sst_dump_entries(path);
            EXPECT_EQ(std::count_if(e.begin(), e.end(),
                                    [](const Entry &x) { return x.type == kBlobIndex; }),
                      2);
            break;
        }
        case Refused::kWideColumnEntity: {
            auto e = sst_dump_entries(path);
            EXPECT_EQ(std::count_if(e.begin(), e.end(),
                                    [](const Entry &x) { return x.type == kWideColumnEntity; }),
                      2);
            break;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(All, RefusedTables, testing::ValuesIn(all_refused()),
                         [](const auto &info) { return std::string(name(info.param)); });

// ---- the oracles on their own ----

TEST(SstOracles, RefuseWhatTheyCannotRead) {
    TempDir dir;
    std::ofstream(dir / "junk.sst") << std::string(4096, 'x');
    EXPECT_THROW(RocksdbOracle(dir / "junk.sst"), std::runtime_error);
    EXPECT_THROW(LeveldbOracle(dir / "junk.sst"), std::runtime_error);
    EXPECT_THROW(read_footer(dir / "junk.sst"), std::runtime_error);
    EXPECT_THROW(RocksdbOracle(dir / "missing.sst"), std::runtime_error);
    EXPECT_THROW(sst_dump_entries(dir / "missing.sst"), std::runtime_error);
}

TEST(SstOracles, ChecksumsCatchAFlippedByte) {
    TempDir dir;
    Records recs = random_records({.count = 3000, .value_max = 50, .binary = false});
    Table t = write_rocksdb_table(dir / "t.sst", recs, {.compression = Compression::kNone});
    std::string d = read_file(t.path);
    d[100] ^= 0x40;  // inside the first data block
    std::ofstream(t.path, std::ios::binary | std::ios::trunc) << d;
    EXPECT_NE(RocksdbOracle(t.path).verify_checksums(), "");
    EXPECT_NE(sst_dump_verify(t.path), "");
}

TEST(SstOracles, LivePairsLetTheNewestEntryDecide) {
    std::vector<Entry> e = {{"a", 5, kDeletion, ""},       {"a", 3, kValue, "old"},
                            {"b", 9, kValue, "new"},       {"b", 2, kValue, "old"},
                            {"c", 4, kSingleDeletion, ""}, {"d", 1, kValue, "d"}};
    EXPECT_EQ(live_pairs(e), (std::vector<KeyValue>{{"b", "new"}, {"d", "d"}}));
    e.push_back({"e", 7, kMerge, "m"});
    EXPECT_THROW(live_pairs(e), std::runtime_error);
}

TEST(SstOracles, AbsentKeysAreAbsentAndPlenty) {
    Table t;
    for (const auto &[k, v] : random_records({.count = 500, .key_max = 3})) t.values[k] = v;
    t.deleted.insert("zz-deleted");
    auto keys = absent_keys(t, 300, 1);
    EXPECT_EQ(keys.size(), 300u);
    for (const auto &k : keys) {
        EXPECT_FALSE(t.values.count(k));
        EXPECT_NE(k, "zz-deleted");
    }
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

}  // namespace
