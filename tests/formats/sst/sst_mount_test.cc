// SST tables through a real chasefs mount: unmodified programs (cat, test,
// getfattr), the ioctl and chasectl, on tables RocksDB and LevelDB wrote,
// answers compared with what the libraries' own Get says.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "chase/ioctl.h"
#include "mount_fixture.h"
#include "sst_fixture.h"

using namespace fuse_test;

namespace {

class SstMount : public MountedTest, public testing::WithParamInterface<std::string> {
   protected:
    std::vector<std::string> mount_args() const override {
        return {"-o", "allow_other", "-o", "engine=" + GetParam()};
    }
};

// A query name is a path component: printable keys, escaped where needed.
sst_test::Records printable(size_t n, uint64_t seed) {
    return sst_test::random_records({.count = n,
                                     .key_min = 1,
                                     .key_max = 40,
                                     .value_min = 0,
                                     .value_max = 6000,
                                     .binary = false,
                                     .seed = seed});
}

// KEY in a query name: '/', '%' and '@' as %HH.
std::string escape(const std::string &k) {
    std::string out;
    for (unsigned char c : k) {
        if (c == '/' || c == '%' || c == '@' || c < 0x21 || c > 0x7e) {
            char b[4];
            snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        } else {
            out += char(c);
        }
    }
    return out;
}

// A key or value as a range line writes it (fs/daemon/answer_format.h).
std::string line_escaped(const std::string &s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c < 0x20 || c == 0x7f) {
            char b[8];
            snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else {
            out += char(c);
        }
    }
    return out;
}

TEST_P(SstMount, CatTestAndGetfattrMatchTheLibraries) {
    auto recs = printable(2000, 41);
    auto r = sst_test::write_rocksdb_table(src("users.sst"), recs, {.block_size = 16384});
    auto l = sst_test::write_leveldb_table(src("users.ldb"), recs, {});
    for (const sst_test::Table *t : {&r, &l}) {
        std::string name = t == &r ? "users.sst" : "users.ldb";
        size_t i = 0;
        for (const auto &[k, v] : t->values) {
            if (i++ % 37) continue;  // a sample: each key is a few processes
            ShellResult cat = sh("cat " + quote(mnt(name + "@" + escape(k))));
            ASSERT_EQ(cat.status, 0) << name << " " << k;
            EXPECT_EQ(cat.out, v) << name << " " << k;
        }
        for (const std::string &k : sst_test::absent_keys(*t, 20, 2)) {
            if (k.find_first_of(std::string("\0\n", 2)) != std::string::npos) continue;
            EXPECT_EQ(sh("test -e " + quote(mnt(name + "@" + escape(k)))).status, 1) << k;
        }
        const auto &[k0, v0] = *t->values.begin();
        std::vector<char> buf(65536);
        ssize_t n =
            getxattr(mnt(name).c_str(), ("user.chase.get." + k0).c_str(), buf.data(), buf.size());
        ASSERT_GE(n, 0) << strerror(errno);
        EXPECT_EQ(std::string(buf.data(), size_t(n)), v0);
    }
    // A range through cat: key<TAB>value lines, as the library's order has them.
    {
        auto it = r.values.begin();
        std::advance(it, 100);
        auto lo = it;
        std::advance(it, 30);
        std::string want;
        for (auto j = lo; j != it; ++j)
            want += line_escaped(j->first) + "\t" + line_escaped(j->second) + "\n";
        auto last = std::prev(it);
        ShellResult cat =
            sh("cat " + quote(mnt("users.sst@" + escape(lo->first) + ".." + escape(last->first))));
        ASSERT_EQ(cat.status, 0);
        EXPECT_EQ(cat.out, want);
    }
    // The format and its geometry, and the lookups counted.
    std::vector<char> buf(4096);
    ssize_t n = getxattr(mnt("users.sst").c_str(), "user.chase.geometry", buf.data(), buf.size());
    ASSERT_GT(n, 0);
    std::string geo(buf.data(), size_t(n));
    EXPECT_NE(geo.find("format=sst"), std::string::npos) << geo;
    EXPECT_NE(geo.find("writer=rocksdb"), std::string::npos) << geo;
    n = getxattr(mnt("users.sst").c_str(), "user.chase.stats", buf.data(), buf.size());
    ASSERT_GT(n, 0);
    std::string stats(buf.data(), size_t(n));
    EXPECT_EQ(stats.find("lookups=0\n"), std::string::npos) << stats;
    // The table itself reads as it is, byte for byte.
    EXPECT_EQ(sh("cmp " + quote(src("users.sst")) + " " + quote(mnt("users.sst"))).status, 0);
}

TEST_P(SstMount, IoctlTakesBinaryKeysAndChasectlAnswers) {
    auto recs =
        sst_test::random_records({.count = 500, .key_max = 24, .value_max = 300, .seed = 3});
    auto t = sst_test::write_rocksdb_table(src("bin.sst"), recs, {});
    int fd = open(mnt("bin.sst").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    size_t checked = 0;
    for (const auto &[k, v] : t.values) {
        if (v.size() > CHASE_IOC_DATA_MAX || k.size() > CHASE_IOC_DATA_MAX) continue;
        auto g = std::make_unique<chase_ioc_get>();
        memset(g.get(), 0, sizeof *g);
        g->size = sizeof *g;
        g->key_len = uint32_t(k.size());
        memcpy(g->data, k.data(), k.size());
        ASSERT_EQ(ioctl(fd, CHASE_IOC_GET, g.get()), 0) << strerror(errno);
        EXPECT_EQ(std::string(g->data, g->value_len), v);
        checked++;
    }
    EXPECT_EQ(checked, t.values.size());
    close(fd);

    // chasectl on the mounted file and on the backing file agree (a key
    // an argument can carry: no NUL byte).
    auto it = std::find_if(t.values.begin(), t.values.end(), [](const auto &kv) {
        return kv.first.find('\0') == std::string::npos && !kv.second.empty();
    });
    ASSERT_NE(it, t.values.end());
    ShellResult a =
        sh(std::string(CHASECTL_BIN) + " get " + quote(mnt("bin.sst")) + " " + quote(it->first));
    ShellResult b =
        sh(std::string(CHASECTL_BIN) + " get " + quote(src("bin.sst")) + " " + quote(it->first));
    EXPECT_EQ(a.status, 0) << a.out;
    EXPECT_EQ(b.status, 0) << b.out;
    EXPECT_EQ(a.out, b.out);  // the same value, shown the same way
}

// chasectl trace through the mount: the data block is read once, checked
// and decompressed; the rest of a 32 KiB block comes from memory.
TEST_P(SstMount, TraceShowsEachBlocksSource) {
    sst_test::Records recs;  // values that compress: blocks are stored compressed
    for (int i = 0; i < 3000; i++)
        recs.emplace_back("key" + std::to_string(100000 + i), std::string(60, 'a' + i % 26));
    auto t = sst_test::write_rocksdb_table(src("big.sst"), recs, {.block_size = 32768});
    const auto &[key, value] = *std::next(t.values.begin(), 1234);
    ShellResult r =
        sh(std::string(CHASECTL_BIN) + " trace " + quote(mnt("big.sst")) + " " + quote(key));
    ASSERT_EQ(r.status, 0) << r.out;
    size_t reads = 0, memory = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        unsigned hop;
        if (sscanf(line.c_str(), "%u", &hop) != 1) continue;
        if (line.ends_with("  read,checked,decompressed")) reads++;
        if (line.ends_with("  memory")) memory++;
    }
    EXPECT_EQ(reads, 1u) << r.out;
    EXPECT_GE(memory, 1u) << r.out;
    EXPECT_NE(r.out.find("value " + value.substr(0, 20)), std::string::npos) << r.out;
}

TEST_P(SstMount, RefusedTablesSayWhy) {
    sst_test::write_refused_table(src("ranges.sst"), sst_test::Refused::kRangeDeletion);
    ShellResult cat = sh("cat " + quote(mnt("ranges.sst@key00007")) + " 2>&1");
    EXPECT_NE(cat.status, 0);
    std::vector<char> buf(4096);
    ssize_t n = getxattr(mnt("ranges.sst").c_str(), "user.chase.error", buf.data(), buf.size());
    ASSERT_GT(n, 0) << strerror(errno);
    EXPECT_NE(std::string(buf.data(), size_t(n)).find("range deletions"), std::string::npos)
        << std::string(buf.data(), size_t(n));
}

// With -o cache: repeated lookups are served partly from the daemon's cache
// (cache_hits in the statistics), and a table replaced behind the mount
// (a new table renamed over it, and one rewritten in place with the same
// size) answers with its new contents at once: a cache never outlives the
// file version it was filled from.
class SstMountCached : public SstMount {
   protected:
    std::vector<std::string> mount_args() const override {
        auto a = SstMount::mount_args();
        a.insert(a.end(), {"-o", "cache=4M"});
        return a;
    }
};

TEST_P(SstMountCached, HitsAreCountedAndAReplacedTableIsReadAfresh) {
    sst_test::Records recs, recs2;
    for (int i = 0; i < 3000; i++) {
        std::string k = "key" + std::to_string(100000 + i);
        recs.emplace_back(k, "old-" + std::to_string(i) + std::string(60, 'o'));
        recs2.emplace_back(k, "new-" + std::to_string(i) + std::string(60, 'n'));
    }
    auto t = sst_test::write_rocksdb_table(src("c.sst"), recs, {});
    // Neighbouring keys share data blocks: the second pass asks the keys
    // after the first's, whose blocks the first pass read.
    auto cat_all = [&](const sst_test::Records &want, size_t from) {
        for (size_t i = from; i < want.size(); i += 97) {
            ShellResult cat = sh("cat " + quote(mnt("c.sst@" + want[i].first)));
            ASSERT_EQ(cat.status, 0) << want[i].first;
            ASSERT_EQ(cat.out, want[i].second) << want[i].first;
        }
    };
    cat_all(recs, 0);
    cat_all(recs, 1);
    std::vector<char> buf(4096);
    ssize_t n = getxattr(mnt("c.sst").c_str(), "user.chase.stats", buf.data(), buf.size());
    ASSERT_GT(n, 0);
    std::string stats(buf.data(), size_t(n));
    EXPECT_EQ(stats.find("cache_hits=0\n"), std::string::npos) << stats;
    EXPECT_NE(stats.find("cache_hits="), std::string::npos) << stats;

    // Replaced by rename behind the mount.
    auto t2 = sst_test::write_rocksdb_table(src("c2.sst"), recs2, {});
    ASSERT_EQ(rename(src("c2.sst").c_str(), src("c.sst").c_str()), 0);
    cat_all(recs2, 0);
    // Rewritten in place behind the mount (same inode): the old table again.
    sst_test::write_rocksdb_table(src("c3.sst"), recs, {});
    ASSERT_EQ(sh("cat " + quote(src("c3.sst")) + " > " + quote(src("c.sst"))).status, 0);
    cat_all(recs, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, SstMountCached, testing::Values("native", "syscall"),
                         [](const testing::TestParamInfo<std::string> &p) { return p.param; });

INSTANTIATE_TEST_SUITE_P(Engines, SstMount, testing::Values("native", "syscall"),
                         [](const testing::TestParamInfo<std::string> &p) { return p.param; });

}  // namespace
