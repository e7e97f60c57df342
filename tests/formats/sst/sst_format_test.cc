// The SST reader (fs/lib/sst, bpf/sst_get.bpf.c) on tables written by
// RocksDB 7.8 and LevelDB 1.23 themselves, on every engine: every key and
// many absent ones against what the libraries' own Get answers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine_fixture.h"
#include "format.h"
#include "formats_fixture.h"
#include "sst_fixture.h"

namespace {

using chase_test::check_lookups;
using chase_test::engine_param_name;
using chase_test::engines_to_test;
using chase_test::make_session;
using chase_test::temp_dir;

std::string table_path(const std::string &name) {
    return temp_dir() + "/" + name;
}

// Every key of t and 500 absent ones, answered as t says.
void check_table(chase::EngineKind k, const sst_test::Table &t, const std::string &what) {
    auto f = chase_test::open_file(t.path);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->format().name(), std::string("sst"));
    auto s = make_session(k);
    ASSERT_TRUE(s);
    std::vector<std::string> keys;
    for (const auto &[key, v] : t.values) keys.push_back(key);
    for (const auto &key : t.deleted) keys.push_back(key);
    for (auto &key : sst_test::absent_keys(t, 500, 3)) keys.push_back(key);
    check_lookups(
        *s, *f, keys, [&](const std::string &key) { return t.expected(key); }, what.c_str());
}

// Blocks of 3 KiB: a block is cut once it passes block_size, so with these
// entries every block (plain or decompressed) stays under the 4091 bytes
// one hop holds.  Larger blocks: BlocksLargerThanAHopAreRefusedClearly.
constexpr uint64_t kBlock = 3072;

sst_test::Records small_records(uint64_t seed, size_t n = 3000) {
    return sst_test::random_records(
        {.count = n, .key_min = 1, .key_max = 48, .value_min = 0, .value_max = 120, .seed = seed});
}

class SstFormat : public testing::TestWithParam<chase::EngineKind> {};

TEST_P(SstFormat, RocksdbTablesOfEveryCompressionChecksumAndFormatVersion) {
    using sst_test::Checksum;
    using sst_test::Compression;
    std::vector<sst_test::RocksdbSpec> specs;
    for (Compression c : {Compression::kNone, Compression::kSnappy, Compression::kZlib,
                          Compression::kLz4, Compression::kLz4hc, Compression::kZstd})
        specs.push_back({.block_size = kBlock, .compression = c});
    for (Checksum c : {Checksum::kNone, Checksum::kCrc32c, Checksum::kxxHash, Checksum::kxxHash64})
        specs.push_back({.block_size = kBlock, .checksum = c});
    for (int fv : {0, 1, 2, 3, 4})
        specs.push_back(
            {.block_size = kBlock, .format_version = fv, .checksum = Checksum::kCrc32c});
    specs.push_back({.block_size = kBlock, .restart_interval = 1});
    specs.push_back({.block_size = kBlock, .restart_interval = 64, .index_compression = false});
    sst_test::Records recs = small_records(11);
    for (const auto &spec : specs) {
        auto t = sst_test::write_rocksdb_table(table_path(spec.describe() + ".sst"), recs, spec);
        check_table(GetParam(), t, spec.describe());
    }
}

TEST_P(SstFormat, RocksdbFiltersRuleKeysOutAndNeverLoseOne) {
    using sst_test::Filter;
    sst_test::Records recs = small_records(12, 5000);
    for (int fv : {2, 4, 5})
        for (Filter fl : {Filter::kBloom, Filter::kRibbon}) {
            sst_test::RocksdbSpec spec{.block_size = kBlock,
                                       .format_version = fv,
                                       .checksum = sst_test::Checksum::kCrc32c,
                                       .filter = fl};
            auto t =
                sst_test::write_rocksdb_table(table_path(spec.describe() + ".sst"), recs, spec);
            check_table(GetParam(), t, spec.describe());
        }
    // Bloom filters of both generations, and LevelDB's, are read: nearly
    // every absent key costs no read at all (10 bits per key: ~1% false
    // positives).
    struct Kind {
        int fv;  // 0: LevelDB
        const char *note;
    };
    for (Kind kind : {Kind{4, "legacy full Bloom filter, used"},
                      Kind{5, "fast local Bloom filter (format_version 5), used"},
                      Kind{0, "block-based Bloom filter, used"}}) {
        SCOPED_TRACE(kind.note);
        sst_test::Table t =
            kind.fv ? sst_test::write_rocksdb_table(
                          table_path("hops-" + std::to_string(kind.fv) + ".sst"), recs,
                          {.block_size = kBlock,
                           .format_version = kind.fv,
                           .checksum = sst_test::Checksum::kCrc32c,
                           .filter = Filter::kBloom})
                    : sst_test::write_leveldb_table(table_path("hops.ldb"), recs,
                                                    {.block_size = kBlock, .filter_bits = 10});
        auto f = chase_test::open_file(t.path);
        ASSERT_TRUE(f);
        EXPECT_NE(f->format().geometry().find(kind.note), std::string::npos)
            << f->format().geometry();
        auto s = make_session(GetParam());
        auto absent = sst_test::absent_keys(t, 1000, 4);
        f->reset_stats();
        check_lookups(
            *s, *f, absent, [&](const std::string &k) { return t.expected(k); }, kind.note);
        EXPECT_LT(f->stats().hops, absent.size() / 20) << "of " << absent.size() << " absent keys";
    }
}

TEST_P(SstFormat, LeveldbTablesWithAndWithoutSnappyAndFilters) {
    sst_test::Records recs = small_records(13);
    for (bool snappy : {false, true})
        for (int bits : {0, 10}) {
            sst_test::LeveldbSpec spec{.block_size = kBlock, .snappy = snappy, .filter_bits = bits};
            auto t =
                sst_test::write_leveldb_table(table_path(spec.describe() + ".ldb"), recs, spec);
            check_table(GetParam(), t, spec.describe());
        }
}

TEST_P(SstFormat, RandomBinaryKeysUpToTheFunctionsLimit) {
    // Long keys share long prefixes with their neighbours in the block;
    // values of 0 bytes are answered as empty, not as absent.
    sst_test::Records recs = sst_test::random_records(
        {.count = 400, .key_min = 1, .key_max = 900, .value_min = 0, .value_max = 8, .seed = 5});
    for (auto c : {sst_test::Compression::kNone, sst_test::Compression::kZstd}) {
        sst_test::RocksdbSpec spec{.block_size = 2048, .compression = c};
        auto t = sst_test::write_rocksdb_table(table_path("long-" + spec.describe() + ".sst"), recs,
                                               spec);
        check_table(GetParam(), t, "long keys " + spec.describe());
    }
}

TEST_P(SstFormat, OverwritesAndDeletesWithinOneTable) {
    auto ops = sst_test::random_history(300, 3000, 17);
    auto r = sst_test::write_rocksdb_history_table(table_path("history.sst"), ops,
                                                   {.block_size = kBlock});
    ASSERT_FALSE(r.deleted.empty());
    check_table(GetParam(), r, "rocksdb history");
    auto l = sst_test::write_leveldb_history_table(table_path("history.ldb"), ops,
                                                   {.block_size = kBlock});
    check_table(GetParam(), l, "leveldb history");

    // A deleted key says so, with the deletion's sequence number.
    auto f = chase_test::open_file(r.path);
    auto s = make_session(GetParam());
    std::string v;
    chase::Status st = s->get(*f, *r.deleted.begin(), &v);
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.msg.find("is deleted in this table"), std::string::npos) << st.msg;
}

TEST_P(SstFormat, RefusedFeaturesAreNamedAndNeverAnsweredWrongly) {
    struct Want {
        sst_test::Refused kind;
        bool at_open;      // the table is refused as a whole
        const char *word;  // the message names the feature
    };
    const Want wants[] = {
        {sst_test::Refused::kRangeDeletion, true, "range deletions"},
        {sst_test::Refused::kUserTimestamp, true, "timestamps"},
        {sst_test::Refused::kReverseComparator, true, "ReverseBytewiseComparator"},
        {sst_test::Refused::kHashIndex, true, "hash index"},
        {sst_test::Refused::kPartitionedIndex, true, "partitioned index"},
        {sst_test::Refused::kFirstKeyIndex, true, "first keys"},
        {sst_test::Refused::kPlainTable, true, "PlainTable"},
        {sst_test::Refused::kCuckooTable, true, "CuckooTable"},
        {sst_test::Refused::kDataBlockHashIndex, false, "hash index"},
        {sst_test::Refused::kMergeOperands, false, "merge operand"},
        {sst_test::Refused::kBlobIndex, false, "blob index"},
        {sst_test::Refused::kWideColumnEntity, false, "wide-column"},
    };
    auto s = make_session(GetParam());
    for (const Want &w : wants) {
        SCOPED_TRACE(sst_test::name(w.kind));
        std::string path = sst_test::write_refused_table(
            table_path(std::string("refused-") + sst_test::name(w.kind)), w.kind);
        std::shared_ptr<chase::DataFile> f;
        chase::Status st = chase::DataFile::open(path, {}, &f);
        if (w.at_open) {
            EXPECT_EQ(st.err, EOPNOTSUPP) << st.to_string();
            EXPECT_NE(st.msg.find(w.word), std::string::npos) << st.msg;
            continue;
        }
        ASSERT_TRUE(st.ok()) << st.to_string();
        // Ordinary keys answer their value or the refusal, never anything else.
        bool named = false;
        std::vector<std::string> keys{"merge-only"};
        for (const auto &[k, v] : sst_test::refused_table_records()) keys.push_back(k);
        auto recs = sst_test::refused_table_records();
        for (const std::string &k : keys) {
            std::string v;
            st = s->get(*f, k, &v);
            auto it = std::find_if(recs.begin(), recs.end(), [&](auto &r) { return r.first == k; });
            if (st.ok()) {
                ASSERT_NE(it, recs.end()) << k << " answered " << v;
                EXPECT_EQ(v, it->second) << k;
            } else if (st.err == EOPNOTSUPP) {
                named |= st.msg.find(w.word) != std::string::npos;
            } else {
                EXPECT_EQ(st.err, ENOENT) << k << ": " << st.to_string();
            }
        }
        EXPECT_TRUE(named) << "no lookup named " << w.word;
    }
}

TEST_P(SstFormat, CorruptBlocksGiveEbadmsgWithBothChecksums) {
    sst_test::Records recs = small_records(21, 2000);
    for (auto c : {sst_test::Checksum::kCrc32c, sst_test::Checksum::kXXH3}) {
        sst_test::RocksdbSpec spec{
            .block_size = kBlock, .compression = sst_test::Compression::kNone, .checksum = c};
        auto t = sst_test::write_rocksdb_table(table_path("corrupt-" + spec.describe() + ".sst"),
                                               recs, spec);
        // Flip a byte inside the first data block (offset 0): the value
        // there must never come back altered.
        int fd = open(t.path.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        uint8_t b;
        ASSERT_EQ(pread(fd, &b, 1, 100), 1);
        b ^= 0x5a;
        ASSERT_EQ(pwrite(fd, &b, 1, 100), 1);
        close(fd);
        auto f = chase_test::open_file(t.path);
        ASSERT_TRUE(f);
        auto s = make_session(GetParam());
        std::string v;
        chase::Status st = s->get(*f, t.values.begin()->first, &v);
        EXPECT_EQ(st.err, EBADMSG) << st.to_string();
        EXPECT_NE(st.msg.find("block at offset 0"), std::string::npos) << st.msg;
        EXPECT_NE(st.msg.find("stored 0x"), std::string::npos) << st.msg;
        EXPECT_NE(st.msg.find("computed 0x"), std::string::npos) << st.msg;
    }
    // Truncated: the footer is gone.
    auto t = sst_test::write_rocksdb_table(table_path("truncated.sst"), recs, {});
    std::filesystem::resize_file(t.path, std::filesystem::file_size(t.path) - 20);
    std::shared_ptr<chase::DataFile> f;
    chase::Status st = chase::DataFile::open(t.path, {}, &f);
    EXPECT_FALSE(st.ok());
}

// Blocks larger than a hop (TiKV's 32 KiB, RocksDB's 4 KiB blocks that an
// entry pushed past 4091 bytes, values of several blocks) are read whole
// once and searched in windows the daemon serves from memory.
TEST_P(SstFormat, LargeBlocksAreSearchedInWindows) {
    using sst_test::Compression;
    sst_test::Records recs = small_records(31, 6000);
    for (uint64_t bs : {4096u, 16384u, 32768u, 65536u})
        for (auto c : {Compression::kNone, Compression::kSnappy, Compression::kLz4}) {
            sst_test::RocksdbSpec spec{.block_size = bs, .compression = c};
            auto t = sst_test::write_rocksdb_table(table_path("big-" + spec.describe() + ".sst"),
                                                   recs, spec);
            check_table(GetParam(), t, spec.describe());
        }
    // Values from empty to several 32 KiB blocks, and keys up to 1900 bytes.
    sst_test::Records big = sst_test::random_records({.count = 300,
                                                      .key_min = 1,
                                                      .key_max = 1900,
                                                      .value_min = 0,
                                                      .value_max = 100000,
                                                      .seed = 32});
    for (auto c : {Compression::kNone, Compression::kZstd}) {
        sst_test::RocksdbSpec spec{.block_size = 32768, .compression = c, .restart_interval = 4};
        auto t = sst_test::write_rocksdb_table(table_path("values-" + spec.describe() + ".sst"),
                                               big, spec);
        check_table(GetParam(), t, "large values " + spec.describe());
    }
    sst_test::LeveldbSpec lspec{.block_size = 32768};
    auto l = sst_test::write_leveldb_table(table_path("big.ldb"), recs, lspec);
    check_table(GetParam(), l, lspec.describe());
}

// The trace says where each block came from: one device read (checked,
// and decompressed when stored so), then for a block larger than a hop
// only windows of it from memory.
TEST_P(SstFormat, TraceMarksReadCheckedDecompressedAndMemoryBlocks) {
    using sst_test::Compression;
    // Values that compress, so that the library stores blocks compressed.
    sst_test::Records recs;
    for (int i = 0; i < 3000; i++) {
        char k[16];
        snprintf(k, sizeof k, "key%06d", i);
        recs.emplace_back(k, std::string(40 + i % 50, 'a' + i % 26));
    }
    struct Case {
        sst_test::RocksdbSpec spec;
        bool windows;  // the block is larger than one hop
    } cases[] = {{{.block_size = kBlock, .compression = Compression::kNone}, false},
                 {{.block_size = 32768, .compression = Compression::kSnappy}, true},
                 {{.block_size = 32768, .compression = Compression::kNone}, true}};
    for (const Case &c : cases) {
        SCOPED_TRACE(c.spec.describe());
        auto t = sst_test::write_rocksdb_table(table_path("trace-" + c.spec.describe() + ".sst"),
                                               recs, c.spec);
        auto f = chase_test::open_file(t.path);
        ASSERT_TRUE(f);
        auto s = make_session(GetParam());
        std::vector<chase::HopTrace> hops;
        s->set_tracer([&](const chase::HopTrace &h) { hops.push_back(h); });
        size_t n = 0;
        for (const auto &[key, v] : t.values) {
            if (n++ % 301) continue;
            hops.clear();
            std::string got;
            ASSERT_TRUE(s->get(*f, key, &got).ok());
            ASSERT_EQ(got, v);
            ASSERT_GE(hops.size(), 2u);
            EXPECT_EQ(hops[0].how, 0u);  // the start call reads nothing
            uint32_t first =
                chase::kHopRead | chase::kHopChecked |
                (c.spec.compression == Compression::kNone ? 0u : uint32_t(chase::kHopDecompressed));
            EXPECT_EQ(hops[1].how, first);
            for (size_t i = 2; i < hops.size(); i++)
                EXPECT_EQ(hops[i].how, chase::kHopMemory) << "hop " << i;
            EXPECT_EQ(hops.size() > 2, c.windows) << hops.size() << " hops";
        }
    }
}

// Every key twice through a cache smaller than the table: answers match
// the library, the second pass is partly served from memory (and marked so
// in the trace, still checked), and a range scan does not use the cache.
TEST_P(SstFormat, ExtentCacheAnswersMatchTheLibrary) {
    using sst_test::Compression;
    sst_test::Records recs = small_records(35, 6000);
    for (auto c : {Compression::kNone, Compression::kSnappy}) {
        sst_test::RocksdbSpec spec{.block_size = 4096, .compression = c};
        auto t = sst_test::write_rocksdb_table(table_path("cached-" + spec.describe() + ".sst"),
                                               recs, spec);
        SCOPED_TRACE(spec.describe());
        std::shared_ptr<chase::DataFile> f;
        chase::OpenOptions oo;
        oo.cache_bytes = 256 << 10;  // a fraction of the table: CLOCK evicts
        ASSERT_TRUE(chase::DataFile::open(t.path, oo, &f).ok());
        ASSERT_NE(f->extent_cache(), nullptr);
        ASSERT_EQ(f->cache(), nullptr);
        auto s = make_session(GetParam());
        std::vector<std::string> keys;
        for (const auto &[key, v] : t.values) keys.push_back(key);
        for (auto &key : sst_test::absent_keys(t, 300, 5)) keys.push_back(key);
        for (int pass = 0; pass < 2; pass++)
            check_lookups(
                *s, *f, keys, [&](const std::string &key) { return t.expected(key); },
                "cached lookups");
        uint64_t hits = f->stats().cache_hits;
        EXPECT_GT(hits, 0u);
        // One key again, traced: its block now comes from the cache.
        const std::string &key = t.values.begin()->first;
        std::vector<chase::HopTrace> hops;
        s->set_tracer([&](const chase::HopTrace &h) { hops.push_back(h); });
        std::string v;
        ASSERT_TRUE(s->get(*f, key, &v).ok());
        ASSERT_TRUE(s->get(*f, key, &v).ok());
        s->set_tracer(nullptr);
        EXPECT_EQ(v, t.values.begin()->second);
        // The second lookup's first block (hop 1; windows of it may follow).
        auto last = std::find_if(hops.rbegin(), hops.rend(),
                                 [](const chase::HopTrace &h) { return h.hop == 1; });
        ASSERT_NE(last, hops.rend());
        EXPECT_EQ(last->how & (chase::kHopCache | chase::kHopChecked | chase::kHopRead),
                  chase::kHopCache | chase::kHopChecked);
        hits = f->stats().cache_hits;
        std::vector<chase::Record> all;
        ASSERT_TRUE(s->range(*f, "", "", 0, &all).ok());
        EXPECT_EQ(all.size(), t.values.size());
        EXPECT_EQ(f->stats().cache_hits, hits);
    }
}

// Ranges: the visible records between two keys, in order, as the table's
// own iterator gives them (newest version of each key; deleted keys hidden,
// also when the deletion and the older put lie in different blocks).
void check_ranges(chase::EngineKind k, const sst_test::Table &t, const std::string &what) {
    SCOPED_TRACE(what);
    auto f = chase_test::open_file(t.path);
    ASSERT_TRUE(f);
    auto s = make_session(k);
    auto want = [&](const std::string &lo, const std::string &hi, size_t limit) {
        std::vector<chase::Record> out;
        for (auto it = t.values.lower_bound(lo); it != t.values.end(); ++it) {
            if (!hi.empty() && it->first > hi) break;
            if (limit && out.size() == limit) break;
            out.push_back({it->first, it->second});
        }
        return out;
    };
    auto run = [&](const std::string &lo, const std::string &hi, size_t limit) {
        std::vector<chase::Record> got;
        chase::Status st = s->range(*f, lo, hi, limit, &got);
        ASSERT_TRUE(st.ok()) << st.to_string();
        auto exp = want(lo, hi, limit);
        ASSERT_EQ(got.size(), exp.size()) << "range " << chase_test::hexed(lo) << ".."
                                          << chase_test::hexed(hi) << " limit " << limit;
        for (size_t i = 0; i < got.size(); i++) {
            ASSERT_EQ(got[i].key, exp[i].key) << i;
            ASSERT_EQ(got[i].value, exp[i].value) << i;
        }
    };
    run("", "", 0);
    std::vector<std::string> bounds;
    size_t i = 0;
    for (const auto &[key, v] : t.values)
        if (i++ % 97 == 0) bounds.push_back(key);
    for (auto &key : t.deleted) bounds.push_back(key);
    for (auto &key : sst_test::absent_keys(t, 20, 9)) bounds.push_back(key);
    std::mt19937_64 rng(7);
    for (int n = 0; n < 40; n++) {
        std::string a = bounds[rng() % bounds.size()], b = bounds[rng() % bounds.size()];
        if (b < a) std::swap(a, b);
        run(a, b, n % 3 == 0 ? 1 + rng() % 50 : 0);
    }
}

TEST_P(SstFormat, RangesMatchTheTablesContents) {
    sst_test::Records recs = small_records(51, 4000);
    check_ranges(GetParam(), sst_test::write_rocksdb_table(table_path("range.sst"), recs, {}),
                 "rocksdb 4 KiB snappy");
    check_ranges(
        GetParam(),
        sst_test::write_rocksdb_table(table_path("range-32k.sst"), recs, {.block_size = 32768}),
        "rocksdb 32 KiB (windows)");
    check_ranges(GetParam(), sst_test::write_leveldb_table(table_path("range.ldb"), recs, {}),
                 "leveldb");
    // More visible entries in one block than one chain lists.
    sst_test::Records tiny = sst_test::random_records(
        {.count = 20000, .key_min = 1, .key_max = 5, .value_min = 0, .value_max = 2, .seed = 52});
    check_ranges(
        GetParam(),
        sst_test::write_rocksdb_table(table_path("range-tiny.sst"), tiny, {.block_size = 65536}),
        "rocksdb 64 KiB of tiny entries");
    // Several versions of a key, deletions, across blocks of 1 KiB.
    auto ops = sst_test::random_history(400, 5000, 53);
    check_ranges(GetParam(),
                 sst_test::write_rocksdb_history_table(table_path("range-history.sst"), ops,
                                                       {.block_size = 1024}),
                 "rocksdb history");
    check_ranges(GetParam(),
                 sst_test::write_leveldb_history_table(table_path("range-history.ldb"), ops,
                                                       {.block_size = 1024}),
                 "leveldb history");
}

// A byte flipped anywhere in a table (data, index, filter, properties,
// metaindex, trailers, footer): opening it, and every lookup, gives the
// right answer or an error with a sentence; never a wrong value, never a
// present key reported absent.  Checksums make that possible; the native
// engine runs the same function source as the BPF targets.
TEST(SstCorruption, FlippedBytesEverywhereNeverGiveAWrongAnswer) {
    sst_test::Records recs = small_records(41, 600);
    std::vector<sst_test::Table> tables;
    tables.push_back(
        sst_test::write_rocksdb_table(table_path("flip-default.sst"), recs, {.block_size = 1024}));
    tables.push_back(sst_test::write_rocksdb_table(table_path("flip-fv4.sst"), recs,
                                                   {.block_size = 1024,
                                                    .compression = sst_test::Compression::kNone,
                                                    .format_version = 4,
                                                    .checksum = sst_test::Checksum::kCrc32c,
                                                    .filter = sst_test::Filter::kBloom}));
    tables.push_back(sst_test::write_rocksdb_table(
        table_path("flip-big.sst"), recs,
        {.block_size = 32768, .compression = sst_test::Compression::kLz4}));
    tables.push_back(sst_test::write_leveldb_table(table_path("flip.ldb"), recs,
                                                   {.block_size = 1024, .filter_bits = 10}));
    auto s = make_session(chase::EngineKind::native);
    for (const auto &t : tables) {
        SCOPED_TRACE(t.path);
        std::string orig;
        {
            std::ifstream in(t.path, std::ios::binary);
            orig.assign(std::istreambuf_iterator<char>(in), {});
        }
        std::vector<std::string> sample;
        size_t i = 0;
        for (const auto &[k, v] : t.values)
            if (i++ % 29 == 0) sample.push_back(k);
        for (auto &k : sst_test::absent_keys(t, 10, 5)) sample.push_back(k);
        std::string bad = t.path + ".flipped";
        size_t flips = 0, wrong = 0;
        for (size_t at = 0; at < orig.size(); at += at + 80 >= orig.size() ? 1 : 53) {
            std::string copy = orig;
            copy[at] = char(copy[at] ^ 0x41);
            {
                std::ofstream o(bad, std::ios::binary | std::ios::trunc);
                o << copy;
            }
            flips++;
            std::shared_ptr<chase::DataFile> f;
            chase::Status st = chase::DataFile::open(bad, {}, &f);
            if (!st.ok()) {
                EXPECT_FALSE(st.msg.empty()) << "open, byte " << at;
                continue;
            }
            for (const std::string &k : sample) {
                std::string v;
                st = s->get(*f, k, &v);
                auto want = t.expected(k);
                bool right =
                    st.ok() ? want && v == *want : (st.err == ENOENT ? !want : !st.msg.empty());
                if (!right && wrong++ < 5)
                    ADD_FAILURE() << "byte " << at << " flipped: key " << chase_test::hexed(k)
                                  << ": "
                                  << (st.ok() ? "value " + chase_test::hexed(v) : st.to_string());
            }
        }
        EXPECT_EQ(wrong, 0u) << "of " << flips << " flips";
        EXPECT_GT(flips, 80u);
    }
}

INSTANTIATE_TEST_SUITE_P(Engines, SstFormat, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

}  // namespace
