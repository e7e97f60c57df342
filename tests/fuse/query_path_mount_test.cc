// Query names through unmodified programs (cat, test -e, stat, head, wc,
// grep, python3), each compared with libchase and the oracle reader.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "query_fixture.h"

using namespace fuse_test;

namespace {

class QueryPathTest : public QueryTest {};

std::vector<uint64_t> sample_keys() {
    std::vector<uint64_t> keys = {0, 1, 2, 3, 42, 43, 8997, 8998, 9000, 123456789};
    std::mt19937_64 rng(7);
    for (int i = 0; i < 30; i++) keys.push_back(rng() % 9100);
    return keys;
}

TEST_F(QueryPathTest, CatTestStatAgreeWithLibchaseAndOracle) {
    for (uint64_t k : sample_keys()) {
        std::string key = std::to_string(k);
        std::string q = quote(mnt("users.db@" + key));
        auto lib = lib_get(key);
        auto orc = oracle_get(k);
        ASSERT_EQ(lib, orc) << "libchase and the oracle disagree on " << key;
        ShellResult cat = sh("cat " + q + " 2>/dev/null");
        ShellResult test = sh("test -e " + q);
        if (lib) {
            EXPECT_EQ(cat.status, 0) << key;
            EXPECT_EQ(cat.out, *lib) << key;
            EXPECT_EQ(test.status, 0) << key;
            EXPECT_EQ(sh("stat -c %s " + q).out, std::to_string(lib->size()) + "\n") << key;
            EXPECT_EQ(sh("wc -c < " + q).out, std::to_string(lib->size()) + "\n");
            EXPECT_EQ(sh("head -c 2 " + q).out, lib->substr(0, 2));
            EXPECT_EQ(sh("grep -c '^" + *lib + "$' " + q).out, "1\n");
        } else {
            EXPECT_NE(cat.status, 0) << key;
            EXPECT_EQ(test.status, 1) << key;
            struct stat st;
            EXPECT_EQ(stat(mnt("users.db@" + key).c_str(), &st), -1);
            EXPECT_EQ(errno, ENOENT) << key;
        }
    }
}

TEST_F(QueryPathTest, Python3OpenRead) {
    std::string script =
        "import sys\n"
        "for k in sys.argv[2:]:\n"
        "    try:\n"
        "        print(k, open(sys.argv[1] + '@' + k).read())\n"
        "    except FileNotFoundError:\n"
        "        print(k, 'ENOENT')\n";
    write_file(scratch_->root() + "/q.py", script);
    std::string cmd = "python3 " + quote(scratch_->root() + "/q.py") + " " + quote(mnt("users.db"));
    std::string expect;
    for (uint64_t k : sample_keys()) {
        cmd += " " + std::to_string(k);
        auto v = oracle_get(k);
        expect += std::to_string(k) + " " + (v ? *v : "ENOENT") + "\n";
    }
    ShellResult r = sh(cmd);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, expect);
}

TEST_F(QueryPathTest, RangesAndLimits) {
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@10..100"))).out, oracle_range_text(10, 100));
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@10..100:4"))).out, oracle_range_text(10, 100, 4));
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@8990.."))).out, oracle_range_text(8990, UINT64_MAX));
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@..9"))).out, oracle_range_text(0, 9));
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@100..10"))).out, "");  // empty, not an error
    EXPECT_EQ(sh("wc -l < " + quote(mnt("users.db@.."))).out, std::to_string(kKeys) + "\n");
    // libchase's range, formatted: the same lines.
    std::vector<chase::Record> recs;
    ASSERT_TRUE(session_->range(*file_, "30", "60", 0, &recs).ok());
    std::string lines;
    for (auto &r : recs) lines += r.key + "\t" + r.value + "\n";
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@30..60"))).out, lines);
}

TEST_F(QueryPathTest, CountsSumsAndFilters) {
    struct Case {
        std::string path;
        uint64_t lo, hi;
        oracle::AggQuery q;
        bool sum;
    };
    std::vector<Case> cases = {
        {"count:..", 0, UINT64_MAX, {}, false},
        {"count:100..200", 100, 200, {}, false},
        {"sum:0..99", 0, 99, {BPT_F_NONE, 0, true}, true},
        {"count:0..3000:gt:1500", 0, 3000, {BPT_F_GT, 1500, false}, false},
        {"sum:..:le:30", 0, UINT64_MAX, {BPT_F_LE, 30, true}, true},
        {"count:..:eq:42", 0, UINT64_MAX, {BPT_F_EQ, 42, false}, false},
    };
    for (auto &c : cases) {
        oracle::AggAnswer a;
        oracle::Error e = reader_.aggregate(c.lo, c.hi, c.q, &a);
        ASSERT_EQ(e.err, 0) << e.msg;
        std::string expect = std::to_string(c.sum ? a.sum : a.count) + "\n";
        EXPECT_EQ(sh("cat " + quote(mnt("users.db@" + c.path))).out, expect) << c.path;
    }
}

TEST_F(QueryPathTest, EscapedKeys) {
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@%34%32"))).out, "42");
    // %2F stands for '/', which no decimal key has: a clean ENOENT.
    EXPECT_EQ(sh("test -e " + quote(mnt("users.db@4%2F2"))).status, 1);
}

TEST_F(QueryPathTest, NotListedAndRealFilesWin) {
    ShellResult ls = sh("ls -a " + quote(mnt()));
    EXPECT_EQ(ls.out.find('@'), std::string::npos) << ls.out;
    write_file(src("users.db@42"), "a real file");
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@42"))).out, "a real file");
    EXPECT_NE(sh("ls " + quote(mnt())).out.find("users.db@42"), std::string::npos);
    ASSERT_EQ(unlink(mnt("users.db@42").c_str()), 0);
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@42"))).out, "42");
}

TEST_F(QueryPathTest, OrdinaryFilesHaveNoQueryNames) {
    write_file(src("plain.txt"), "hello");
    struct stat st;
    EXPECT_EQ(stat(mnt("plain.txt@1").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(stat(mnt("missing@1").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOENT);
}

TEST_F(QueryPathTest, BadQueriesFailWithEinvalAndAReason) {
    for (const char *bad :
         {"users.db@count:5", "users.db@1..2:0", "users.db@%zz", "users.db@sum:1..2:gt:x"}) {
        struct stat st;
        EXPECT_EQ(stat(mnt(bad).c_str(), &st), -1) << bad;
        EXPECT_EQ(errno, EINVAL) << bad;
    }
    ShellResult why =
        sh("getfattr --absolute-names --only-values -n user.chase.error " + quote(mnt("users.db")));
    EXPECT_EQ(why.status, 0);
    EXPECT_NE(why.out.find("EINVAL"), std::string::npos) << why.out;
    // A key the B+-tree format cannot hold: libchase's own error, not a crash.
    struct stat st;
    EXPECT_EQ(stat(mnt("users.db@abc").c_str(), &st), -1);
    EXPECT_NE(errno, 0);
}

TEST_F(QueryPathTest, NamesTooLongForAPathAreRefusedClearly) {
    std::string key(300, '7');
    struct stat st;
    EXPECT_EQ(stat(mnt("users.db@" + key).c_str(), &st), -1);
    EXPECT_EQ(errno, ENAMETOOLONG);
}

TEST_F(QueryPathTest, QueryResultsAreReadOnly) {
    int fd = open(mnt("users.db@42").c_str(), O_WRONLY);
    EXPECT_EQ(fd, -1);
    EXPECT_TRUE(errno == EROFS || errno == EACCES) << strerror(errno);
    EXPECT_EQ(read_file(src("users.db")).size(), read_file(mnt("users.db")).size());
}

}  // namespace
