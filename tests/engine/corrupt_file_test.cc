// Corrupt B+-tree files on every engine: each query ends with a precise
// error within the hop cap, or gives the answer the intact file gives;
// never a crash, a hang or a different answer.
#include <set>

#include "corrupt.h"
#include "engine_fixture.h"

using namespace chase;
using namespace chase_test;

namespace {

class CorruptFile : public testing::TestWithParam<EngineKind> {};

const std::set<int> kCorruptionErrors = {EUCLEAN, ELOOP, ERANGE, EIO, EPROTO};

TEST_P(CorruptFile, EveryQueryErrsPreciselyOrAnswersAsTheIntactFile) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    for (unsigned levels : {1u, 2u, 3u}) {
        std::string good = generated_tree(levels, 2);
        auto intact = open_file(good);
        uint64_t nkeys = 1;
        for (unsigned i = 0; i < levels; i++) nkeys *= 31;
        for (oracle::Corruption c : oracle::all_corruptions()) {
            if (!oracle::corruption_applies(c, levels, nkeys)) continue;
            std::string name = oracle::corruption_name(c);
            std::string bad = temp_dir() + "/corrupt-" + std::to_string(levels) + "-" + name;
            ASSERT_TRUE(oracle::make_corrupt_copy(good, bad, c).ok()) << name;
            SCOPED_TRACE(name + " depth " + std::to_string(levels));
            std::shared_ptr<DataFile> f;
            OpenOptions named;
            named.format = "bptree";  // so a wrong magic is diagnosed, not just "unknown"
            Status st = DataFile::open(bad, named, &f);
            if (!st.ok()) {
                EXPECT_EQ(st.err, EUCLEAN) << st.to_string();
                EXPECT_FALSE(st.msg.empty());
                continue;
            }
            int errors = 0;
            for (uint64_t k = 0; k < 2 * nkeys; k += 1 + nkeys / 97) {
                std::string got, want;
                Status gs = session->get(*f, std::to_string(k), &got);
                Status ws = session->get(*intact, std::to_string(k), &want);
                if (gs.ok() || gs.err == ENOENT) {
                    EXPECT_EQ(gs.err, ws.err) << "key " << k << ": " << gs.to_string();
                    EXPECT_EQ(got, want) << "key " << k;
                } else {
                    errors++;
                    EXPECT_TRUE(kCorruptionErrors.count(gs.err)) << gs.to_string();
                    EXPECT_FALSE(gs.msg.empty());
                }
            }
            std::vector<Record> got, want;
            Status rs = session->range(*f, "", "", 0, &got);
            ASSERT_TRUE(session->range(*intact, "", "", 0, &want).ok());
            if (rs.ok()) {
                EXPECT_EQ(got.size(), want.size());
            } else {
                errors++;
                EXPECT_TRUE(kCorruptionErrors.count(rs.err)) << rs.to_string();
            }
            AggResult agg;
            Status as = session->aggregate(*f, "", "", {FilterOp::none, 0, true}, &agg);
            if (!as.ok()) {
                errors++;
                EXPECT_TRUE(kCorruptionErrors.count(as.err)) << as.to_string();
            }
            // Every corruption that survives open must be noticed somewhere.
            if (c != oracle::Corruption::sibling_cycle || levels > 0) {
                EXPECT_GT(errors, 0) << "no query noticed the corruption";
            }
        }
    }
}

TEST_P(CorruptFile, AChildCycleEndsAtTheHopCap) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string good = generated_tree(3, 1);
    std::string bad = temp_dir() + "/cycle-3";
    ASSERT_TRUE(oracle::make_corrupt_copy(good, bad, oracle::Corruption::child_cycle).ok());
    auto f = open_file(bad);
    std::string v;
    Status st = session->get(*f, "0", &v);
    EXPECT_EQ(st.err, ELOOP) << st.to_string();
    EXPECT_NE(st.msg.find("hop cap"), std::string::npos) << st.msg;
    EXPECT_EQ(f->stats().errors, 1u);
}

TEST_P(CorruptFile, ASiblingCycleDoesNotMakeAScanEndless) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string good = generated_tree(2, 1);
    std::string bad = temp_dir() + "/sibling-cycle-2";
    ASSERT_TRUE(oracle::make_corrupt_copy(good, bad, oracle::Corruption::sibling_cycle).ok());
    auto f = open_file(bad);
    AggResult a;
    Status st = session->aggregate(*f, "", "", {FilterOp::none, 0, false}, &a);
    EXPECT_EQ(st.err, ELOOP) << st.to_string();
    std::vector<Record> recs;
    st = session->range(*f, "", "", 0, &recs);
    EXPECT_EQ(st.err, ELOOP) << st.to_string();
}

TEST_P(CorruptFile, AFileTruncatedAfterOpenIsNoticed) {
    auto session = make_session(GetParam());
    ASSERT_TRUE(session);
    std::string good = generated_tree(2, 1);
    std::string copy = temp_dir() + "/shrinking-2";
    std::filesystem::copy_file(good, copy, std::filesystem::copy_options::overwrite_existing);
    auto f = open_file(copy);
    std::filesystem::resize_file(copy, 4096);  // the value log and most nodes are gone
    std::string v;
    Status st = session->get(*f, "500", &v);
    EXPECT_TRUE(st.err == EUCLEAN || st.err == ERANGE) << st.to_string();
}

INSTANTIATE_TEST_SUITE_P(Engines, CorruptFile, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

}  // namespace
