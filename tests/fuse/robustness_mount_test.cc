// The mount under stress and abuse: many concurrent readers, a new version
// renamed over F while it is queried, in-place rewrites, corrupt files,
// hostile functions, a killed daemon, and users without permission.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <grp.h>

#include <functional>
#include <thread>

#include "corrupt.h"
#include "query_fixture.h"

using namespace fuse_test;

namespace {

class RobustnessTest : public QueryTest {
   protected:
    // A second version of users.db: same keys, values "v2-<key>".
    void make_second_version(const std::string &path) {
        std::string tsv;
        for (unsigned i = 0; i < kKeys; i++)
            tsv += std::to_string(i * kStride) + "\tv2-" + std::to_string(i * kStride) + "\n";
        write_file(scratch_->root() + "/v2.tsv", tsv);
        std::string cmd = std::string(mkindex_bin()) + " --tsv " +
                          quote(scratch_->root() + "/v2.tsv") + " " + quote(path) +
                          " >/dev/null 2>&1";
        ASSERT_EQ(system(cmd.c_str()), 0);
    }
    // The value of key k through the mount; "ENOENT"/"ERR <errno>" otherwise.
    std::string query(const std::string &name) {
        int err = 0;
        std::string v = read_file(mnt(name), &err);
        if (err == ENOENT) return "ENOENT";
        if (err) return "ERR " + std::string(strerror(err));
        return v;
    }
};

// Where a process waits: its state and kernel wait channel, and for each
// of its threads the same, so a hung test says which side is stuck.
std::string where_waits(pid_t pid) {
    auto first_line = [](const std::string &path) {
        std::string s = read_file(path);
        return s.substr(0, s.find('\n'));
    };
    std::string out = "pid " + std::to_string(pid) + ":";
    std::string task = "/proc/" + std::to_string(pid) + "/task";
    if (DIR *d = opendir(task.c_str())) {
        while (struct dirent *e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::string t = task + "/" + e->d_name;
            std::string stat = first_line(t + "/stat");
            size_t paren = stat.rfind(')');
            out += std::string(" [") + e->d_name + " " +
                   (paren == std::string::npos ? "?" : stat.substr(paren + 2, 1)) + " " +
                   first_line(t + "/wchan") + "]";
        }
        closedir(d);
    }
    return out;
}

// Forks procs processes running child(p); each returns its count of wrong
// answers (or exits 3 when the oracle fails).  Fork while no other thread
// of this process can hold a lock: GCC 12's AddressSanitizer takes none
// around fork, and a child forked during another thread's allocation
// waits for that lock forever.  Start helper threads after this returns.
std::vector<pid_t> spawn_processes(int procs, const std::function<int(int)> &child) {
    std::vector<pid_t> kids;
    for (int p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child(p) ? 1 : 0);
        kids.push_back(pid);
    }
    return kids;
}

// Waits for the children, which must all exit 0.  A hang guard (not a
// performance limit): after 240 s the test fails, naming where each child
// and the daemon's threads wait, and the children are killed.
void expect_processes_succeed(const std::vector<pid_t> &kids, pid_t daemon, const char *wrong) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    std::vector<pid_t> left = kids;
    while (!left.empty()) {
        for (size_t i = 0; i < left.size();) {
            int status;
            if (waitpid(left[i], &status, WNOHANG) == left[i]) {
                EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
                    << wrong << " (status " << status << ")";
                left.erase(left.begin() + long(i));
            } else {
                i++;
            }
        }
        if (left.empty()) break;
        if (std::chrono::steady_clock::now() > deadline) {
            std::string report =
                "children still running after 240 s; daemon " + where_waits(daemon);
            for (pid_t pid : left) report += "; child " + where_waits(pid);
            ADD_FAILURE() << report;
            for (pid_t pid : left) kill(pid, SIGKILL);
            for (pid_t pid : left) waitpid(pid, nullptr, 0);
            return;
        }
        usleep(20000);
    }
}

void run_processes(int procs, const std::function<int(int)> &child, pid_t daemon,
                   const char *wrong) {
    expect_processes_succeed(spawn_processes(procs, child), daemon, wrong);
}

TEST_F(RobustnessTest, ManyConcurrentReaderProcesses) {
    constexpr int kProcs = 16, kLookups = 150;
    run_processes(
        kProcs,
        [&](int p) {
            std::mt19937_64 rng(p);
            int wrong = 0;
            for (int i = 0; i < kLookups; i++) {
                uint64_t k = rng() % (kKeys * kStride + 10);
                std::optional<std::string> want;
                if (reader_.get(k, &want).err) _exit(3);
                std::string got = query("users.db@" + std::to_string(k));
                if (got != (want ? *want : "ENOENT")) wrong++;
            }
            return wrong;
        },
        daemon_.pid(), "a reader saw a wrong answer");
}

TEST_F(RobustnessTest, ReplaceByRenameNeverMixesVersions) {
    make_second_version(src("v2.db"));
    std::string v1 = read_file(src("users.db")), v2 = read_file(src("v2.db"));
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0}, answers_v1{0}, answers_v2{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; t++) {
        readers.emplace_back([&, t] {
            std::mt19937_64 rng(t);
            while (!stop) {
                uint64_t k = (rng() % kKeys) * kStride;
                std::string ks = std::to_string(k);
                std::string got = query("users.db@" + ks);
                if (got == ks)
                    answers_v1++;
                else if (got == "v2-" + ks)
                    answers_v2++;
                else
                    wrong++;
                // A range must come wholly from one version.
                std::string r = query("users.db@0..9");
                if (r != "0\t0\n3\t3\n6\t6\n9\t9\n" && r != "0\tv2-0\n3\tv2-3\n6\tv2-6\n9\tv2-9\n")
                    wrong++;
            }
        });
    }
    // Publish new versions the usual way: write a temporary file through
    // the mount, then rename it over F.
    for (int i = 0; i < 40; i++) {
        std::string tmp = mnt(".users.db.tmp");
        write_file(tmp, i % 2 == 0 ? v2 : v1);
        ASSERT_EQ(rename(tmp.c_str(), mnt("users.db").c_str()), 0);
        std::string expect = i % 2 == 0 ? "v2-42" : "42";
        EXPECT_EQ(query("users.db@42"), expect) << "stale answer after rename " << i;
    }
    stop = true;
    for (auto &t : readers) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_GT(answers_v1.load() + answers_v2.load(), 0);
}

TEST_F(RobustnessTest, InPlaceRewriteIsSeenAndNeverHalfDone) {
    make_second_version(src("v2.db"));
    std::string v2 = read_file(src("v2.db"));
    EXPECT_EQ(query("users.db@42"), "42");
    int fd = open(mnt("users.db").c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0);
    // Half written: queries refuse rather than answer from a mix.
    ASSERT_EQ(write(fd, v2.data(), v2.size() / 2), static_cast<ssize_t>(v2.size() / 2));
    EXPECT_EQ(query("users.db@42"), "ERR " + std::string(strerror(EBUSY)));
    ASSERT_EQ(write(fd, v2.data() + v2.size() / 2, v2.size() - v2.size() / 2),
              static_cast<ssize_t>(v2.size() - v2.size() / 2));
    close(fd);
    EXPECT_EQ(query("users.db@42"), "v2-42");
    EXPECT_EQ(sh("cat " + quote(mnt("users.db@count:.."))).out, std::to_string(kKeys) + "\n");
}

// close() ends a rewrite for the queries that follow it at once, although
// the kernel sends RELEASE only after close() has returned; a duplicate
// descriptor that writes on makes the file busy again.
TEST_F(RobustnessTest, AQueryRightAfterCloseSeesTheRewrite) {
    make_second_version(src("v2.db"));
    std::string v1 = read_file(src("users.db")), v2 = read_file(src("v2.db"));
    for (int i = 0; i < 20; i++) {
        const std::string &next = i % 2 == 0 ? v2 : v1;
        int fd = open(mnt("users.db").c_str(), O_WRONLY | O_TRUNC);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, next.data(), next.size()), static_cast<ssize_t>(next.size()));
        ASSERT_EQ(close(fd), 0);
        EXPECT_EQ(query("users.db@42"), i % 2 == 0 ? "v2-42" : "42") << "rewrite " << i;
    }
    int fd = open(mnt("users.db").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    int twin = dup(fd);
    ASSERT_GE(twin, 0);
    ASSERT_EQ(close(fd), 0);
    EXPECT_EQ(query("users.db@42"), "42");
    ASSERT_EQ(pwrite(twin, v2.data(), v2.size() / 2, 0), static_cast<ssize_t>(v2.size() / 2));
    EXPECT_EQ(query("users.db@42"), "ERR " + std::string(strerror(EBUSY)));
    ASSERT_EQ(pwrite(twin, v2.data() + v2.size() / 2, v2.size() - v2.size() / 2,
                     static_cast<off_t>(v2.size() / 2)),
              static_cast<ssize_t>(v2.size() - v2.size() / 2));
    ASSERT_EQ(close(twin), 0);
    EXPECT_EQ(query("users.db@42"), "v2-42");
}

TEST_F(RobustnessTest, CorruptFilesFailCleanlyAndNeverAnswerWrong) {
    int n = 0, failed = 0;
    for (oracle::Corruption c : oracle::all_corruptions()) {
        if (!oracle::corruption_applies(c, reader_.super().depth, kKeys)) continue;
        std::string name = std::string("bad-") + oracle::corruption_name(c) + ".db";
        ASSERT_EQ(oracle::make_corrupt_copy(src("users.db"), src(name), c).err, 0);
        for (uint64_t k : {0ull, 42ull, 4500ull, 8997ull}) {
            std::string got = query(name + "@" + std::to_string(k));
            bool ok = got == std::to_string(k) || got.rfind("ERR ", 0) == 0 || got == "ENOENT";
            EXPECT_TRUE(ok) << name << " key " << k << " answered " << got;
            if (got.rfind("ERR ", 0) == 0) failed++;
        }
        query(name + "@..");
        query(name + "@count:..");
        n++;
    }
    EXPECT_GT(n, 0);
    EXPECT_GT(failed, 0) << "no corruption was noticed at all";
    EXPECT_TRUE(daemon_.running());
    EXPECT_EQ(query("users.db@42"), "42") << "the daemon no longer answers: " << daemon_.log();
}

TEST_F(RobustnessTest, HostileFunctionsAreStoppedNotObeyed) {
    for (const char *obj : {HOSTILE_LOOP_OBJ, HOSTILE_OOB_OBJ}) {
        std::string name = std::string("h-") + std::to_string(strlen(obj)) + ".db";
        ASSERT_EQ(system(("cp " + quote(src("users.db")) + " " + quote(src(name))).c_str()), 0);
        int rc = setxattr(mnt(name).c_str(), "user.chase.fn", obj, strlen(obj), 0);
        if (rc != 0) {
            // Refused (e.g. the native engine cannot run BPF objects): with a reason.
            EXPECT_EQ(errno, EINVAL);
            char why[4096];
            EXPECT_GT(getxattr(mnt(name).c_str(), "user.chase.error", why, sizeof why), 0);
            continue;
        }
        std::string got = query(name + "@42");
        EXPECT_EQ(got.rfind("ERR ", 0), 0u) << obj << " answered " << got;
        char why[4096] = {};
        EXPECT_GT(getxattr(mnt(name).c_str(), "user.chase.error", why, sizeof why), 0) << obj;
    }
    EXPECT_EQ(query("users.db@42"), "42");
}

TEST_F(RobustnessTest, KilledDaemonGivesEnotconnAndARemountWorks) {
    write_file(mnt("note.txt"), "written through the mount");
    std::string before = read_file(src("users.db"));
    daemon_.kill_hard();
    struct stat st;
    EXPECT_EQ(stat(mnt("users.db").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_TRUE(read_file(src("users.db")) == before) << "backing data file changed";
    EXPECT_EQ(read_file(src("note.txt")), "written through the mount");
    ASSERT_EQ(system(("fusermount3 -u " + quote(mnt())).c_str()), 0);
    ASSERT_EQ(daemon_.start(src(), mnt(), mount_args()), "");
    EXPECT_EQ(query("users.db@42"), "42");
    EXPECT_EQ(read_file(mnt("note.txt")), "written through the mount");
}

// Runs fn as uid/gid 65534 (nobody) in a child; its exit status.
int as_nobody(const std::function<int()> &fn) {
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
        _exit(fn());
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST_F(RobustnessTest, ReadPermissionGuardsQueriesAndOnlyTheOwnerSetsTheFunction) {
    ASSERT_EQ(chmod(src("users.db").c_str(), 0600), 0);
    std::string f = mnt("users.db");
    // 0: refused with EACCES, as open(F) would be.
    EXPECT_EQ(as_nobody([&] {
                  struct stat st;
                  if (stat((f + "@42").c_str(), &st) == 0 || errno != EACCES) return 1;
                  if (open((f + "@42").c_str(), O_RDONLY) >= 0 || errno != EACCES) return 2;
                  char v[64];
                  if (getxattr(f.c_str(), "user.chase.get.42", v, sizeof v) >= 0 || errno != EACCES)
                      return 3;
                  return 0;
              }),
              0);
    // Readable and writable by everyone, but owned by root: nobody may
    // query, but not change the function.
    ASSERT_EQ(chmod(src("users.db").c_str(), 0666), 0);
    EXPECT_EQ(as_nobody([&] {
                  if (read_file(f + "@42") != "42") return 1;
                  if (setxattr(f.c_str(), "user.chase.fn", "bptree", 6, 0) == 0 || errno != EPERM)
                      return 2;
                  if (removexattr(f.c_str(), "user.chase.fn") == 0 || errno != EPERM) return 3;
                  return 0;
              }),
              0);
    EXPECT_EQ(setxattr(f.c_str(), "user.chase.fn", "bptree", 6, 0), 0);  // root may
}

TEST_F(RobustnessTest, QueryNamesDoNotPileUp) {
    for (int i = 0; i < 3000; i++) {
        struct stat st;
        stat(mnt("users.db@" + std::to_string(i)).c_str(), &st);
    }
    // The reaper asks the kernel to drop used names; wait for it (a hang
    // guard of 10 s, not a performance limit).
    std::string counters;
    for (int i = 0; i < 1000; i++) {
        char buf[4096] = {};
        ssize_t n = getxattr(mnt().c_str(), "user.chase.daemon", buf, sizeof buf);
        ASSERT_GT(n, 0);
        counters.assign(buf, n);
        size_t at = counters.find("query_nodes=");
        if (std::stoul(counters.substr(at + 12)) <= 10) break;
        usleep(10000);
    }
    size_t at = counters.find("query_nodes=");
    EXPECT_LE(std::stoul(counters.substr(at + 12)), 10u) << counters;
}

// Back-pressure with a small bound (CHASEFS_QUERY_HIGH_WATER=64): 8
// processes stat distinct names as fast as they can.  The daemon defers
// their getattr requests instead of growing, so the table stays within the
// bound plus one name per process; every answer is still right.
class BoundedQueryTable : public RobustnessTest {
   protected:
    BoundedQueryTable() { setenv("CHASEFS_QUERY_HIGH_WATER", "64", 1); }
    ~BoundedQueryTable() override { unsetenv("CHASEFS_QUERY_HIGH_WATER"); }
};

uint64_t daemon_counter(const std::string &mnt, const std::string &name) {
    char buf[4096] = {};
    ssize_t n = getxattr(mnt.c_str(), "user.chase.daemon", buf, sizeof buf - 1);
    if (n <= 0) return ~0ull;
    std::string text(buf, size_t(n));
    size_t at = text.find(name + "=");
    return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 1));
}

TEST_F(BoundedQueryTable, ManyDistinctNamesAreDeferredNotKept) {
    constexpr int kProcs = 8, kNames = 600;
    std::atomic<bool> done{false};
    std::atomic<uint64_t> peak{0};
    std::vector<pid_t> kids = spawn_processes(kProcs, [&](int p) {
        int wrong = 0;
        for (int i = 0; i < kNames; i++) {
            uint64_t k = uint64_t(p) * kNames + uint64_t(i);  // distinct names
            std::optional<std::string> want;
            if (reader_.get(k, &want).err) _exit(3);
            struct stat st;
            int rc = stat(mnt("users.db@" + std::to_string(k)).c_str(), &st);
            if (want ? (rc != 0 || uint64_t(st.st_size) != want->size()) : rc == 0) wrong++;
        }
        return wrong;
    });
    const std::string root = mnt();
    std::thread sampler([&] {
        char buf[1024];
        while (!done) {
            ssize_t n = getxattr(root.c_str(), "user.chase.daemon", buf, sizeof buf - 1);
            const char *at = n > 0 ? (buf[n] = 0, strstr(buf, "query_nodes=")) : nullptr;
            uint64_t nodes = at ? strtoull(at + 12, nullptr, 10) : 0;
            if (nodes > peak) peak = nodes;
            usleep(2000);
        }
    });
    expect_processes_succeed(kids, daemon_.pid(), "a stat gave a wrong size or result");
    done = true;
    sampler.join();
    EXPECT_GT(daemon_counter(mnt(), "query_deferred"), 0u) << "the bound was never reached";
    // Within the bound plus one name per process (and the sampler's own
    // lookups of the mount point are not query names).
    EXPECT_LE(peak.load(), 64u + kProcs) << "the query table outgrew its bound";
}

}  // namespace
