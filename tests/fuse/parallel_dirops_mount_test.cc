// Parallel directory operations: the kernel gets FUSE_PARALLEL_DIROPS in
// the INIT reply (libfuse 3.14 drops it; fs/daemon/kernel_replies.cc adds it),
// so lookups in one directory run at once.  The daemon's inode table,
// query-name table and reaper must stay right under that: 16 processes
// create, rename, look up and unlink names in one directory while queries
// run there, and afterwards the mount and the backing directory agree.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>

#include "query_fixture.h"

using namespace fuse_test;

namespace {

std::string xattr_of(const std::string &path, const char *name) {
    char buf[8192];
    ssize_t n = getxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? "ERR " + std::string(strerror(errno)) : std::string(buf, size_t(n));
}

std::set<std::string> names_in(const std::string &dir) {
    std::set<std::string> names;
    if (DIR *d = opendir(dir.c_str())) {
        while (struct dirent *e = readdir(d))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                names.insert(e->d_name);
        closedir(d);
    }
    return names;
}

class ParallelDiropsTest : public QueryTest {};

TEST_F(ParallelDiropsTest, TheKernelIsToldLookupsMayRunInParallel) {
    std::string stats = xattr_of(mnt(), "user.chase.stats");
    size_t at = stats.find("kernel_init_flags=");
    ASSERT_NE(at, std::string::npos) << stats;
    std::string flags = stats.substr(at, stats.find('\n', at) - at);
    // Every kernel since 4.7 offers it; the daemon must have said yes.
    EXPECT_NE(flags.find("PARALLEL_DIROPS"), std::string::npos) << flags;
    // What libfuse 3.14 itself sends is still there.
    EXPECT_NE(flags.find("ASYNC_READ"), std::string::npos) << flags;
    EXPECT_NE(flags.find("INIT_EXT"), std::string::npos) << flags;
}

// Each process owns the names p<P>-<I>[.r]: it creates one with its content,
// renames some, unlinks some, stats its own and its neighbour's names (a
// neighbour's may come and go: only the errno is checked), and looks up
// query names of users.db in the same directory, checked against the
// oracle.  It writes the names it left behind and their contents to a list,
// which the parent compares with the backing directory and the mount.
TEST_F(ParallelDiropsTest, SixteenProcessesChurnOneDirectoryWhileQueriesRun) {
    constexpr int kProcs = 16, kRounds = 60;
    std::string lists = scratch_->root() + "/lists";
    ASSERT_EQ(mkdir(lists.c_str(), 0755), 0);
    std::vector<pid_t> kids;
    for (int p = 0; p < kProcs; p++) {
        pid_t pid = fork();
        if (pid == 0) {
            std::mt19937_64 rng(p);
            int wrong = 0;
            std::set<std::string> kept;
            for (int i = 0; i < kRounds && wrong == 0; i++) {
                std::string name = "p" + std::to_string(p) + "-" + std::to_string(i);
                std::string content = name + " content " + std::to_string(rng());
                int fd = open(mnt(name).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                if (fd < 0 || write(fd, content.data(), content.size()) != ssize_t(content.size()))
                    wrong++;
                if (fd >= 0) close(fd);
                switch (i % 3) {
                    case 0:  // renamed
                        if (rename(mnt(name).c_str(), mnt(name + ".r").c_str()) != 0) wrong++;
                        kept.insert(name + ".r\t" + content);
                        break;
                    case 1:  // unlinked
                        if (unlink(mnt(name).c_str()) != 0) wrong++;
                        break;
                    default:
                        kept.insert(name + "\t" + content);
                }
                struct stat st;
                std::string mine = "p" + std::to_string(p) + "-" + std::to_string(i / 2);
                if (stat(mnt(mine).c_str(), &st) != 0 && errno != ENOENT) wrong++;
                std::string theirs =
                    "p" + std::to_string((p + 1) % kProcs) + "-" + std::to_string(i);
                if (stat(mnt(theirs).c_str(), &st) != 0 && errno != ENOENT) wrong++;
                uint64_t k = rng() % (kKeys * kStride + 10);
                std::optional<std::string> want;
                if (reader_.get(k, &want).err) _exit(3);
                int err = 0;
                std::string got = read_file(mnt("users.db@" + std::to_string(k)), &err);
                if (want ? (err || got != *want) : err != ENOENT) wrong++;
            }
            std::string list;
            for (const std::string &line : kept) list += line + "\n";
            write_file(lists + "/" + std::to_string(p), list);
            _exit(wrong ? 1 : 0);
        }
        kids.push_back(pid);
    }
    for (pid_t pid : kids) {
        int status;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }

    std::set<std::string> expected = {"users.db"};
    for (int p = 0; p < kProcs; p++) {
        std::string list = read_file(lists + "/" + std::to_string(p));
        size_t pos = 0;
        while (pos < list.size()) {
            size_t tab = list.find('\t', pos), nl = list.find('\n', pos);
            ASSERT_NE(tab, std::string::npos);
            std::string name = list.substr(pos, tab - pos);
            std::string content = list.substr(tab + 1, nl - tab - 1);
            expected.insert(name);
            EXPECT_EQ(read_file(src(name)), content) << name;
            EXPECT_EQ(read_file(mnt(name)), content) << name;
            pos = nl + 1;
        }
    }
    EXPECT_EQ(names_in(src()), expected);
    EXPECT_EQ(names_in(mnt()), expected);
    // Every name the mount shows is the backing file (same inode number).
    for (const std::string &name : expected) {
        struct stat a, b;
        ASSERT_EQ(stat(mnt(name).c_str(), &a), 0) << name;
        ASSERT_EQ(stat(src(name).c_str(), &b), 0) << name;
        EXPECT_EQ(a.st_ino, b.st_ino) << name;
    }
    EXPECT_EQ(read_file(mnt("users.db@42")), "42");
}

}  // namespace
