// chasectl's mount-aware commands (mount-tools/chasectl_mount.h) against a
// real mount, compared with the oracle reader.
#include <cstdio>
#include <sstream>

#include "chasectl_mount.h"
#include "query_fixture.h"

using namespace fuse_test;

namespace {

class ChasectlMountTest : public QueryTest {
   protected:
    struct Run {
        int status;
        std::string out, err;
    };
    Run run(const std::vector<std::string> &args, chasectl_mount::Options o = {}) {
        FILE *out = tmpfile(), *err = tmpfile();
        Run r;
        r.status = chasectl_mount::run(args, o, out, err);
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
    }
    static std::string slurp(FILE *f) {
        std::string s;
        rewind(f);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
        fclose(f);
        return s;
    }
};

TEST_F(ChasectlMountTest, RecognisesMountsAndLeavesPlainFilesToTheCaller) {
    EXPECT_TRUE(chasectl_mount::on_chasefs(mnt("users.db")));
    EXPECT_TRUE(chasectl_mount::on_chasefs(mnt("users.db@42")));
    EXPECT_FALSE(chasectl_mount::on_chasefs(src("users.db")));
    EXPECT_EQ(run({"get", src("users.db"), "42"}).status, -1);
}

TEST_F(ChasectlMountTest, GetRangeAggAgreeWithTheOracle) {
    Run g = run({"get", mnt("users.db"), "42"});
    EXPECT_EQ(g.status, 0) << g.err;
    EXPECT_EQ(g.out, *oracle_get(42) + "\n");
    Run missing = run({"get", mnt("users.db"), "43"});
    EXPECT_EQ(missing.status, 1);
    EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
    Run r = run({"range", mnt("users.db"), "", ""});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, oracle_range_text(0, UINT64_MAX));
    chasectl_mount::Options limit;
    limit.limit = 5;
    r = run({"range", mnt("users.db"), "10", "100"}, limit);
    EXPECT_EQ(r.out, oracle_range_text(10, 100, 5));
    chasectl_mount::Options agg;
    agg.sum = true;
    agg.filter = static_cast<int>(chase::FilterOp::gt);
    agg.filter_arg = 100;
    Run a = run({"agg", mnt("users.db"), "0", "3000"}, agg);
    oracle::AggAnswer expect;
    ASSERT_EQ(reader_.aggregate(0, 3000, {BPT_F_GT, 100, true}, &expect).err, 0);
    EXPECT_EQ(a.out, "count\t" + std::to_string(expect.count) + "\nsum\t" +
                         std::to_string(expect.sum) + "\nnumeric\t" +
                         std::to_string(expect.numeric) + "\n")
        << a.err;
    chasectl_mount::Options json;
    json.json = true;
    Run j = run({"get", mnt("users.db"), "42"}, json);
    EXPECT_EQ(j.out, "{\"key\":\"42\",\"value\":\"42\"}\n");
}

TEST_F(ChasectlMountTest, TracePrintsEveryHop) {
    Run t = run({"trace", mnt("users.db"), "42"});
    EXPECT_EQ(t.status, 0) << t.err;
    // The oracle's own walk: root to leaf, then the value block.
    uint64_t before = reader_.reads();
    ASSERT_TRUE(oracle_get(42).has_value());
    uint64_t reads = reader_.reads() - before;
    size_t hop_lines = 0;  // rows that start with a hop number
    std::istringstream lines(t.out);
    for (std::string line; std::getline(lines, line);) {
        unsigned hop;
        if (sscanf(line.c_str(), "%u", &hop) != 1) continue;
        hop_lines++;
        // The start call reads nothing; every other hop of a B+-tree is a read.
        EXPECT_TRUE(line.ends_with(hop == 0 ? "  -" : "  read")) << line;
    }
    // Hop 0 is the start call; each later hop read one block.
    EXPECT_EQ(hop_lines, reads + 1) << t.out;
    EXPECT_NE(t.out.find("offset"), std::string::npos);
    EXPECT_NE(t.out.find("value 42\n"), std::string::npos) << t.out;
    Run absent = run({"trace", mnt("users.db"), "43"});
    EXPECT_EQ(absent.status, 1);
    EXPECT_NE(absent.out.find("error "), std::string::npos) << absent.out;
}

TEST_F(ChasectlMountTest, StatsAttachDetach) {
    Run s = run({"stats", mnt("users.db")});
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_NE(s.out.find("format: bptree"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("lookups="), std::string::npos) << s.out;
    Run bad = run({"attach", mnt("users.db"), "nosuchformat"});
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.err.find("refused"), std::string::npos) << bad.err;
    EXPECT_EQ(run({"attach", mnt("users.db"), "bptree"}).status, 0);
    EXPECT_NE(run({"stats", mnt("users.db")}).out.find("fn: bptree"), std::string::npos);
    EXPECT_EQ(run({"detach", mnt("users.db")}).status, 0);
    EXPECT_EQ(run({"detach", mnt("users.db")}).status, 1);
}

}  // namespace
