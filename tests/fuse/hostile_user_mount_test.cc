// A hostile user of a shared mount (-o allow_other, daemon as root): what
// an unprivileged user (nobody, uid 65534) can do to everyone else through
// names, attributes, ioctls, locks and the functions they attach.  Each case
// below took the daemon down, hung it, grew it without bound or leaked a
// file's existence before the hardening of issue 9; the rest pin down what
// was already right so it stays so.
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "chase/ioctl.h"
#include "query_fixture.h"

using namespace fuse_test;

namespace {

constexpr uid_t kNobody = 65534;
constexpr uid_t kOther = 65533;  // a second unprivileged user, no account needed

// Runs fn in a child process as uid (gid the same, no other group) and
// returns its exit status; 124 if it did not finish within `seconds` (the
// child is killed: a hang is a failure, never a stuck test).
int as_user(uid_t uid, const std::function<int()> &fn, int seconds = 20) {
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) _exit(99);
        _exit(fn());
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 124;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string xattr_of(const std::string &path, const char *name) {
    char buf[65536];
    ssize_t n = getxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? "" : std::string(buf, size_t(n));
}

uint64_t counter(const std::string &text, const std::string &name) {
    size_t at = text.find(name + "=");
    return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 1));
}

// In the sanitized build (tests/sanitize) the daemon's resident memory
// measures AddressSanitizer instead: freed blocks stay resident in its
// quarantine (256 MiB) and every block has shadow and redzones.  The budget
// counters are checked there all the same.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssIsTheDaemons = false;
#else
constexpr bool kRssIsTheDaemons = true;
#endif

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::string replace_all(std::string s, const std::string &from, const std::string &to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

class HostileUser : public QueryTest {
   protected:
    void SetUp() override {
        QueryTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // nobody's own directory and data file, where they may attach
        // whatever they like.
        ASSERT_EQ(mkdir(src("home").c_str(), 0755), 0);
        ASSERT_EQ(chown(src("home").c_str(), kNobody, kNobody), 0);
        std::filesystem::copy_file(src("users.db"), src("home/mine.db"));
        ASSERT_EQ(chown(src("home/mine.db").c_str(), kNobody, kNobody), 0);
        objs_ = scratch_->root() + "/objs";
        ASSERT_EQ(mkdir(objs_.c_str(), 0755), 0);
    }

    // Sets user.chase.fn=value on nobody's file as nobody: the errno (0 on
    // success), and in *why the sentence chasefs recorded.
    int attach_as_nobody(const std::string &value, std::string *why = nullptr) {
        std::string f = mnt("home/mine.db");
        int rc = as_user(kNobody, [&] {
            if (setxattr(f.c_str(), "user.chase.fn", value.data(), value.size(), 0) == 0) return 0;
            return errno;
        });
        if (why) *why = xattr_of(f, "user.chase.error");
        return rc;
    }

    // The mount still answers everyone: root lists it and a query answers.
    void expect_mount_alive() {
        ASSERT_TRUE(daemon_.running());
        EXPECT_EQ(as_user(
                      0,
                      [&] {
                          return std::filesystem::exists(mnt("users.db")) &&
                                         read_file(mnt("users.db@42")) == "42"
                                     ? 0
                                     : 1;
                      },
                      10),
                  0)
            << daemon_.log();
    }

    std::string objs_;
};

TEST_F(HostileUser, FunctionPathsThatAreNotObjectsAreRefusedAndTheMountLives) {
    std::string fifo = src("home/pipe");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
    ASSERT_EQ(chown(fifo.c_str(), kNobody, kNobody), 0);
    std::string big = src("home/big.o");  // sparse: 64 MiB on no blocks
    ASSERT_EQ(truncate((std::ofstream(big), big).c_str(), 64 << 20), 0);
    ASSERT_EQ(chown(big.c_str(), kNobody, kNobody), 0);
    long idle = rss_kib(daemon_.pid());
    const struct {
        std::string value;
        const char *says;
    } cases[] = {
        {"/etc/", "is a directory"},
        {"/proc/self/mem", "is not readable by uid 65534"},  // the daemon's, mode 0600
        {"/proc/self/cmdline", "does not tell its size"},
        {"/dev/zero", "is a character device"},
        {fifo, "is a FIFO"},
        {mnt("home/pipe"), "is a FIFO"},  // the same FIFO through the mount
        {big, "may have at most 8388608 bytes"},
        {"", "empty value names no function"},
    };
    for (auto &c : cases) {
        std::string why;
        EXPECT_EQ(attach_as_nobody(c.value, &why), EINVAL) << c.value;
        EXPECT_NE(why.find(c.says), std::string::npos) << c.value << ": " << why;
        expect_mount_alive();
    }
    if (kRssIsTheDaemons) {
        EXPECT_LT(rss_kib(daemon_.pid()) - idle, 64 * 1024) << "the daemon grew reading objects";
    }
}

TEST_F(HostileUser, TenFifosAtOnceHoldNoWorker) {
    std::vector<pid_t> kids;
    for (int i = 0; i < 10; i++) {
        std::string name = "home/pipe" + std::to_string(i);
        ASSERT_EQ(mkfifo(src(name).c_str(), 0666), 0);
        std::filesystem::copy_file(src("users.db"), src(name + ".db"));
        ASSERT_EQ(chown(src(name + ".db").c_str(), kNobody, kNobody), 0);
        std::string f = mnt(name + ".db"), obj = src(name);
        pid_t pid = fork();
        if (pid == 0)
            _exit(as_user(kNobody, [&] {
                return setxattr(f.c_str(), "user.chase.fn", obj.data(), obj.size(), 0) < 0 &&
                               errno == EINVAL
                           ? 0
                           : 1;
            }));
        kids.push_back(pid);
    }
    expect_mount_alive();  // while they run
    for (pid_t pid : kids) {
        int status;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
}

// The object is opened with the caller's uid, gid and groups, and a path
// that is absent and one hidden from the caller read the same.
TEST_F(HostileUser, ObjectsAreReadAsTheCallerAndHiddenLooksLikeAbsent) {
    std::string secret = objs_ + "/secret";
    ASSERT_EQ(mkdir(secret.c_str(), 0700), 0);
    std::filesystem::copy_file(HOSTILE_LOOP_OBJ, secret + "/fn.o");
    std::filesystem::copy_file(HOSTILE_LOOP_OBJ, objs_ + "/root-only.o");
    ASSERT_EQ(chmod((objs_ + "/root-only.o").c_str(), 0600), 0);
    std::filesystem::copy_file(HOSTILE_LOOP_OBJ, objs_ + "/public.o");
    ASSERT_EQ(chmod((objs_ + "/public.o").c_str(), 0644), 0);

    // What nobody is told, with the path taken out.
    auto told = [&](const std::string &path) {
        std::string why;
        EXPECT_EQ(attach_as_nobody(path, &why), EINVAL) << path;
        return replace_all(why, path, "PATH");
    };
    std::string hidden = told(secret + "/fn.o");
    EXPECT_NE(hidden.find("does not exist or is not readable by uid 65534"), std::string::npos)
        << hidden;
    EXPECT_EQ(told(secret + "/absent.o"), hidden);
    EXPECT_EQ(told(objs_ + "/root-only.o"), hidden);
    EXPECT_EQ(told(objs_ + "/absent.o"), hidden);

    // chasectl verify, run by nobody, applies the same rules and words.
    auto verify = [&](const std::string &path) {
        std::string out;
        int rc = as_user(kNobody, [&] {
            ShellResult r = sh(std::string(CHASECTL_BIN) + " verify " + quote(path) + " 2>&1");
            std::ofstream(objs_ + "/verify.out") << r.out;
            return r.status;
        });
        std::ifstream in(objs_ + "/verify.out");
        std::getline(in, out, '\0');
        EXPECT_EQ(rc, 2) << path << ": " << out;
        return replace_all(out, path, "PATH");
    };
    ASSERT_EQ(chmod(objs_.c_str(), 0777), 0);  // for verify.out
    std::string v = verify(secret + "/fn.o");
    EXPECT_NE(v.find("does not exist or is not readable by uid 65534"), std::string::npos) << v;
    EXPECT_EQ(verify(secret + "/absent.o"), v);
    EXPECT_NE(verify("/etc/").find("is a directory"), std::string::npos);
    EXPECT_NE(verify("/dev/zero").find("is a character device"), std::string::npos);
    EXPECT_NE(verify("/proc/self/mem").find("does not tell its size"), std::string::npos);

    // What nobody may read, they may attach; root may attach the secret one.
    EXPECT_EQ(attach_as_nobody(objs_ + "/public.o"), 0);
    std::string fn = secret + "/fn.o";
    EXPECT_EQ(setxattr(mnt("users.db").c_str(), "user.chase.fn", fn.data(), fn.size(), 0), 0)
        << xattr_of(mnt("users.db"), "user.chase.error");
    ASSERT_EQ(removexattr(mnt("users.db").c_str(), "user.chase.fn"), 0);
    expect_mount_alive();
}

class HostileUserBudget : public HostileUser {
   protected:
    std::vector<std::string> mount_args() const override {
        auto args = HostileUser::mount_args();
        args.insert(args.end(), {"-o", "user_answer_memory=1M,answer_memory=1536K"});
        return args;
    }
};

// Open range answers are charged to the uid that opened them: one user is
// held to the per-user budget, two together to the total, and every byte
// comes back when the descriptors close.
TEST_F(HostileUserBudget, OpenRangeAnswersStayWithinTheBudgets) {
    make_index(src("big.db"), 30000, 1);  // "K\tK\n" lines: about 320 KB a range
    ASSERT_EQ(chmod(src("big.db").c_str(), 0644), 0);
    // Distinct names (a name's answer is shared by all its opens while the
    // kernel holds the name): each open builds an answer of its own.
    auto range_from = [&](int i) { return mnt("big.db@" + std::to_string(i) + ".."); };
    long idle = rss_kib(daemon_.pid());
    // nobody opens 40 descriptors on the range and holds what it got.
    int report[2], release[2];
    ASSERT_EQ(pipe(report), 0);
    ASSERT_EQ(pipe(release), 0);
    pid_t holder = fork();
    if (holder == 0) {
        if (setgroups(0, nullptr) || setgid(kNobody) || setuid(kNobody)) _exit(99);
        int counts[3] = {0, 0, 0};  // opened, EDQUOT, other errors
        std::vector<int> fds;
        for (int i = 0; i < 40; i++) {
            int fd = open(range_from(i).c_str(), O_RDONLY);
            if (fd >= 0)
                fds.push_back(fd), counts[0]++;
            else
                counts[errno == EDQUOT ? 1 : 2]++;
        }
        if (write(report[1], counts, sizeof counts) != sizeof counts) _exit(1);
        char c;
        if (read(release[0], &c, 1) != 1) _exit(1);
        _exit(0);
    }
    int counts[3] = {};
    ASSERT_EQ(read(report[0], counts, sizeof counts), ssize_t(sizeof counts));
    EXPECT_GE(counts[0], 1);
    EXPECT_LE(counts[0], 4);  // 1 MiB of 320 KB answers
    EXPECT_EQ(counts[1], 40 - counts[0]);
    EXPECT_EQ(counts[2], 0);
    std::string d = xattr_of(mnt(), "user.chase.stats");
    EXPECT_LE(counter(d, "answer_bytes_uid_65534"), 1u << 20) << d;
    if (kRssIsTheDaemons) {
        EXPECT_LT(rss_kib(daemon_.pid()) - idle, 1024 + 32 * 1024) << d;
    }
    // A second user still gets answers, up to the daemon's total.
    EXPECT_EQ(as_user(kOther,
                      [&] {
                          std::vector<int> mine;
                          for (int i = 0; i < 10; i++) {
                              int fd = open(range_from(100 + i).c_str(), O_RDONLY);
                              if (fd < 0) return i >= 1 && errno == ENOBUFS ? 0 : 100 + errno;
                              mine.push_back(fd);
                          }
                          return 30;  // never refused: the total was not enforced
                      }),
              0);
    EXPECT_LE(counter(d, "answer_bytes"), 1536u << 10) << d;
    ASSERT_EQ(write(release[1], "x", 1), 1);
    waitpid(holder, nullptr, 0);
    for (int fd : {report[0], report[1], release[0], release[1]}) close(fd);
    // Every descriptor is closed now: the budgets are free again.
    for (int i = 0; i < 200; i++) {
        d = xattr_of(mnt(), "user.chase.daemon");
        if (counter(d, "answer_bytes") == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(counter(d, "answer_bytes"), 0u) << d;
    EXPECT_GE(counter(d, "answers_refused"), uint64_t(counts[1]) + 1) << d;
    EXPECT_GT(counter(d, "answer_bytes_peak"), 600000u) << d;
    EXPECT_EQ(read_file(mnt("big.db@..:2")), "0\t0\n1\t1\n");
}

TEST_F(HostileUser, QueryNamesAreNeverCreated) {
    std::string absent = mnt("home/mine.db@1"), present = mnt("home/mine.db@42");
    std::string absent2 = mnt("home/mine.db@2");
    EXPECT_EQ(as_user(kNobody,
                      [&] {
                          struct stat st;
                          if (stat(absent.c_str(), &st) == 0 || errno != ENOENT) return 1;
                          // Absent to stat, so not "exists" to O_CREAT|O_EXCL either;
                          // and never made into a real file that would hide the query.
                          if (open(absent.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0 ||
                              errno != EROFS)
                              return 2;
                          if (open(absent.c_str(), O_CREAT | O_WRONLY, 0644) >= 0 || errno != EROFS)
                              return 3;
                          if (mkdir(absent.c_str(), 0755) == 0 || errno != EROFS) return 4;
                          if (symlink("x", absent.c_str()) == 0 || errno != EROFS) return 5;
                          int fd = open(absent2.c_str(), O_RDONLY);  // absent too
                          if (fd >= 0 || errno != ENOENT) return 6;
                          // A present key exists to both.
                          if (stat(present.c_str(), &st) != 0) return 7;
                          if (open(present.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0 ||
                              errno != EEXIST)
                              return 8;
                          // A name with '@' after something that is not a data file is
                          // an ordinary name.
                          fd = open(mnt("home/notes@1").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                          if (fd < 0) return 9;
                          close(fd);
                          return 0;
                      }),
              0);
    EXPECT_FALSE(std::filesystem::exists(src("home/mine.db@1")));
    EXPECT_TRUE(std::filesystem::exists(src("home/notes@1")));
}

// A lock holder and a dozen blocked flock() calls: the workers stay free.
TEST_F(HostileUser, BlockedFlocksHoldNoWorker) {
    std::string f = mnt("home/lockme");
    write_file(src("home/lockme"), "x");
    ASSERT_EQ(chmod(src("home/lockme").c_str(), 0666), 0);
    int holder = open(f.c_str(), O_RDONLY);
    ASSERT_GE(holder, 0);
    ASSERT_EQ(flock(holder, LOCK_EX), 0);
    std::vector<pid_t> waiters;
    for (int i = 0; i < 12; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(as_user(
                kNobody,
                [&] {
                    int fd = open(f.c_str(), O_RDONLY);
                    if (fd < 0 || flock(fd, LOCK_EX) != 0) return 1;
                    flock(fd, LOCK_UN);
                    return 0;
                },
                30));
        waiters.push_back(pid);
    }
    std::string d;
    for (int i = 0; i < 500 && counter(d, "flock_waiting") != 12; i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        d = xattr_of(mnt(), "user.chase.daemon");
    }
    EXPECT_EQ(counter(d, "flock_waiting"), 12u) << d;
    expect_mount_alive();
    // A waiter that is interrupted gets EINTR, as on ext4.
    EXPECT_EQ(as_user(kNobody,
                      [&] {
                          struct sigaction sa = {};
                          sa.sa_handler = [](int) {};
                          sigaction(SIGALRM, &sa, nullptr);  // no SA_RESTART
                          alarm(1);
                          int fd = open(f.c_str(), O_RDONLY);
                          return flock(fd, LOCK_EX) < 0 && errno == EINTR ? 0 : 1;
                      }),
              0);
    ASSERT_EQ(flock(holder, LOCK_UN), 0);
    close(holder);
    for (pid_t pid : waiters) {
        int status;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
}

class ThrowingOperation : public HostileUser {
   protected:
    ThrowingOperation() { setenv("CHASEFS_TEST_THROW_ON", "explode", 1); }
    ~ThrowingOperation() override { unsetenv("CHASEFS_TEST_THROW_ON"); }
};

TEST_F(ThrowingOperation, AFailingOperationFailsOnlyItsRequest) {
    EXPECT_EQ(as_user(kNobody,
                      [&] {
                          struct stat st;
                          return stat(mnt("explode").c_str(), &st) < 0 && errno == ENOMEM ? 0 : 1;
                      }),
              0);
    expect_mount_alive();
    EXPECT_NE(daemon_.log().find("out of memory; the request gets ENOMEM"), std::string::npos)
        << daemon_.log();
}

// What the probe found right, kept right for an unprivileged user.
TEST_F(HostileUser, PermissionsHoldByPathAttributeAndIoctl) {
    std::string f = mnt("users.db");       // root's; chmod through the mount, which
    ASSERT_EQ(chmod(f.c_str(), 0666), 0);  // the kernel's cached mode follows
    EXPECT_EQ(
        as_user(kNobody,
                [&] {
                    int fd = open(f.c_str(), O_RDONLY);
                    if (fd < 0) return 1;
                    chase_ioc_get g = {};
                    g.size = sizeof g;
                    g.key_len = 2;
                    memcpy(g.data, "42", 2);
                    if (ioctl(fd, CHASE_IOC_GET, &g) != 0 ||
                        std::string(g.data, g.value_len) != "42")
                        return 2;
                    close(fd);
                    // Not theirs: the function stays root's to choose.
                    if (setxattr(f.c_str(), "user.chase.fn", "cdb", 3, 0) == 0 || errno != EPERM)
                        return 3;
                    return 0;
                }),
        0);
    ASSERT_EQ(chmod(f.c_str(), 0600), 0);
    EXPECT_EQ(as_user(kNobody,
                      [&] {
                          struct stat st;
                          char v[64];
                          if (stat((f + "@42").c_str(), &st) == 0 || errno != EACCES) return 1;
                          if (getxattr(f.c_str(), "user.chase.get.42", v, sizeof v) >= 0 ||
                              errno != EACCES)
                              return 2;
                          if (open(f.c_str(), O_RDONLY) >= 0 || errno != EACCES) return 3;
                          return 0;
                      }),
              0);
}

TEST_F(HostileUser, AKilledDaemonLosesNothing) {
    std::string before = read_file(src("home/mine.db"));
    // nobody holds an answer open and has a file open for writing.
    std::string q = mnt("home/mine.db@..:5"), w = mnt("home/notes");
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t user = fork();
    if (user == 0) {
        if (setgroups(0, nullptr) || setgid(kNobody) || setuid(kNobody)) _exit(99);
        int a = open(q.c_str(), O_RDONLY), b = open(w.c_str(), O_CREAT | O_WRONLY, 0644);
        char ok = a >= 0 && b >= 0 && write(b, "kept", 4) == 4 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char ok = 0;
    ASSERT_EQ(read(ready[0], &ok, 1), 1);
    ASSERT_EQ(ok, 'y');
    close(ready[0]);
    close(ready[1]);
    daemon_.kill_hard();
    struct stat st;
    EXPECT_EQ(stat(mnt("users.db").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOTCONN);
    kill(user, SIGKILL);
    waitpid(user, nullptr, 0);
    EXPECT_EQ(read_file(src("home/mine.db")), before);
    EXPECT_EQ(read_file(src("home/notes")), "kept");
    ASSERT_EQ(system(("fusermount3 -u " + quote(mnt())).c_str()), 0);
    ASSERT_EQ(daemon_.start(scratch_->src(), scratch_->mnt(), mount_args()), "");
    EXPECT_EQ(as_user(kNobody, [&] { return read_file(mnt("home/mine.db@42")) == "42" ? 0 : 1; }),
              0);
}

}  // namespace
