// Ordinary operations through the mount, each compared with the same
// operation on a plain directory of the same ext4 (ref/): same return value,
// same errno, same resulting bytes and metadata.  And the source directory
// must hold what was written through the mount.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>
#include <cstring>
#include <dirent.h>
#include <functional>
#include <random>

#include "mount_fixture.h"

using namespace fuse_test;

namespace {

// "rc/errno" of a call, so that outcomes compare as strings.
std::string outcome(long rc) {
    return rc < 0 ? "err:" + std::string(strerror(errno)) : "ok:" + std::to_string(rc);
}

// The outcome of an open without the descriptor's number, which depends on
// what else the process holds at that instant (the fixture's watchdog opens
// /proc files from its own thread); the descriptor is closed.
std::string opened(int fd) {
    if (fd < 0) return outcome(fd);
    close(fd);
    return "ok:fd";
}

std::vector<std::string> list_dir(const std::string &dir) {
    std::vector<std::string> names;
    DIR *d = opendir(dir.c_str());
    if (!d) return {"<opendir failed: " + std::string(strerror(errno)) + ">"};
    while (struct dirent *e = readdir(d)) names.push_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// Metadata that must agree between the mount and its source.
std::string meta(const std::string &path, bool with_ino = true) {
    struct stat st;
    if (lstat(path.c_str(), &st) < 0) return "lstat:" + std::string(strerror(errno));
    char buf[256];
    snprintf(buf, sizeof buf, "ino=%llu mode=%o nlink=%lu uid=%u gid=%u size=%lld mtime=%lld.%09ld",
             with_ino ? (unsigned long long)st.st_ino : 0ull, st.st_mode,
             (unsigned long)st.st_nlink, st.st_uid, st.st_gid, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return buf;
}

// Runs op on the mount and on ref/ and expects the same transcript.  Every
// test runs twice: with kernel passthrough of ordinary files forced off (the
// daemon serves every read and write) and with it on where the kernel has
// it (-o passthrough=auto, the default).
class PassthroughTest : public MountedTest, public ::testing::WithParamInterface<const char *> {
   protected:
    std::vector<std::string> mount_args() const override {
        std::vector<std::string> args = MountedTest::mount_args();
        args.push_back("-o");
        args.push_back(std::string("passthrough=") + GetParam());
        return args;
    }
    void same(const std::function<std::string(const std::string &base)> &op) {
        std::string on_mount = op(mnt());
        std::string on_ref = op(ref());
        EXPECT_EQ(on_mount, on_ref);
    }
    bool passthrough_wanted() const { return strcmp(GetParam(), "auto") == 0; }
    // The daemon's own account (user.chase.daemon on the mount root).
    std::string daemon_value(const std::string &key) const {
        std::string all =
            sh("getfattr --absolute-names --only-values -n user.chase.daemon " + quote(mnt())).out;
        size_t at = all.find("\n" + key + "=");
        if (at == std::string::npos) return "<no " + key + ">";
        at += key.size() + 2;
        return all.substr(at, all.find('\n', at) - at);
    }
};

INSTANTIATE_TEST_SUITE_P(Passthrough, PassthroughTest, ::testing::Values("off", "auto"),
                         [](const auto &info) { return std::string(info.param); });

// Whether this kernel can pass files through (Linux >= 6.9 built with
// CONFIG_FUSE_PASSTHROUGH), from its own configuration.
bool kernel_has_passthrough() {
    ShellResult r =
        sh("{ zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r); } "
           "| grep -c '^CONFIG_FUSE_PASSTHROUGH=y'");
    return r.out == "1\n";
}

TEST_P(PassthroughTest, CreateWriteReadAndExclusiveCreate) {
    same([](const std::string &b) {
        std::string t;
        int fd = open((b + "/f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0640);
        t += fd < 0 ? outcome(fd) : "ok:fd";
        t += outcome(write(fd, "hello world", 11));
        char buf[32] = {};
        t += outcome(pread(fd, buf, sizeof buf, 6)) + buf;
        struct stat st;
        fstat(fd, &st);
        t += " mode=" + std::to_string(st.st_mode) + " size=" + std::to_string(st.st_size);
        close(fd);
        t += opened(open((b + "/f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0640));
        return t;
    });
    EXPECT_EQ(read_file(src("f")), "hello world");
    EXPECT_EQ(meta(mnt("f")), meta(src("f")));
}

TEST_P(PassthroughTest, StatShowsTheSourceInodeAndMetadata) {
    write_file(src("a"), "abc");
    mkdir(src("d").c_str(), 0700);
    symlink("a", src("l").c_str());
    for (const char *n : {"a", "d", "l"}) EXPECT_EQ(meta(mnt(n)), meta(src(n))) << n;
    EXPECT_EQ(list_dir(mnt()), list_dir(src()));
}

TEST_P(PassthroughTest, SetattrChmodChownUtimensTruncate) {
    same([](const std::string &b) {
        std::string f = b + "/s", t;
        write_file(f, "0123456789");
        t += outcome(chmod(f.c_str(), 0604));
        t += outcome(chown(f.c_str(), 1234, 5678));
        struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
        t += outcome(utimensat(AT_FDCWD, f.c_str(), ts, 0));
        t += outcome(truncate(f.c_str(), 4));
        struct stat st;
        stat(f.c_str(), &st);
        t += " mode=" + std::to_string(st.st_mode) + " uid=" + std::to_string(st.st_uid) +
             " gid=" + std::to_string(st.st_gid) + " atime=" + std::to_string(st.st_atim.tv_nsec) +
             " size=" + std::to_string(st.st_size) + " data=" + read_file(f);
        t += outcome(truncate(f.c_str(), 8));
        t += " grown=" + std::to_string(read_file(f).size());
        int fd = open(f.c_str(), O_RDWR);
        t += outcome(ftruncate(fd, 2)) + outcome(fchmod(fd, 0600));
        struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
        t += outcome(futimens(fd, now));
        close(fd);
        stat(f.c_str(), &st);
        t += " mtime_kept=" + std::to_string(st.st_mtim.tv_sec == 1200000000);
        t += outcome(truncate((b + "/missing").c_str(), 0));
        return t;
    });
    EXPECT_EQ(meta(mnt("s")), meta(src("s")));
}

TEST_P(PassthroughTest, DirectoriesMkdirRmdirUnlink) {
    same([](const std::string &b) {
        std::string t;
        t += outcome(mkdir((b + "/d").c_str(), 0751));
        t += outcome(mkdir((b + "/d").c_str(), 0751));
        write_file(b + "/d/x", "x");
        t += outcome(rmdir((b + "/d").c_str()));
        t += outcome(unlink((b + "/d").c_str()));
        t += outcome(rmdir((b + "/d/x").c_str()));
        t += outcome(unlink((b + "/d/x").c_str()));
        t += outcome(unlink((b + "/d/x").c_str()));
        t += outcome(rmdir((b + "/d").c_str()));
        t += outcome(mkdir((b + "/e").c_str(), 0700));
        for (int i = 0; i < 300; i++) write_file(b + "/e/n" + std::to_string(i), "");
        auto names = list_dir(b + "/e");
        t += " entries=" + std::to_string(names.size());
        return t;
    });
    EXPECT_EQ(list_dir(mnt("e")), list_dir(src("e")));
}

TEST_P(PassthroughTest, RenameWithFlags) {
    same([](const std::string &b) {
        std::string t;
        write_file(b + "/a", "A");
        write_file(b + "/b", "B");
        t += outcome(renameat2(AT_FDCWD, (b + "/a").c_str(), AT_FDCWD, (b + "/b").c_str(),
                               RENAME_NOREPLACE));
        t += outcome(
            renameat2(AT_FDCWD, (b + "/a").c_str(), AT_FDCWD, (b + "/b").c_str(), RENAME_EXCHANGE));
        t += read_file(b + "/a") + read_file(b + "/b");
        t += outcome(rename((b + "/a").c_str(), (b + "/c").c_str()));
        t += outcome(access((b + "/a").c_str(), F_OK)) + read_file(b + "/c");
        mkdir((b + "/d1").c_str(), 0700);
        mkdir((b + "/d2").c_str(), 0700);
        write_file(b + "/d2/f", "");
        t += outcome(rename((b + "/d1").c_str(), (b + "/d2").c_str()));
        t += outcome(rename((b + "/c").c_str(), (b + "/d1/c").c_str()));
        t += read_file(b + "/d1/c");
        t += outcome(
            renameat2(AT_FDCWD, (b + "/b").c_str(), AT_FDCWD, (b + "/z").c_str(), RENAME_EXCHANGE));
        return t;
    });
    EXPECT_EQ(read_file(src("d1/c")), "B");
}

TEST_P(PassthroughTest, HardLinksSymlinksAndFifos) {
    same([](const std::string &b) {
        std::string t;
        write_file(b + "/f", "data");
        t += outcome(link((b + "/f").c_str(), (b + "/g").c_str()));
        struct stat a, c;
        stat((b + "/f").c_str(), &a);
        stat((b + "/g").c_str(), &c);
        t += " nlink=" + std::to_string(a.st_nlink) +
             " same_ino=" + std::to_string(a.st_ino == c.st_ino);
        t += outcome(link((b + "/f").c_str(), (b + "/g").c_str()));
        t += outcome(symlink("f", (b + "/s").c_str()));
        char buf[64] = {};
        t += outcome(readlink((b + "/s").c_str(), buf, sizeof buf)) + buf;
        t += read_file(b + "/s");
        t += opened(open((b + "/s").c_str(), O_RDONLY | O_NOFOLLOW));
        t += outcome(mkfifo((b + "/p").c_str(), 0600));
        struct stat p;
        lstat((b + "/p").c_str(), &p);
        t += " fifo=" + std::to_string(S_ISFIFO(p.st_mode));
        t += outcome(mknod((b + "/r").c_str(), S_IFREG | 0644, 0));
        return t;
    });
    EXPECT_EQ(meta(mnt("g")), meta(src("g")));
    EXPECT_EQ(meta(mnt("s")), meta(src("s")));
}

TEST_P(PassthroughTest, OpenFlags) {
    same([](const std::string &b) {
        std::string t, f = b + "/o";
        write_file(f, "12345");
        int fd = open(f.c_str(), O_WRONLY | O_APPEND);
        t += outcome(write(fd, "67", 2));
        close(fd);
        t += read_file(f);
        fd = open(f.c_str(), O_RDONLY);
        t += outcome(write(fd, "x", 1));
        close(fd);
        t += opened(open(f.c_str(), O_RDONLY | O_DIRECTORY));
        t += opened(open((b + "/nope").c_str(), O_RDONLY));
        fd = open(f.c_str(), O_RDWR | O_TRUNC);
        struct stat st;
        fstat(fd, &st);
        t += " truncated=" + std::to_string(st.st_size);
        t += outcome(fsync(fd)) + outcome(fdatasync(fd));
        close(fd);
        return t;
    });
}

TEST_P(PassthroughTest, StatfsIsTheSourceFilesystems) {
    struct statvfs a, b;
    ASSERT_EQ(statvfs(mnt().c_str(), &a), 0);
    ASSERT_EQ(statvfs(src().c_str(), &b), 0);
    EXPECT_EQ(a.f_bsize, b.f_bsize);
    EXPECT_EQ(a.f_blocks, b.f_blocks);
    EXPECT_EQ(a.f_files, b.f_files);
    EXPECT_EQ(a.f_namemax, b.f_namemax);
}

TEST_P(PassthroughTest, ExtendedAttributesOfTheFileItself) {
    same([](const std::string &b) {
        std::string t, f = b + "/x";
        write_file(f, "");
        t += outcome(setxattr(f.c_str(), "user.color", "blue", 4, 0));
        t += outcome(setxattr(f.c_str(), "user.color", "red", 3, XATTR_CREATE));
        t += outcome(setxattr(f.c_str(), "user.other", "1", 1, XATTR_REPLACE));
        char buf[256] = {};
        t += outcome(getxattr(f.c_str(), "user.color", buf, sizeof buf)) + buf;
        t += outcome(getxattr(f.c_str(), "user.color", nullptr, 0));
        t += outcome(getxattr(f.c_str(), "user.color", buf, 2));
        t += outcome(getxattr(f.c_str(), "user.none", buf, sizeof buf));
        char list[256] = {};
        ssize_t n = listxattr(f.c_str(), list, sizeof list);
        t += outcome(n) + std::string(list, n > 0 ? n : 0);
        t += outcome(removexattr(f.c_str(), "user.color"));
        t += outcome(removexattr(f.c_str(), "user.color"));
        mkdir((b + "/dir").c_str(), 0755);
        t += outcome(setxattr((b + "/dir").c_str(), "user.d", "v", 1, 0));
        t += outcome(getxattr((b + "/dir").c_str(), "user.d", buf, sizeof buf));
        return t;
    });
    char buf[16] = {};
    EXPECT_EQ(getxattr(src("dir").c_str(), "user.d", buf, sizeof buf), 1);
}

TEST_P(PassthroughTest, FallocateAndCopyFileRange) {
    same([](const std::string &b) {
        std::string t, f = b + "/fa";
        int fd = open(f.c_str(), O_CREAT | O_RDWR, 0644);
        t += outcome(fallocate(fd, 0, 0, 1 << 20));
        struct stat st;
        fstat(fd, &st);
        t += " size=" + std::to_string(st.st_size);
        t += outcome(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 << 20));
        fstat(fd, &st);
        t += " size=" + std::to_string(st.st_size);
        std::string data(8192, 'q');
        pwrite(fd, data.data(), data.size(), 0);
        t += outcome(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
        char c = 0;
        pread(fd, &c, 1, 100);
        t += " hole=" + std::to_string(c == 0);
        int out = open((b + "/copy").c_str(), O_CREAT | O_RDWR, 0644);
        loff_t in_off = 4096, out_off = 0;
        t += outcome(copy_file_range(fd, &in_off, out, &out_off, 4096, 0));
        close(out);
        close(fd);
        t += " copy=" + std::to_string(read_file(b + "/copy") == std::string(4096, 'q'));
        return t;
    });
}

TEST_P(PassthroughTest, LargeFileSequentialAndRandomReads) {
    std::string data(8 << 20, '\0');
    std::mt19937_64 rng(42);
    for (auto &c : data) c = static_cast<char>(rng());
    write_file(src("big"), data);
    EXPECT_TRUE(read_file(mnt("big")) == data);
    int fd = open(mnt("big").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 200; i++) {
        size_t off = rng() % (data.size() - 5000), len = 1 + rng() % 5000;
        std::string buf(len, '\0');
        ASSERT_EQ(pread(fd, buf.data(), len, static_cast<off_t>(off)), static_cast<ssize_t>(len));
        ASSERT_TRUE(buf == data.substr(off, len)) << "offset " << off;
    }
    close(fd);
}

TEST_P(PassthroughTest, FlockReachesTheSourceAndPosixLocksExclude) {
    write_file(src("lock"), "");
    int fd = open(mnt("lock").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(flock(fd, LOCK_EX), 0);
    // Another open file description, through the source: excluded.
    int other = open(src("lock").c_str(), O_RDWR);
    EXPECT_EQ(flock(other, LOCK_EX | LOCK_NB), -1);
    EXPECT_EQ(errno, EWOULDBLOCK);
    flock(fd, LOCK_UN);
    EXPECT_EQ(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);

    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_len = 10;
    ASSERT_EQ(fcntl(fd, F_SETLK, &fl), 0);
    pid_t child = fork();
    if (child == 0) {
        int cfd = open(mnt("lock").c_str(), O_RDWR);
        struct flock c = fl;
        int rc = fcntl(cfd, F_SETLK, &c);
        _exit(rc == -1 && (errno == EAGAIN || errno == EACCES) ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "POSIX lock not exclusive";
    close(fd);
}

TEST_P(PassthroughTest, InodeNumbersAreStableAcrossRemount) {
    write_file(src("keep"), "k");
    mkdir(src("kd").c_str(), 0755);
    struct stat before_f, before_d, after_f, after_d;
    ASSERT_EQ(stat(mnt("keep").c_str(), &before_f), 0);
    ASSERT_EQ(stat(mnt("kd").c_str(), &before_d), 0);
    ASSERT_EQ(daemon_.unmount(), 0);
    ASSERT_EQ(daemon_.start(src(), mnt(), mount_args()), "");
    ASSERT_EQ(stat(mnt("keep").c_str(), &after_f), 0);
    ASSERT_EQ(stat(mnt("kd").c_str(), &after_d), 0);
    EXPECT_EQ(before_f.st_ino, after_f.st_ino);
    EXPECT_EQ(before_d.st_ino, after_d.st_ino);
}

TEST_P(PassthroughTest, SigtermUnmountsCleanly) {
    write_file(src("t"), "t");
    ASSERT_EQ(kill(daemon_.pid(), SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(waitpid(daemon_.pid(), &status, 0), daemon_.pid());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << daemon_.log();
    daemon_.kill_hard();  // forget the pid
    auto r = sh("grep -c " + quote(" " + mnt() + " fuse.chasefs") + " /proc/mounts");
    EXPECT_EQ(r.out, "0\n") << "still mounted after SIGTERM";
    EXPECT_EQ(read_file(src("t")), "t");
}

// Which opens the kernel passes through: ordinary files where the kernel has
// it, never data files (their writes must hold the daemon's content lock)
// nor query names, and nothing when forced off.
TEST_P(PassthroughTest, OnlyOrdinaryFilesArePassedThroughAndOnlyWhenAsked) {
    make_index(src("users.db"), 100, 1);
    write_file(src("plain"), "ordinary bytes");
    std::string mode = daemon_value("passthrough");
    if (!passthrough_wanted()) {
        EXPECT_EQ(mode, "off (-o passthrough=off)");
    } else if (kernel_has_passthrough()) {
        EXPECT_EQ(mode, "on") << daemon_.log();
    } else {
        EXPECT_EQ(mode.rfind("off (", 0), 0u) << mode;
        std::cerr << "\n*** this kernel has no FUSE passthrough: the auto mode is tested "
                     "as its fallback only ***\n";
    }
    bool on = mode == "on";
    EXPECT_EQ(daemon_value("passthrough_opens"), "0");
    EXPECT_EQ(read_file(mnt("users.db")), read_file(src("users.db")));
    EXPECT_EQ(read_file(mnt("users.db@42")), "42");
    EXPECT_EQ(daemon_value("passthrough_opens"), "0") << "a data file or query was passed through";
    EXPECT_EQ(read_file(mnt("plain")), "ordinary bytes");
    EXPECT_EQ(daemon_value("passthrough_opens"), on ? "1" : "0");
    // A data file made through the mount (created ordinary, passed through)
    // answers queries as soon as the writer has closed it.
    write_file(mnt("copy.db"), read_file(src("users.db")));
    EXPECT_EQ(read_file(mnt("copy.db@42")), "42");
    EXPECT_EQ(read_file(src("copy.db")), read_file(src("users.db")));
}

// mmap of an ordinary file, both ways: what is stored through a shared
// mapping reaches the source, and a mapping reads what the source holds.
TEST_P(PassthroughTest, MmapReadsAndWritesTheSourceBytes) {
    std::string data(3 * 4096 + 100, 'a');
    for (size_t i = 0; i < data.size(); i++) data[i] = char('a' + i % 26);
    write_file(src("m"), data);
    int fd = open(mnt("m").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    void *p = mmap(nullptr, data.size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_NE(p, MAP_FAILED) << strerror(errno);
    auto *bytes = static_cast<char *>(p);
    EXPECT_TRUE(std::string(bytes, data.size()) == data);
    memcpy(bytes + 4090, "THROUGH-MMAP", 12);
    ASSERT_EQ(msync(p, data.size(), MS_SYNC), 0);
    munmap(p, data.size());
    close(fd);
    data.replace(4090, 12, "THROUGH-MMAP");
    EXPECT_TRUE(read_file(src("m")) == data);
    EXPECT_TRUE(read_file(mnt("m")) == data);
    struct stat on_mount, on_src;
    ASSERT_EQ(stat(mnt("m").c_str(), &on_mount), 0);
    ASSERT_EQ(stat(src("m").c_str(), &on_src), 0);
    EXPECT_EQ(on_mount.st_size, on_src.st_size);
    EXPECT_EQ(on_mount.st_mtim.tv_sec, on_src.st_mtim.tv_sec);
    EXPECT_EQ(on_mount.st_mtim.tv_nsec, on_src.st_mtim.tv_nsec);
}

// Four writers on one file at once, each through its own descriptor, and a
// reader: the file ends as the writes say, on the mount and in the source,
// with the same size and mtime.
TEST_P(PassthroughTest, ConcurrentWritersEndWhereTheSourceDoes) {
    constexpr size_t kChunk = 64 * 1024, kWriters = 4, kRounds = 16;
    write_file(src("shared"), "");
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (size_t w = 0; w < kWriters; w++)
        writers.emplace_back([&, w] {
            int fd = open(mnt("shared").c_str(), O_WRONLY);
            if (fd < 0) {
                failures++;
                return;
            }
            std::string chunk(kChunk, char('0' + w));
            for (size_t r = 0; r < kRounds; r++) {
                off_t at = off_t((r * kWriters + w) * kChunk);
                if (pwrite(fd, chunk.data(), kChunk, at) != ssize_t(kChunk)) failures++;
            }
            close(fd);
        });
    std::thread reader([&] {
        for (int i = 0; i < 50; i++) {
            int err = 0;
            read_file(mnt("shared"), &err);
            if (err) failures++;
        }
    });
    for (auto &t : writers) t.join();
    reader.join();
    EXPECT_EQ(failures.load(), 0);
    std::string expect;
    for (size_t r = 0; r < kRounds; r++)
        for (size_t w = 0; w < kWriters; w++) expect += std::string(kChunk, char('0' + w));
    EXPECT_TRUE(read_file(src("shared")) == expect);
    EXPECT_TRUE(read_file(mnt("shared")) == expect);
    EXPECT_EQ(meta(mnt("shared")), meta(src("shared")));
}

// The mount hides its own source; the daemon still reaches it.
TEST(MountOverItself, PassesThroughToTheHiddenDirectory) {
    REQUIRE_FUSE();
    Scratch s;
    write_file(s.src() + "/before", "old");
    Daemon d;
    ASSERT_EQ(d.start(s.src(), s.src()), "");
    EXPECT_EQ(read_file(s.src() + "/before"), "old");
    write_file(s.src() + "/after", "new");
    EXPECT_EQ(read_file(s.src() + "/after"), "new");
    struct stat st;
    ASSERT_EQ(stat(s.src().c_str(), &st), 0);
    EXPECT_EQ(d.unmount(), 0);
    EXPECT_EQ(read_file(s.src() + "/after"), "new");  // landed in the real directory
}

}  // namespace

namespace {

// -s (one thread) and -o engine=native: the same answers.
TEST(MountOptions, SingleThreadedWithTheNativeEngine) {
    REQUIRE_FUSE();
    Scratch s;
    make_index(s.src() + "/users.db", 100, 1);
    Daemon d;
    ASSERT_EQ(d.start(s.src(), s.mnt(), {"-s", "-o", "engine=native"}), "");
    write_file(s.mnt() + "/new", "n");
    EXPECT_EQ(read_file(s.src() + "/new"), "n");
    EXPECT_EQ(read_file(s.mnt() + "/users.db@42"), "42");
    EXPECT_EQ(sh("getfattr --absolute-names --only-values -n user.chase.engine " +
                 quote(s.mnt() + "/users.db"))
                  .out,
              "native");
    EXPECT_EQ(d.unmount(), 0);
}

}  // namespace
