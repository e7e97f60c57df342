// Every B+-tree storage function on every engine, against the independent
// reader (tests/oracle), on generated trees of depth 1 to 4 and on trees
// built from TSV with awkward values.
#include <algorithm>
#include <optional>
#include <set>

#include "engine_fixture.h"

using namespace chase;
using namespace chase_test;

namespace {

oracle::BptreeReader reader_for(const std::string &path) {
    oracle::BptreeReader r;
    oracle::Error e = r.open(path);
    EXPECT_TRUE(e.ok()) << e.msg;
    return r;
}

// Keys worth asking about in a file of keys 0, stride, ..., (n-1)*stride:
// every edge, and random present and absent ones.
std::vector<uint64_t> probe_keys(uint64_t n, uint64_t stride, size_t random, uint32_t seed) {
    std::vector<uint64_t> keys = {
        0,          1,          stride,        (n - 1) * stride, (n - 1) * stride + 1,
        n * stride, UINT64_MAX, UINT64_MAX - 1};
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < random; i++) {
        uint64_t k = (rng() % n) * stride;
        keys.push_back(k);
        if (stride > 1) keys.push_back(k + 1 + rng() % (stride - 1));  // between keys
    }
    return keys;
}

class BptreeEngine : public testing::TestWithParam<EngineKind> {};

struct TreeCase {
    unsigned levels;
    uint64_t stride;
};

const TreeCase kTrees[] = {{1, 1}, {1, 7}, {2, 1}, {2, 3}, {3, 2}, {4, 1}, {5, 1}};

TEST_P(BptreeEngine, PointLookupsMatchTheOracle) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    for (const TreeCase &t : kTrees) {
        if (!tree_wanted(t.levels)) continue;
        std::string path = generated_tree(t.levels, t.stride);
        auto file = open_file(path);
        ASSERT_TRUE(file);
        auto rd = reader_for(path);
        uint64_t n = rd.super().nkeys;
        auto keys = probe_keys(n, t.stride, t.levels <= 2 ? n : 3000, t.levels * 100 + t.stride);
        // All of them in flight at once: the asynchronous path.
        std::vector<std::optional<std::string>> got(keys.size());
        std::vector<int> err(keys.size(), -1);
        for (size_t i = 0; i < keys.size(); i++) {
            Status st = session->submit_get(*file, std::to_string(keys[i]),
                                            [&, i](const Status &s, std::string_view v) {
                                                err[i] = s.err;
                                                if (s.ok()) got[i] = std::string(v);
                                            });
            ASSERT_TRUE(st.ok()) << st.to_string();
        }
        ASSERT_TRUE(session->drain().ok());
        for (size_t i = 0; i < keys.size(); i++) {
            std::optional<std::string> want;
            ASSERT_TRUE(rd.get(keys[i], &want).ok());
            if (want) {
                ASSERT_EQ(err[i], 0) << "key " << keys[i] << " depth " << t.levels;
                ASSERT_EQ(*got[i], *want) << "key " << keys[i];
            } else {
                ASSERT_EQ(err[i], ENOENT) << "key " << keys[i] << " depth " << t.levels;
            }
        }
        // The synchronous call agrees, and says why a key is missing.
        std::string v;
        Status st = session->get(*file, std::to_string(n * t.stride), &v);
        EXPECT_EQ(st.err, ENOENT);
        EXPECT_NE(st.msg.find("not found"), std::string::npos) << st.msg;
    }
}

TEST_P(BptreeEngine, BatchedLookupsMatchTheOracle) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string path = generated_tree(3, 2);
    auto file = open_file(path);
    auto rd = reader_for(path);
    auto keys = probe_keys(rd.super().nkeys, 2, 200, 7);
    std::vector<std::string> text;
    for (uint64_t k : keys) text.push_back(std::to_string(k));
    std::vector<std::optional<std::string>> got;
    Status st = session->get_batch(*file, text, &got);  // spans several 32-key chains
    ASSERT_TRUE(st.ok()) << st.to_string();
    ASSERT_EQ(got.size(), keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        std::optional<std::string> want;
        ASSERT_TRUE(rd.get(keys[i], &want).ok());
        EXPECT_EQ(got[i], want) << "key " << keys[i];
    }
}

TEST_P(BptreeEngine, RangesMatchTheOracle) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::mt19937_64 rng(11);
    for (const TreeCase &t : kTrees) {
        if (!tree_wanted(t.levels)) continue;
        std::string path = generated_tree(t.levels, t.stride);
        auto file = open_file(path);
        auto rd = reader_for(path);
        uint64_t maxkey = (rd.super().nkeys - 1) * t.stride;
        for (int q = 0; q < 12; q++) {
            uint64_t lo = rng() % (maxkey + 2), hi = lo + rng() % 400;
            size_t limit = q % 3 == 0 ? 0 : 1 + rng() % 100;
            if (q == 0) lo = 0, hi = UINT64_MAX, limit = t.levels <= 3 ? 0 : 5000;
            if (q == 1) lo = hi = maxkey;
            if (q == 2) lo = 5, hi = 4;  // empty
            std::vector<Record> got;
            Status st = session->range(*file, std::to_string(lo), std::to_string(hi), limit, &got);
            ASSERT_TRUE(st.ok()) << st.to_string();
            std::vector<oracle::Record> want;
            ASSERT_TRUE(rd.range(lo, hi, limit, &want).ok());
            ASSERT_EQ(got.size(), want.size()) << lo << ".." << hi << " limit " << limit;
            for (size_t i = 0; i < got.size(); i++) {
                ASSERT_EQ(got[i].key, std::to_string(want[i].key));
                ASSERT_EQ(got[i].value, want[i].value);
            }
        }
    }
}

TEST_P(BptreeEngine, AggregatesMatchTheOracle) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::mt19937_64 rng(5);
    const FilterOp ops[] = {FilterOp::none, FilterOp::lt, FilterOp::le, FilterOp::eq,
                            FilterOp::ne,   FilterOp::ge, FilterOp::gt};
    for (const TreeCase &t : kTrees) {
        if (t.levels > 3) continue;  // whole-file scans of the 4-level tree: see below
        std::string path = generated_tree(t.levels, t.stride);
        auto file = open_file(path);
        auto rd = reader_for(path);
        uint64_t maxkey = (rd.super().nkeys - 1) * t.stride;
        for (FilterOp op : ops) {
            for (bool sum : {false, true}) {
                uint64_t lo = rng() % (maxkey + 1), hi = lo + rng() % 5000;
                AggSpec spec{op, rng() % (maxkey + 1), sum};
                AggResult got;
                Status st =
                    session->aggregate(*file, std::to_string(lo), std::to_string(hi), spec, &got);
                ASSERT_TRUE(st.ok()) << st.to_string();
                oracle::AggAnswer want;
                ASSERT_TRUE(rd.aggregate(lo, hi, {int(op), spec.arg, sum}, &want).ok());
                EXPECT_EQ(got.count, want.count) << int(op) << " " << lo << ".." << hi;
                if (sum || op != FilterOp::none) {
                    EXPECT_EQ(got.sum, want.sum);
                    EXPECT_EQ(got.numeric, want.numeric);
                }
            }
        }
    }
    // One scan across a whole 4-level tree: many resumed chains.
    std::string path = generated_tree(4, 1);
    auto file = open_file(path);
    auto rd = reader_for(path);
    AggResult got;
    ASSERT_TRUE(session->aggregate(*file, "", "", {FilterOp::none, 0, false}, &got).ok());
    EXPECT_EQ(got.count, rd.super().nkeys);
}

TEST_P(BptreeEngine, AwkwardValuesFromTsv) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::vector<std::pair<uint64_t, std::string>> kv = {
        {0, ""},
        {1, "abc"},
        {2, "007"},
        {3, "18446744073709551615"},
        {4, "18446744073709551615"},  // the sum wraps
        {5, std::string(63, 'x')},
        {6, "12abc"},
        {9, "-5"},
        {UINT64_MAX - 1, "last"},
        {UINT64_MAX, "max"},
    };
    for (uint64_t k = 100; k < 3100; k += 3) kv.push_back({k, std::to_string(k % 97)});
    std::string path = tsv_tree("awkward", kv);
    auto file = open_file(path);
    auto rd = reader_for(path);
    for (auto &[k, v] : kv) {
        std::string got;
        Status st = session->get(*file, std::to_string(k), &got);
        ASSERT_TRUE(st.ok()) << k << ": " << st.to_string();
        EXPECT_EQ(got, v);
    }
    for (uint64_t absent : std::vector<uint64_t>{7, 8, 99, 101, 3101, UINT64_MAX - 2}) {
        std::string got;
        EXPECT_EQ(session->get(*file, std::to_string(absent), &got).err, ENOENT) << absent;
    }
    for (FilterOp op : {FilterOp::none, FilterOp::ge, FilterOp::eq}) {
        AggResult got;
        ASSERT_TRUE(session->aggregate(*file, "", "", {op, 12, true}, &got).ok());
        oracle::AggAnswer want;
        ASSERT_TRUE(rd.aggregate(0, UINT64_MAX, {int(op), 12, true}, &want).ok());
        EXPECT_EQ(got.count, want.count);
        EXPECT_EQ(got.sum, want.sum);
        EXPECT_EQ(got.numeric, want.numeric);
        EXPECT_EQ(got.overflow, want.overflow);
    }
    // Keys the format cannot hold are refused with the reason.
    std::string v;
    for (const char *bad : {"", "-1", "abc", "18446744073709551616", "1 ", "0x10"}) {
        Status st = session->get(*file, bad, &v);
        EXPECT_EQ(st.err, EINVAL) << "'" << bad << "'";
        EXPECT_NE(st.msg.find("decimal"), std::string::npos) << st.msg;
    }
}

TEST_P(BptreeEngine, EmptyTree) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string path = tsv_tree("empty", {});
    auto file = open_file(path);
    std::string v;
    EXPECT_EQ(session->get(*file, "0", &v).err, ENOENT);
    std::vector<Record> recs;
    EXPECT_TRUE(session->range(*file, "", "", 0, &recs).ok());
    EXPECT_TRUE(recs.empty());
}

TEST_P(BptreeEngine, StatisticsCountWhatHappened) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string path = generated_tree(3, 1);
    auto file = open_file(path);
    std::string v;
    for (int i = 0; i < 10; i++) ASSERT_TRUE(session->get(*file, std::to_string(i * 7), &v).ok());
    EXPECT_EQ(session->get(*file, "99999999", &v).err, ENOENT);
    Stats s = file->stats();
    EXPECT_EQ(s.lookups, 11u);
    EXPECT_EQ(s.not_found, 1u);
    EXPECT_EQ(s.errors, 0u);
    EXPECT_EQ(s.hops, 10u * 4 + 3);  // depth 3 + value block; the miss stops at the leaf
    EXPECT_GT(s.p50_ns, 0u);
    EXPECT_LE(s.p50_ns, s.p99_ns);
    EXPECT_LE(s.p99_ns, s.max_ns);
}

INSTANTIATE_TEST_SUITE_P(Engines, BptreeEngine, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

// The engines against each other, byte for byte, on the same queries.
TEST(EnginesAgree, ByteForByte) {
    auto kinds = engines_to_test();
    if (kinds.size() < 2) {
        fprintf(stderr, "*** only one engine runs here: nothing to compare ***\n");
        ASSERT_FALSE(in_ci()) << "CI must run at least the syscall and native engines";
        return;
    }
    std::string path = generated_tree(3, 3);
    std::vector<std::string> answers;
    for (EngineKind k : kinds) {
        auto s = make_session(k, 8);
        ASSERT_TRUE(s);
        auto f = open_file(path);
        std::string all;
        for (uint64_t key = 0; key < 4000; key += 7) {
            std::string v;
            Status st = s->get(*f, std::to_string(key), &v);
            all += std::to_string(st.err) + ":" + v + ";";
        }
        std::vector<Record> recs;
        ASSERT_TRUE(s->range(*f, "100", "9000", 0, &recs).ok());
        for (auto &r : recs) all += r.key + "=" + r.value + ";";
        AggResult a;
        ASSERT_TRUE(s->aggregate(*f, "", "", {FilterOp::gt, 500, true}, &a).ok());
        all += std::to_string(a.count) + "," + std::to_string(a.sum);
        answers.push_back(all);
    }
    for (size_t i = 1; i < answers.size(); i++)
        EXPECT_EQ(answers[i], answers[0])
            << engine_name(kinds[i]) << " vs " << engine_name(kinds[0]);
}

}  // namespace
