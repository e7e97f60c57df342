// user.chase.* through getfattr/setfattr (the attr package) and the raw
// calls, compared with libchase.
#include <errno.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "query_fixture.h"

using namespace fuse_test;

namespace {

class XattrTest : public QueryTest {
   protected:
    std::string getfattr(const std::string &args, const std::string &file) {
        return sh("getfattr --absolute-names " + args + " " + quote(file) + " 2>&1").out;
    }
};

TEST_F(XattrTest, DumpListsTheStableAttributesOnly) {
    std::string dump = getfattr("-d", mnt("users.db"));
    for (const char *n : {"user.chase.format=\"bptree\"",
                          "user.chase.geometry=", "user.chase.engine=", "user.chase.stats="})
        EXPECT_NE(dump.find(n), std::string::npos) << n << " missing in\n" << dump;
    EXPECT_EQ(dump.find("user.chase.get"), std::string::npos);
    EXPECT_EQ(getfattr("--only-values -n user.chase.format", mnt("users.db")),
              file_->format_name());
    EXPECT_EQ(getfattr("--only-values -n user.chase.geometry", mnt("users.db")), file_->geometry());
    std::string engine = getfattr("--only-values -n user.chase.engine", mnt("users.db"));
    EXPECT_TRUE(chase::parse_engine(engine).has_value()) << engine;
}

TEST_F(XattrTest, PointLookupsByAttributeName) {
    for (uint64_t k : {0ull, 42ull, 43ull, 8997ull, 99999ull}) {
        std::string key = std::to_string(k);
        auto lib = lib_get(key);
        ShellResult r = sh("getfattr --absolute-names --only-values -n user.chase.get." + key +
                           " " + quote(mnt("users.db")) + " 2>/dev/null");
        if (lib) {
            EXPECT_EQ(r.status, 0) << key;
            EXPECT_EQ(r.out, *lib) << key;
        } else {
            EXPECT_NE(r.status, 0) << key;
            char buf[64];
            EXPECT_EQ(getxattr(mnt("users.db").c_str(), ("user.chase.get." + key).c_str(), buf,
                               sizeof buf),
                      -1);
            EXPECT_EQ(errno, ENODATA) << key;
        }
    }
    EXPECT_EQ(getfattr("--only-values -n user.chase.q.count:0..30", mnt("users.db")), "11\n");
    EXPECT_EQ(getfattr("--only-values -n user.chase.q.3..9", mnt("users.db")),
              oracle_range_text(3, 9));
}

TEST_F(XattrTest, StatisticsCountLookupsAndReset) {
    ASSERT_EQ(sh("setfattr -n user.chase.stats -v reset " + quote(mnt("users.db"))).status, 0);
    for (int i = 0; i < 5; i++) sh("cat " + quote(mnt("users.db@" + std::to_string(i * 3))));
    std::string stats = getfattr("--only-values -n user.chase.stats", mnt("users.db"));
    EXPECT_NE(stats.find("lookups=5\n"), std::string::npos) << stats;
    EXPECT_NE(stats.find("hops="), std::string::npos) << stats;
    EXPECT_NE(stats.find("p50_ns="), std::string::npos) << stats;
}

TEST_F(XattrTest, SettingTheFunctionIsVerified) {
    // A plain file declared to be a B+-tree: refused, with the reason.
    write_file(src("notatree"), std::string(8192, 'x'));
    ShellResult r = sh("setfattr -n user.chase.fn -v bptree " + quote(mnt("notatree")) + " 2>&1");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.out.find("Invalid argument"), std::string::npos) << r.out;
    std::string why = getfattr("--only-values -n user.chase.error", mnt("notatree"));
    EXPECT_NE(why.find("refused"), std::string::npos) << why;
    char buf[64];
    EXPECT_EQ(getxattr(src("notatree").c_str(), "user.chase.fn", buf, sizeof buf), -1);

    // An object file that is not a BPF object: refused too.
    write_file(src("garbage.bpf.o"), "this is not ELF");
    r = sh("setfattr -n user.chase.fn -v " + quote(mnt("garbage.bpf.o")) + " " +
           quote(mnt("users.db")) + " 2>&1");
    EXPECT_NE(r.status, 0);
    why = getfattr("--only-values -n user.chase.error", mnt("users.db"));
    EXPECT_NE(why.find("refused"), std::string::npos) << why;
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@42"))).out, "42");  // still answers

    // Naming the right format works, is stored on the backing file, and can
    // be removed again.
    r = sh("setfattr -n user.chase.fn -v bptree " + quote(mnt("users.db")) + " 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(getfattr("--only-values -n user.chase.fn", mnt("users.db")), "bptree");
    ssize_t n = getxattr(src("users.db").c_str(), "user.chase.fn", buf, sizeof buf);
    EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "bptree");
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@42"))).out, "42");
    EXPECT_EQ(sh("setfattr -x user.chase.fn " + quote(mnt("users.db"))).status, 0);
    EXPECT_EQ(getxattr(src("users.db").c_str(), "user.chase.fn", buf, sizeof buf), -1);
}

TEST_F(XattrTest, ReadOnlyAttributesRefuseWrites) {
    EXPECT_EQ(setxattr(mnt("users.db").c_str(), "user.chase.format", "x", 1, 0), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(setxattr(mnt("users.db").c_str(), "user.chase.get.42", "x", 1, 0), -1);
    EXPECT_EQ(errno, EPERM);
}

TEST_F(XattrTest, NoAttributeRequestEverAnswersEnosys) {
    write_file(src("plain"), "p");
    char buf[256];
    for (std::string f : {mnt("users.db"), mnt("plain"), mnt()}) {
        for (const char *name :
             {"user.chase.fn", "user.chase.nothing", "user.x", "security.selinux",
              "system.posix_acl_access", "trusted.x", "user.chase.get."}) {
            errno = 0;
            getxattr(f.c_str(), name, buf, sizeof buf);
            EXPECT_NE(errno, ENOSYS) << f << " " << name;
            EXPECT_NE(errno, EOPNOTSUPP) << f << " " << name << " (xattrs turned off?)";
            errno = 0;
            removexattr(f.c_str(), name);
            EXPECT_NE(errno, ENOSYS) << f << " " << name;
        }
        EXPECT_GE(listxattr(f.c_str(), buf, sizeof buf), 0) << f;
    }
    // Still working afterwards (ENOSYS would have switched them off).
    EXPECT_EQ(setxattr(mnt("plain").c_str(), "user.after", "1", 1, 0), 0);
}

TEST_F(XattrTest, DaemonCountersOnTheRoot) {
    std::string s = getfattr("--only-values -n user.chase.daemon", mnt());
    EXPECT_NE(s.find("query_nodes="), std::string::npos) << s;
    EXPECT_NE(s.find("rss_kib="), std::string::npos) << s;
}

}  // namespace
