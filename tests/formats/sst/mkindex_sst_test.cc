// chase-mkindex --format rocksdb|leveldb as a user runs it: each option's
// table read back key by key by the library's own reader and by sst_dump,
// its footer and properties as asked, the same table the fixture writes
// through the library with the same options, and bad options refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "run_tool.h"
#include "sst_fixture.h"
#include "sst_oracle.h"
#include "temp_dir.h"

using namespace sst_test;
using tools_test::run_tool;
using tools_test::slurp;
using tools_test::TempDir;

namespace {

const std::string kTool = CHASE_MKINDEX_BIN;

// Binary records a TSV file can carry: no TAB in keys, no LF anywhere, no
// CR at a line's end (it would be dropped).  Those bytes become others.
Records tsv_safe(Records recs) {
    auto clean = [](std::string &s) {
        for (char &c : s)
            if (c == '\t' || c == '\n' || c == '\r') c = char(0x80 | c);
    };
    for (auto &[k, v] : recs) {
        clean(k);
        clean(v);
    }
    std::sort(recs.begin(), recs.end());
    recs.erase(std::unique(recs.begin(), recs.end(),
                           [](const auto &a, const auto &b) { return a.first == b.first; }),
               recs.end());
    return recs;
}

// A mix: many small records, a few with keys of KiB and values of several
// 4 KiB blocks, and an empty value.
Records mixed_records(uint64_t seed) {
    Records a = random_records(
        {.count = 2500, .key_min = 1, .key_max = 64, .value_max = 600, .seed = seed});
    Records b = random_records({.count = 30,
                                .key_min = 1000,
                                .key_max = 6000,
                                .value_min = 5000,
                                .value_max = 30000,
                                .seed = seed + 1});
    a.insert(a.end(), b.begin(), b.end());
    a.emplace_back("empty value", "");
    return tsv_safe(std::move(a));
}

// Written in shuffled order: the tool sorts.
std::string write_tsv(const std::string &path, Records recs) {
    std::shuffle(recs.begin(), recs.end(), std::mt19937_64(5));
    std::ofstream out(path, std::ios::binary);
    for (const auto &[k, v] : recs) out << k << '\t' << v << '\n';
    return path;
}

tools_test::RunResult mkindex(const TempDir &dir, std::vector<std::string> args) {
    args.insert(args.begin(), kTool);
    return run_tool(args, dir.path());
}

Table table_of(const std::string &path, const Records &recs) {
    Table t{path, {}, {}};
    for (const auto &[k, v] : recs) t.values.emplace(k, v);
    return t;
}

// Every key, and absent keys next to them, through get.
template <typename Get>
void check_every_key(const Table &t, Get get) {
    int wrong = 0;
    for (const auto &[k, v] : t.values) {
        auto got = get(k);
        if (got != v) {
            ADD_FAILURE() << "key " << hex(k) << ": got " << (got ? hex(*got) : "nothing")
                          << ", want " << hex(v);
            if (++wrong > 10) return;
        }
    }
    auto absent = absent_keys(t, 1000, 2);
    ASSERT_GT(absent.size(), 500u);
    for (const std::string &k : absent) {
        auto got = get(k);
        EXPECT_EQ(got, std::nullopt) << "absent key " << hex(k);
        if (got && ++wrong > 10) return;
    }
}

// Only IN and OUT are left: no temporary files.
void expect_only(const TempDir &dir, std::vector<std::string> names) {
    std::vector<std::string> got = dir.entries();
    std::sort(got.begin(), got.end());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(got, names);
}

// ---- rocksdb ----

struct RocksOpts {
    const char *name;
    std::vector<std::string> args;
    RocksdbSpec spec;  // the same table through the fixture
};

const RocksOpts kRocksOpts[] = {
    {"defaults", {}, {}},
    {"none", {"--compression", "none"}, {.compression = Compression::kNone}},
    {"snappy", {"--compression", "snappy"}, {.compression = Compression::kSnappy}},
    {"lz4", {"--compression", "lz4"}, {.compression = Compression::kLz4}},
    {"zstd", {"--compression", "zstd"}, {.compression = Compression::kZstd}},
    {"zlib", {"--compression", "zlib"}, {.compression = Compression::kZlib}},
    {"checksum_none", {"--checksum", "none"}, {.checksum = Checksum::kNone}},
    {"crc32c", {"--checksum", "crc32c"}, {.checksum = Checksum::kCrc32c}},
    {"xxhash", {"--checksum", "xxhash"}, {.checksum = Checksum::kxxHash}},
    {"xxhash64", {"--checksum", "xxhash64"}, {.checksum = Checksum::kxxHash64}},
    {"xxh3", {"--checksum", "xxh3"}, {.checksum = Checksum::kXXH3}},
    {"fv0",
     {"--format-version", "0", "--checksum", "crc32c"},
     {.format_version = 0, .checksum = Checksum::kCrc32c}},
    {"fv1", {"--format-version", "1"}, {.format_version = 1}},
    {"fv2", {"--format-version", "2"}, {.format_version = 2}},
    {"fv3", {"--format-version", "3"}, {.format_version = 3}},
    {"fv4", {"--format-version", "4"}, {.format_version = 4}},
    {"fv5", {"--format-version", "5"}, {.format_version = 5}},
    {"block_16k", {"--block-size", "16384"}, {.block_size = 16384}},
    {"block_64k_raw",
     {"--block-size", "65536", "--compression", "none"},
     {.block_size = 65536, .compression = Compression::kNone}},
    {"block_1", {"--block-size", "1"}, {.block_size = 1}},
    {"filter_10", {"--filter-bits", "10"}, {.filter = Filter::kBloom, .filter_bits = 10}},
    {"filter_3_fv4",
     {"--filter-bits", "3", "--format-version", "4"},
     {.format_version = 4, .filter = Filter::kBloom, .filter_bits = 3}},
    {"restart_1", {"--restart-interval", "1"}, {.restart_interval = 1}},
    {"restart_100", {"--restart-interval", "100"}, {.restart_interval = 100}},
    {"tikv_like",
     {"--format-version", "2", "--checksum", "crc32c", "--compression", "lz4", "--block-size",
      "32768", "--filter-bits", "10", "--restart-interval", "8"},
     {.block_size = 32768,
      .compression = Compression::kLz4,
      .format_version = 2,
      .checksum = Checksum::kCrc32c,
      .filter = Filter::kBloom,
      .filter_bits = 10,
      .restart_interval = 8}},
};

void PrintTo(const RocksOpts &c, std::ostream *os) {
    *os << c.name;
}

class MkindexRocksdb : public testing::TestWithParam<RocksOpts> {};

TEST_P(MkindexRocksdb, EveryKeyReadsBackAsTheLibraryWritesIt) {
    const RocksOpts &c = GetParam();
    TempDir dir;
    Records recs = mixed_records(31);
    write_tsv(dir / "in.tsv", recs);
    std::vector<std::string> args = {"--format", "rocksdb"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--tsv", dir / "in.tsv", dir / "out.sst"});
    auto r = mkindex(dir, args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.rfind(dir / "out.sst" + ": rocksdb, " + std::to_string(recs.size()) +
                              " keys, format_version " + std::to_string(c.spec.format_version),
                          0),
              0u)
        << r.out;
    EXPECT_NE(r.out.find(std::to_string(std::filesystem::file_size(dir / "out.sst")) + " bytes"),
              std::string::npos)
        << r.out;
    expect_only(dir, {"in.tsv", "out.sst"});

    Table t = table_of(dir / "out.sst", recs);
    RocksdbOracle oracle(t.path);
    EXPECT_EQ(oracle.verify_checksums(), "");
    check_every_key(t, [&](std::string_view k) { return oracle.get(k); });
    EXPECT_EQ(oracle.scan(), recs);
    std::vector<Entry> dumped = sst_dump_entries(t.path);
    ASSERT_EQ(dumped.size(), recs.size());
    for (size_t i = 0; i < recs.size(); i++)
        ASSERT_EQ(dumped[i], (Entry{recs[i].first, 0, kValue, recs[i].second})) << i;

    Footer f = read_footer(t.path);
    EXPECT_EQ(f.legacy, c.spec.format_version == 0);
    EXPECT_EQ(f.format_version, uint32_t(c.spec.format_version));
    EXPECT_EQ(f.checksum, int(c.spec.checksum));

    // The fixture writes the same records with the same options through
    // SstFileWriter directly: the same blocks, so the same counts and sizes.
    Table fx = write_rocksdb_table(dir / "fixture.sst", recs, c.spec);
    RocksdbProperties got = oracle.properties(), want = RocksdbOracle(fx.path).properties();
    EXPECT_EQ(got.entries, recs.size());
    EXPECT_EQ(got.compression, want.compression);
    EXPECT_EQ(got.data_blocks, want.data_blocks);
    EXPECT_EQ(got.index_size, want.index_size);
    EXPECT_EQ(got.filter_size, want.filter_size);
    EXPECT_EQ(got.filter_policy, want.filter_policy);
    EXPECT_EQ(std::filesystem::file_size(t.path), std::filesystem::file_size(fx.path));
    if (c.spec.filter == Filter::kNone)
        EXPECT_EQ(got.filter_size, 0u);
    else
        EXPECT_GT(got.filter_size, 0u);
}

INSTANTIATE_TEST_SUITE_P(Options, MkindexRocksdb, testing::ValuesIn(kRocksOpts),
                         [](const auto &info) { return std::string(info.param.name); });

TEST(MkindexRocksdbEffects, OptionsChangeTheTable) {
    TempDir dir;
    Records recs = tsv_safe(random_records({.count = 6000, .value_max = 100, .binary = false}));
    write_tsv(dir / "in.tsv", recs);
    auto build = [&](const std::string &name, std::vector<std::string> extra) {
        std::vector<std::string> args = {"--format", "rocksdb", "--compression", "none"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"--tsv", dir / "in.tsv", dir / name});
        auto r = mkindex(dir, args);
        EXPECT_EQ(r.status, 0) << r.err;
        return RocksdbOracle(dir / name).properties();
    };
    auto small = build("a.sst", {});
    auto big = build("b.sst", {"--block-size", "65536"});
    EXPECT_GT(small.data_blocks, 10 * big.data_blocks);
    build("c.sst", {"--restart-interval", "1"});
    // Every key written in full (no shared prefixes) takes more room.
    EXPECT_GT(std::filesystem::file_size(dir / "c.sst"), std::filesystem::file_size(dir / "a.sst"));
    build("d.sst", {"--compression", "zstd"});
    EXPECT_LT(std::filesystem::file_size(dir / "d.sst"), std::filesystem::file_size(dir / "a.sst"));
}

// ---- leveldb ----

struct LevelOpts {
    const char *name;
    std::vector<std::string> args;
    LeveldbSpec spec;
};

const LevelOpts kLevelOpts[] = {
    {"defaults", {}, {}},
    {"none", {"--compression", "none"}, {4096, false, 0, 16}},
    {"snappy", {"--compression", "snappy"}, {4096, true, 0, 16}},
    {"block_16k", {"--block-size", "16384"}, {16384, true, 0, 16}},
    {"block_64k_raw", {"--block-size", "65536", "--compression", "none"}, {65536, false, 0, 16}},
    {"filter_10", {"--filter-bits", "10"}, {4096, true, 10, 16}},
    {"filter_1", {"--filter-bits", "1"}, {4096, true, 1, 16}},
    {"restart_1", {"--restart-interval", "1"}, {4096, true, 0, 1}},
    {"restart_64", {"--restart-interval", "64"}, {4096, true, 0, 64}},
    {"all",
     {"--block-size", "8192", "--compression", "none", "--filter-bits", "12", "--restart-interval",
      "4"},
     {8192, false, 12, 4}},
};

void PrintTo(const LevelOpts &c, std::ostream *os) {
    *os << c.name;
}

class MkindexLeveldb : public testing::TestWithParam<LevelOpts> {};

TEST_P(MkindexLeveldb, LeveldbIsWhatTheDbWrites) {
    const LevelOpts &c = GetParam();
    TempDir dir;
    Records recs = mixed_records(41);
    write_tsv(dir / "in.tsv", recs);
    std::vector<std::string> args = {"--format", "leveldb"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--tsv", dir / "in.tsv", dir / "000005.ldb"});
    auto r = mkindex(dir, args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.rfind(dir / "000005.ldb" + ": leveldb, " + std::to_string(recs.size()) +
                              " keys, sequences 1.." + std::to_string(recs.size()),
                          0),
              0u)
        << r.out;
    expect_only(dir, {"in.tsv", "000005.ldb"});

    Table t = table_of(dir / "000005.ldb", recs);
    LeveldbOracle oracle(t.path);
    check_every_key(t, [&](std::string_view k) { return oracle.get(k); });
    std::vector<Entry> entries = oracle.entries();
    ASSERT_EQ(entries.size(), recs.size());
    for (size_t i = 0; i < recs.size(); i++)
        ASSERT_EQ(entries[i], (Entry{recs[i].first, i + 1, kValue, recs[i].second})) << i;
    EXPECT_EQ(sst_dump_entries(t.path), entries);
    EXPECT_EQ(sst_dump_verify(t.path), "");
    EXPECT_TRUE(read_footer(t.path).legacy);

    // A LevelDB DB given the same puts, in key order, writes the same bytes.
    Table db = write_leveldb_table(dir / "db.ldb", recs, c.spec);
    std::string mine = slurp(t.path), theirs = slurp(db.path);
    EXPECT_EQ(mine.size(), theirs.size());
    EXPECT_TRUE(mine == theirs)
        << "first difference at byte "
        << std::distance(
               mine.begin(),
               std::mismatch(mine.begin(), mine.end(), theirs.begin(), theirs.end()).first);
}

INSTANTIATE_TEST_SUITE_P(Options, MkindexLeveldb, testing::ValuesIn(kLevelOpts),
                         [](const auto &info) { return std::string(info.param.name); });

// ---- generated keys ----

TEST(MkindexSst, GeneratedKeysAreDecimalTextInByteOrder) {
    TempDir dir;
    for (const char *format : {"rocksdb", "leveldb"}) {
        std::string out = dir / (std::string("gen.") + format);
        auto r = mkindex(dir, {"--format", format, "--count", "2000", "--stride", "3", out});
        ASSERT_EQ(r.status, 0) << r.err;
        std::vector<KeyValue> all = std::string(format) == "rocksdb" ? RocksdbOracle(out).scan()
                                                                     : LeveldbOracle(out).scan();
        ASSERT_EQ(all.size(), 2000u);
        EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
        EXPECT_EQ(all.front(), (KeyValue{"0", "0"}));
        EXPECT_EQ(all[1], (KeyValue{"1002", "1002"})) << "byte order, not numeric";
        EXPECT_EQ(all.back(), (KeyValue{"999", "999"}));
        for (const char *k : {"0", "3", "5997", "1500"}) {
            auto v = std::string(format) == "rocksdb" ? rocksdb_get(out, k) : leveldb_get(out, k);
            EXPECT_EQ(v, std::optional<std::string>(k)) << format << " " << k;
        }
        for (const char *k : {"1", "6000", "", "00"})
            EXPECT_EQ(std::string(format) == "rocksdb" ? rocksdb_get(out, k) : leveldb_get(out, k),
                      std::nullopt)
                << format << " " << k;
    }
}

// ---- input errors (exit 1), atomic output ----

TEST(MkindexSst, RepeatedKeysAndEmptyInputAreErrorsAndLeaveOutAlone) {
    TempDir dir;
    std::ofstream(dir / "dup.tsv") << "k\t1\nother\t2\nk\t3\n";
    std::ofstream(dir / "empty.tsv") << "";
    std::ofstream(dir / "out") << "old";
    for (const char *format : {"rocksdb", "leveldb"}) {
        auto r = mkindex(dir, {"--format", format, "--tsv", dir / "dup.tsv", dir / "out"});
        EXPECT_EQ(r.status, 1);
        std::string what = std::string(format) == "rocksdb" ? "an SST table" : "a LevelDB table";
        EXPECT_EQ(r.err, "chase-mkindex: line 3: key 'k' repeats line 1 (" + what +
                             " written here holds one value per key)\n");
        r = mkindex(dir, {"--format", format, "--tsv", dir / "empty.tsv", dir / "out"});
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.err, std::string("chase-mkindex: no keys: ") +
                             (std::string(format) == "rocksdb"
                                  ? "RocksDB's SstFileWriter writes no empty table\n"
                                  : "LevelDB writes no empty table\n"));
        EXPECT_EQ(slurp(dir / "out"), "old");
    }
    expect_only(dir, {"dup.tsv", "empty.tsv", "out"});
}

TEST(MkindexSst, ReplacesOutOnlyOnSuccessWhateverItsName) {
    TempDir dir;
    std::ofstream(dir / "in.tsv") << "a\t1\nb\t2\n";
    std::ofstream(dir / "table.data") << "old";
    auto r = mkindex(dir, {"--format", "rocksdb", "--tsv", dir / "in.tsv", dir / "table.data"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(rocksdb_get(dir / "table.data", "b"), "2");
    r = mkindex(dir, {"--format", "leveldb", "--tsv", dir / "in.tsv", dir / "table.data"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(leveldb_get(dir / "table.data", "a"), "1");
    expect_only(dir, {"in.tsv", "table.data"});
}

// ---- usage errors (exit 2) ----

struct BadArgs {
    const char *name;
    std::vector<std::string> args;
    std::string first_line;
};

void PrintTo(const BadArgs &c, std::ostream *os) {
    *os << c.name;
}

class MkindexSstUsage : public testing::TestWithParam<BadArgs> {};

TEST_P(MkindexSstUsage, ExitsTwoNamingTheOption) {
    TempDir dir;
    std::ofstream(dir / "in.tsv") << "a\t1\n";
    std::vector<std::string> args;
    for (const std::string &a : GetParam().args) args.push_back(a == "IN" ? dir / "in.tsv" : a);
    if (args.empty() || args.back() != "--compression") args.push_back(dir / "out");
    auto r = mkindex(dir, args);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "chase-mkindex: " + GetParam().first_line);
    EXPECT_NE(r.err.find("usage: chase-mkindex"), std::string::npos);
    EXPECT_NE(r.err.find("--format-version N"), std::string::npos) << "usage lists table options";
    expect_only(dir, {"in.tsv"});
}

const std::string kLeveldbOnly =
    " applies to --format rocksdb only (LevelDB has one table format, with CRC32c checksums)";

INSTANTIATE_TEST_SUITE_P(
    Cases, MkindexSstUsage,
    testing::Values(
        BadArgs{"rocksdb_compression",
                {"--format", "rocksdb", "--compression", "brotli", "--tsv", "IN"},
                "--compression for rocksdb is none|snappy|lz4|zstd|zlib, not 'brotli'"},
        BadArgs{"leveldb_zstd",
                {"--format", "leveldb", "--compression", "zstd", "--tsv", "IN"},
                "--compression for leveldb is none|snappy (all LevelDB 1.23 has), not 'zstd'"},
        BadArgs{"checksum",
                {"--format", "rocksdb", "--checksum", "md5", "--tsv", "IN"},
                "--checksum is none|crc32c|xxhash|xxhash64|xxh3, not 'md5'"},
        BadArgs{"format_version_6",
                {"--format", "rocksdb", "--format-version", "6", "--tsv", "IN"},
                "--format-version must be 0..5 (what RocksDB 7.8 writes)"},
        BadArgs{"format_version_0_xxh3",
                {"--format", "rocksdb", "--format-version", "0", "--tsv", "IN"},
                "--format-version 0 has CRC32c checksums only; add --checksum crc32c (with "
                "--checksum xxh3 RocksDB writes format_version 1)"},
        BadArgs{
            "format_version_0_xxhash",
            {"--format-version", "0", "--checksum", "xxhash", "--format", "rocksdb", "--tsv", "IN"},
            "--format-version 0 has CRC32c checksums only; add --checksum crc32c (with "
            "--checksum xxhash RocksDB writes format_version 1)"},
        BadArgs{"leveldb_format_version",
                {"--format", "leveldb", "--format-version", "5", "--tsv", "IN"},
                "--format-version" + kLeveldbOnly},
        BadArgs{"leveldb_checksum",
                {"--format", "leveldb", "--checksum", "crc32c", "--tsv", "IN"},
                "--checksum" + kLeveldbOnly},
        BadArgs{"bptree_block_size",
                {"--block-size", "4096", "--tsv", "IN"},
                "--block-size applies to --format rocksdb and leveldb, not bptree"},
        BadArgs{"lmdb_filter",
                {"--format", "lmdb", "--filter-bits", "10", "--tsv", "IN"},
                "--filter-bits applies to --format rocksdb and leveldb, not lmdb"},
        BadArgs{"block_size_0",
                {"--format", "rocksdb", "--block-size", "0", "--tsv", "IN"},
                "--block-size must be 1..4294967295"},
        BadArgs{"block_size_4g",
                {"--format", "leveldb", "--block-size", "4294967296", "--tsv", "IN"},
                "--block-size must be 1..4294967295"},
        BadArgs{"block_size_text",
                {"--format", "rocksdb", "--block-size", "4k", "--tsv", "IN"},
                "--block-size wants a decimal number, not '4k'"},
        BadArgs{"restart_0",
                {"--format", "leveldb", "--restart-interval", "0", "--tsv", "IN"},
                "--restart-interval must be 1..2147483647"},
        BadArgs{"filter_101",
                {"--format", "rocksdb", "--filter-bits", "101", "--tsv", "IN"},
                "--filter-bits must be 0..100 (0: no filter; RocksDB caps it at 100)"},
        BadArgs{"no_value",
                {"--format", "rocksdb", "--tsv", "IN", "out", "--compression"},
                "--compression needs a value"}),
    [](const auto &info) { return std::string(info.param.name); });

}  // namespace
