// LMDB and cdb files through a real chasefs mount, read by unmodified
// programs (cat, test -e, python3) on every engine; answers compared with
// liblmdb and libcdb on the same files.
#include <sys/xattr.h>

#include <algorithm>
#include <random>

#include "cdb_oracle.h"
#include "lmdb_oracle.h"
#include "mount_fixture.h"

using namespace fuse_test;
using namespace chase_test;

namespace {

class FormatMount : public MountedTest, public testing::WithParamInterface<std::string> {
   protected:
    std::vector<std::string> mount_args() const override {
        return {"-o", "allow_other", "-o", "engine=" + GetParam(), "-o", "cache=1M"};
    }
};

// Printable keys (a query name is a path component); values of every size.
KV printable_records(size_t n) {
    std::mt19937_64 rng(n);
    KV kv;
    for (size_t i = 0; i < n; i++) {
        std::string v(rng() % 3 ? rng() % 200 : rng() % 12000, 'a' + char(i % 26));
        kv.emplace_back("user-" + std::to_string(i * 7919 % 100003), v);
    }
    return kv;
}

TEST_P(FormatMount, LmdbThroughCatAndTest) {
    KV kv = printable_records(3000);
    LmdbWriteOptions o;
    o.named["users"] = {{"alice", "in a named database"}};
    lmdb_write(src("data.mdb"), kv, o);
    unlink((src("data.mdb") + "-lock").c_str());
    LmdbOracle oracle(src("data.mdb"));
    for (size_t i = 0; i < kv.size(); i += 37) {
        const std::string &k = kv[i].first;
        ShellResult cat = sh("cat " + quote(mnt("data.mdb@" + k)));
        ASSERT_EQ(cat.status, 0) << k;
        EXPECT_EQ(cat.out, oracle.get(k).value()) << k;
    }
    EXPECT_EQ(sh("test -e " + quote(mnt("data.mdb@user-absent"))).status, 1);
    EXPECT_EQ(sh("cat " + quote(mnt("data.mdb@users%2Falice"))).out, "in a named database");
    ShellResult py = sh("python3 -c 'import sys; print(len(open(sys.argv[1], \"rb\").read()))' " +
                        quote(mnt("data.mdb@" + kv[5].first)));
    EXPECT_EQ(py.out, std::to_string(kv[5].second.size()) + "\n");
}

// -o cache: neighbouring keys share leaf pages, so a walk in key order is
// served partly from the block cache; the answers stay liblmdb's.
TEST_P(FormatMount, LmdbBlockCacheKeepsAnswersAndCountsHits) {
    KV kv = printable_records(2000);
    lmdb_write(src("cached.mdb"), kv);
    unlink((src("cached.mdb") + "-lock").c_str());
    LmdbOracle oracle(src("cached.mdb"));
    std::vector<std::string> keys;
    for (auto &[k, v] : kv) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (size_t i = 0; i < 150; i++) {
        ShellResult cat = sh("cat " + quote(mnt("cached.mdb@" + keys[i])));
        ASSERT_EQ(cat.status, 0) << keys[i];
        EXPECT_EQ(cat.out, oracle.get(keys[i]).value()) << keys[i];
    }
    char stats[4096];
    ssize_t n = getxattr(mnt("cached.mdb").c_str(), "user.chase.stats", stats, sizeof stats);
    ASSERT_GT(n, 0) << strerror(errno);
    std::string text(stats, size_t(n));
    size_t at = text.find("cache_hits=");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_GT(std::stoull(text.substr(at + 11)), 0u) << text;
}

TEST_P(FormatMount, CdbAttachedByAttribute) {
    CdbRecords recs;
    for (auto &[k, v] : printable_records(2000)) recs.emplace_back(k, v);
    recs.emplace_back(recs[3].first, "a second record");
    cdb_write(src("data.cdb"), recs);
    ASSERT_EQ(setxattr(src("data.cdb").c_str(), "user.chase.fn", "cdb", 3, 0), 0);
    for (size_t i = 0; i < recs.size(); i += 41) {
        const std::string &k = recs[i].first;
        ShellResult cat = sh("cat " + quote(mnt("data.cdb@" + k)));
        ASSERT_EQ(cat.status, 0) << k;
        EXPECT_EQ(cat.out, cdb_all_values(src("data.cdb"), k)[0]) << k;
        std::string tool;
        ASSERT_TRUE(cdb_tool_query(src("data.cdb"), k, 1, &tool));
        EXPECT_EQ(cat.out, tool);
    }
    EXPECT_EQ(sh("test -e " + quote(mnt("data.cdb@nobody"))).status, 1);
}

// cdb has no magic number: chasectl attach --detect recognises it by the
// shape of its header and attaches it; a file that is not cdb is refused.
TEST_P(FormatMount, ChasectlAttachDetect) {
    cdb_write(src("plain.cdb"), {{"k1", "v1"}, {"k2", "v2"}});
    EXPECT_EQ(sh("test -e " + quote(mnt("plain.cdb@k1"))).status, 1) << "not attached yet";
    ShellResult r =
        sh(std::string(CHASECTL_BIN) + " attach " + quote(mnt("plain.cdb")) + " --detect");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find(": cdb"), std::string::npos) << r.out;
    EXPECT_EQ(sh("cat " + quote(mnt("plain.cdb@k2"))).out, "v2");
    write_file(src("notes.txt"), std::string(5000, 'n'));
    r = sh(std::string(CHASECTL_BIN) + " attach " + quote(mnt("notes.txt")) + " --detect 2>&1");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("no known format"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Engines, FormatMount, testing::Values("native", "syscall"),
                         [](const testing::TestParamInfo<std::string> &p) { return p.param; });

}  // namespace
