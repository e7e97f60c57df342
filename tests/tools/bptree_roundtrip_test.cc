// The B+-tree writer, read back by the independent oracle reader and
// compared with an in-memory model (std::map) of what was written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>
#include <map>
#include <random>

#include "bptree_reader.h"
#include "bptree_writer.h"
#include "temp_dir.h"

using mkindex::BuildError;
using mkindex::GeneratedKeys;
using mkindex::Record;
using mkindex::SortedRecords;
using oracle::BptreeReader;
using Model = std::map<uint64_t, std::string>;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

BuildError write_file(const mkindex::KvSource &src, const std::string &path,
                      mkindex::BptreeSummary *sum = nullptr) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return BuildError::from_errno(path);
    BuildError e = mkindex::write_bptree(src, fd, nullptr, sum);
    close(fd);
    return e;
}

Model model_of(const mkindex::KvSource &src) {
    Model m;
    char buf[64];
    for (uint64_t i = 0; i < src.size(); i++) m[src.key(i)] = std::string(src.value(i, buf));
    return m;
}

std::vector<oracle::Record> model_range(const Model &m, uint64_t lo, uint64_t hi, size_t limit) {
    std::vector<oracle::Record> out;
    if (lo > hi) return out;
    for (auto it = m.lower_bound(lo); it != m.end() && it->first <= hi; ++it) {
        if (limit && out.size() == limit) break;
        out.push_back({it->first, it->second});
    }
    return out;
}

oracle::AggAnswer model_agg(const Model &m, uint64_t lo, uint64_t hi, const oracle::AggQuery &q) {
    oracle::AggAnswer a;
    for (const auto &r : model_range(m, lo, hi, 0)) {
        bool numeric = false;
        uint64_t v = 0;
        // Independent of parse_value_number: digits via std::string ops.
        size_t nd = r.value.find_first_not_of("0123456789");
        std::string digits = r.value.substr(0, std::min<size_t>(nd, 20));
        numeric = !digits.empty();
        for (char c : digits) v = v * 10 + uint64_t(c - '0');
        bool count_only = q.op == BPT_F_NONE && !q.want_sum;
        if (!count_only && q.op != BPT_F_NONE && !numeric) continue;
        bool pass = q.op == BPT_F_NONE || (q.op == BPT_F_LT && v < q.arg) ||
                    (q.op == BPT_F_LE && v <= q.arg) || (q.op == BPT_F_EQ && v == q.arg) ||
                    (q.op == BPT_F_NE && v != q.arg) || (q.op == BPT_F_GE && v >= q.arg) ||
                    (q.op == BPT_F_GT && v > q.arg);
        if (!pass) continue;
        a.count++;
        if (!count_only && numeric) {
            a.numeric++;
            if (a.sum + v < a.sum) a.overflow = true;
            a.sum += v;
        }
    }
    return a;
}

// Every key of the model is found with its value; keys next to them are not.
void expect_gets(BptreeReader &r, const Model &m, size_t max_checked = ~size_t(0)) {
    size_t step = std::max<size_t>(1, m.size() / std::min(max_checked, m.size() ? m.size() : 1));
    size_t i = 0;
    for (auto it = m.begin(); it != m.end(); ++it, ++i) {
        if (i % step && std::next(it) != m.end()) continue;
        std::optional<std::string> v;
        ASSERT_TRUE(r.get(it->first, &v).ok()) << it->first;
        ASSERT_TRUE(v.has_value()) << "key " << it->first;
        ASSERT_EQ(*v, it->second) << "key " << it->first;
        for (uint64_t probe : {it->first - 1, it->first + 1}) {
            if (m.count(probe)) continue;
            ASSERT_TRUE(r.get(probe, &v).ok()) << probe;
            ASSERT_FALSE(v.has_value()) << "absent key " << probe << " found";
        }
    }
}

void expect_scans(BptreeReader &r, const Model &m, std::mt19937_64 &rng, int rounds) {
    std::vector<uint64_t> keys;
    for (auto &kv : m) keys.push_back(kv.first);
    auto pick = [&]() -> uint64_t {
        if (keys.empty() || rng() % 4 == 0) return rng() % 3 == 0 ? kMax : rng();
        uint64_t k = keys[rng() % keys.size()];
        return k + (rng() % 3) - 1;  // the key or a neighbour (wraps at the ends)
    };
    for (int i = 0; i < rounds; i++) {
        uint64_t lo = pick(), hi = pick();
        if (rng() % 5 == 0) std::swap(lo, hi);  // sometimes an empty range lo > hi
        if (lo > hi && rng() % 5) std::swap(lo, hi);
        size_t limit = rng() % 3 == 0 ? 0 : 1 + rng() % 40;
        std::vector<oracle::Record> got;
        ASSERT_TRUE(r.range(lo, hi, limit, &got).ok());
        ASSERT_EQ(got, model_range(m, lo, hi, limit)) << lo << ".." << hi << " limit " << limit;
        oracle::AggQuery q;
        q.op = int(rng() % 7);
        q.want_sum = rng() % 2;
        q.arg = rng() % 2 ? pick() : rng() % 1000;
        oracle::AggAnswer a;
        ASSERT_TRUE(r.aggregate(lo, hi, q, &a).ok());
        ASSERT_EQ(a, model_agg(m, lo, hi, q))
            << lo << ".." << hi << " op " << q.op << " arg " << q.arg << " sum " << q.want_sum;
    }
}

struct GenCase {
    unsigned depth;
    uint64_t stride;
};

class GeneratedRoundTrip : public testing::TestWithParam<GenCase> {};

TEST_P(GeneratedRoundTrip, ReaderFindsEveryKeyAndNothingElse) {
    tools_test::TempDir dir;
    auto [depth, stride] = GetParam();
    uint64_t count = 1;
    for (unsigned i = 0; i < depth; i++) count *= 31;
    GeneratedKeys src(count, stride);
    ASSERT_TRUE(src.valid());
    mkindex::BptreeSummary sum;
    ASSERT_TRUE(write_file(src, dir / "t.db", &sum).ok());
    EXPECT_EQ(sum.depth, depth);
    EXPECT_EQ(sum.nkeys, count);

    BptreeReader r;
    oracle::Error e = r.open(dir / "t.db");
    ASSERT_TRUE(e.ok()) << e.msg;
    EXPECT_EQ(r.super().depth, depth);
    EXPECT_EQ(r.super().nkeys, count);
    e = r.check();
    ASSERT_TRUE(e.ok()) << e.msg;

    Model m = model_of(src);
    expect_gets(r, m, depth <= 3 ? ~size_t(0) : 20000);
    std::mt19937_64 rng(depth * 1000 + stride);
    expect_scans(r, m, rng, depth <= 2 ? 200 : depth == 3 ? 60 : 8);

    // A lookup reads depth nodes plus one value block, as in XRP's BPF-KV.
    std::optional<std::string> v;
    uint64_t before = r.reads();
    ASSERT_TRUE(r.get(src.key(count / 2), &v).ok());
    EXPECT_EQ(r.reads() - before, depth + 1);
    EXPECT_EQ(*v, std::to_string(src.key(count / 2)));
}

// Strides: dense, sparse, and one that puts the last key right at UINT64_MAX.
INSTANTIATE_TEST_SUITE_P(Depths, GeneratedRoundTrip,
                         testing::Values(GenCase{1, 1}, GenCase{1, kMax / 30}, GenCase{2, 1},
                                         GenCase{2, 7}, GenCase{3, 1}, GenCase{3, kMax / 29790},
                                         GenCase{4, 1}, GenCase{4, 1000003}),
                         [](const auto &info) {
                             return "depth" + std::to_string(info.param.depth) + "_stride" +
                                    std::to_string(info.param.stride);
                         });

// Partly filled trees from arbitrary keys (including 0 and UINT64_MAX) and
// values of every length 0..63, numeric or not.
class RandomRoundTrip : public testing::TestWithParam<uint64_t> {};

TEST_P(RandomRoundTrip, ReaderMatchesModel) {
    tools_test::TempDir dir;
    uint64_t n = GetParam();
    std::mt19937_64 rng(n);
    Model m;
    std::vector<uint64_t> edges = {0, 1, kMax - 1, kMax};
    for (uint64_t k : edges)
        if (m.size() < n) m[k] = std::to_string(k);
    while (m.size() < n) {
        uint64_t k = rng() % 4 ? rng() % (n * 8) : rng();
        std::string v;
        switch (rng() % 4) {
            case 0:
                v = std::to_string(rng() % 100000);
                break;
            case 1:
                v = std::to_string(rng()) + std::string(rng() % 20, '7');
                break;  // long digits
            case 2:
                v = std::string(rng() % 64, 'a' + rng() % 26);
                break;
            default:
                v = std::to_string(rng() % 50) + " apples";
                break;
        }
        m[k] = v;
    }
    std::vector<Record> recs;
    for (auto &[k, v] : m) recs.push_back({k, 0, v});
    SortedRecords src(std::move(recs));
    mkindex::BptreeSummary sum;
    ASSERT_TRUE(write_file(src, dir / "t.db", &sum).ok());
    unsigned want_depth = 1;
    for (uint64_t cap = 31; cap < n; cap *= 31) want_depth++;
    EXPECT_EQ(sum.depth, want_depth);

    BptreeReader r;
    oracle::Error e = r.open(dir / "t.db");
    ASSERT_TRUE(e.ok()) << e.msg;
    e = r.check();
    ASSERT_TRUE(e.ok()) << e.msg;
    expect_gets(r, m);
    expect_scans(r, m, rng, n > 5000 ? 40 : 300);
}

INSTANTIATE_TEST_SUITE_P(Sizes, RandomRoundTrip,
                         testing::Values(0, 1, 2, 4, 30, 31, 32, 960, 961, 962, 1000, 29791, 29792,
                                         40000));

TEST(BptreeWriter, EmptyFileIsOneEmptyLeaf) {
    tools_test::TempDir dir;
    ASSERT_TRUE(write_file(SortedRecords({}), dir / "e.db").ok());
    BptreeReader r;
    ASSERT_TRUE(r.open(dir / "e.db").ok());
    EXPECT_EQ(r.super().depth, 1u);
    EXPECT_EQ(r.super().nkeys, 0u);
    EXPECT_EQ(r.super().level_nodes[0], 1u);
    ASSERT_TRUE(r.check().ok());
    std::optional<std::string> v;
    ASSERT_TRUE(r.get(0, &v).ok());
    EXPECT_FALSE(v);
    std::vector<oracle::Record> recs;
    ASSERT_TRUE(r.range(0, kMax, 0, &recs).ok());
    EXPECT_TRUE(recs.empty());
}

TEST(BptreeWriter, SumOverflowIsFlagged) {
    tools_test::TempDir dir;
    std::string big = std::to_string(kMax - 5);
    ASSERT_TRUE(
        write_file(SortedRecords({{1, 0, big}, {2, 0, big}, {3, 0, "x"}}), dir / "o.db").ok());
    BptreeReader r;
    ASSERT_TRUE(r.open(dir / "o.db").ok());
    oracle::AggAnswer a;
    ASSERT_TRUE(r.aggregate(0, kMax, {BPT_F_NONE, 0, true}, &a).ok());
    EXPECT_EQ(a.count, 3u);
    EXPECT_EQ(a.numeric, 2u);
    EXPECT_TRUE(a.overflow);
    EXPECT_EQ(a.sum, (kMax - 5) * 2);  // mod 2^64
}

TEST(BptreeWriter, RejectsUnsortedKeys) {
    tools_test::TempDir dir;
    BuildError e = write_file(SortedRecords({{5, 0, "a"}, {3, 0, "b"}}), dir / "u.db");
    EXPECT_EQ(e.err, EINVAL);
    EXPECT_EQ(e.msg, "keys out of order at rank 1: 5 then 3");
    e = write_file(SortedRecords({{5, 0, "a"}, {5, 0, "b"}}), dir / "d.db");
    EXPECT_EQ(e.err, EINVAL);
}

TEST(BptreeWriter, RejectsBadValues) {
    tools_test::TempDir dir;
    BuildError e = write_file(SortedRecords({{1, 0, std::string(64, 'x')}}), dir / "l.db");
    EXPECT_EQ(e.err, EINVAL);
    EXPECT_EQ(e.msg, "value of key 1 is 64 bytes long; at most 63 are allowed");
    e = write_file(SortedRecords({{1, 0, std::string("a\0b", 3)}}), dir / "n.db");
    EXPECT_EQ(e.err, EINVAL);
    EXPECT_EQ(e.msg, "value of key 1 contains NUL");
    // 63 bytes is fine.
    EXPECT_TRUE(write_file(SortedRecords({{1, 0, std::string(63, 'x')}}), dir / "ok.db").ok());
}

TEST(BptreeLayout, DepthFollowsKeyCount) {
    mkindex::BptreeLayout l;
    uint64_t cap = 1;
    for (unsigned d = 1; d <= BPT_MAX_DEPTH; d++) {
        cap *= 31;
        ASSERT_TRUE(mkindex::plan_bptree(cap, &l).ok());
        EXPECT_EQ(l.depth, d);
        EXPECT_EQ(l.level_nodes[0], 1u);
        EXPECT_EQ(l.level_nodes[d - 1], cap / 31);
        if (d < BPT_MAX_DEPTH) {
            ASSERT_TRUE(mkindex::plan_bptree(cap + 1, &l).ok());
            EXPECT_EQ(l.depth, d + 1);
        }
    }
    BuildError e = mkindex::plan_bptree(cap + 1, &l);
    EXPECT_EQ(e.err, E2BIG);
}

TEST(BptreeLayout, FiveLevelFileSize) {
    // The size quoted for XRP's 5-level BPF-KV database (~2.2 GiB): index
    // plus 64 bytes per key, checked against a hand count of the nodes.
    mkindex::BptreeLayout l;
    ASSERT_TRUE(mkindex::plan_bptree(28629151, &l).ok());
    uint64_t nodes = 1 + 31 + 961 + 29791 + 923521;
    EXPECT_EQ(l.log_off, 512 + nodes * 512);
    EXPECT_EQ(l.log_size, 28629151ull * 64);
}

TEST(GeneratedKeys, OverflowIsInvalid) {
    EXPECT_TRUE(GeneratedKeys(31, kMax / 30).valid());
    EXPECT_FALSE(GeneratedKeys(31, kMax / 30 + 1).valid());
    EXPECT_FALSE(GeneratedKeys(2, 0).valid());
    EXPECT_TRUE(GeneratedKeys(1, 0).valid());
    EXPECT_TRUE(GeneratedKeys(0, 5).valid());
}

}  // namespace
