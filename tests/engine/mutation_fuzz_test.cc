// Differential fuzzing: trees with random damage to their nodes, queried on
// every engine.  Whatever the damage, each query ends (no hang, no crash),
// fails only with a corruption errno, and every engine gives exactly the same
// result -- errno and answer -- as the others: one source, one behaviour.
#include <fcntl.h>
#include <unistd.h>

#include "engine_fixture.h"

using namespace chase;
using namespace chase_test;

namespace {

// Overwrites one u64 of one index node with something plausible or not.
void mutate(int fd, uint64_t log_off, std::mt19937_64 &rng) {
    uint64_t nodes = (log_off - 512) / 512;
    // Half the damage lands in the root and the inner level (the first 32
    // nodes of a 3-level tree), where most lookups pass.
    uint64_t node = 512 + (rng() % (rng() % 2 ? 32 : nodes)) * 512;
    uint64_t field = rng() % 64;  // next, type, key[31], ptr[31]
    uint64_t v;
    switch (rng() % 6) {
        case 0:
            v = rng();
            break;  // garbage
        case 1:
            v = 512 + (rng() % nodes) * 512;
            break;  // another node
        case 2:
            v = log_off + (rng() % 4096) * 64;
            break;  // somewhere in the log
        case 3:
            v = rng() % 3;
            break;  // a small number / type
        case 4:
            v = node;
            break;  // itself
        default:
            v = (rng() % 1000000) * 8 + 1;
            break;  // misaligned
    }
    if (pwrite(fd, &v, sizeof v, node + field * 8) != sizeof v) abort();
}

std::string outcome(const Status &st, const std::string &answer) {
    return std::to_string(st.err) + "|" + (st.ok() ? answer : st.msg);
}

TEST(MutationFuzz, EnginesAgreeOnDamagedTrees) {
    auto kinds = engines_to_test();
    std::vector<std::unique_ptr<Session>> sessions;
    for (auto k : kinds) sessions.push_back(make_session(k, 16));
    const std::set<int> allowed = {0, ENOENT, EUCLEAN, ELOOP, ERANGE, E2BIG, EPROTO};
    std::string good = generated_tree(3, 3);
    std::mt19937_64 rng(20261124);
    const int kFiles = 30;
    int changed = 0;  // lookups whose outcome the damage changed
    auto intact = open_file(good);
    for (int n = 0; n < kFiles; n++) {
        std::string path = temp_dir() + "/fuzz.db";
        std::filesystem::copy_file(good, path, std::filesystem::copy_options::overwrite_existing);
        int fd = open(path.c_str(), O_RDWR);
        ASSERT_GE(fd, 0);
        uint64_t log_off;
        ASSERT_EQ(pread(fd, &log_off, 8, offsetof(struct bpt_super, log_off)), 8);
        int damage = 1 + int(rng() % 8);
        for (int d = 0; d < damage; d++) mutate(fd, log_off, rng);
        close(fd);
        auto file = open_file(path);
        ASSERT_TRUE(file);

        std::vector<std::string> queries;
        for (int q = 0; q < 250; q++) queries.push_back(std::to_string(rng() % 95000));
        uint64_t lo = rng() % 90000, hi = lo + rng() % 3000;
        std::vector<std::string> results(kinds.size());
        for (size_t e = 0; e < kinds.size(); e++) {
            std::string &r = results[e];
            for (auto &k : queries) {
                std::string v;
                Status st = sessions[e]->get(*file, k, &v);
                EXPECT_TRUE(allowed.count(st.err)) << st.to_string();
                if (e == 0) {
                    std::string w;
                    Status ws = sessions[0]->get(*intact, k, &w);
                    changed += outcome(st, v) != outcome(ws, w);
                }
                r += "get " + k + " " + outcome(st, v) + "\n";
            }
            std::vector<Record> recs;
            Status st = sessions[e]->range(*file, std::to_string(lo), std::to_string(hi), 0, &recs);
            EXPECT_TRUE(allowed.count(st.err)) << st.to_string();
            std::string joined;
            for (auto &rec : recs) joined += rec.key + "=" + rec.value + ",";
            r += "range " + outcome(st, joined) + "\n";
            AggResult a;
            st = sessions[e]->aggregate(*file, "", "", {FilterOp::ge, 100, true}, &a);
            EXPECT_TRUE(allowed.count(st.err)) << st.to_string();
            r += "agg " + outcome(st, std::to_string(a.count) + "/" + std::to_string(a.sum)) + "\n";
        }
        for (size_t e = 1; e < kinds.size(); e++)
            ASSERT_EQ(results[e], results[0])
                << "file " << n << ": " << engine_name(kinds[e]) << " vs " << engine_name(kinds[0]);
    }
    // The damage was really met: many lookups ran into it.
    EXPECT_GT(changed, kFiles);
}

}  // namespace
