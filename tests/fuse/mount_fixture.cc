#include "mount_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fuse_test {

const char *chasefs_bin() {
    return CHASEFS_BIN;
}
const char *mkindex_bin() {
    return CHASE_MKINDEX_BIN;
}

bool in_ci() {
    const char *ci = getenv("CI");
    return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

std::string why_no_fuse() {
    if (access("/dev/fuse", R_OK | W_OK) != 0) return "/dev/fuse is missing or not accessible";
    if (geteuid() != 0) return "not running as root (the tests mount with allow_other)";
    if (access("/bin/fusermount3", X_OK) != 0 && access("/usr/bin/fusermount3", X_OK) != 0)
        return "fusermount3 is not installed (package fuse3)";
    return "";
}

namespace {

bool is_mounted(const std::string &mnt) {
    std::ifstream f("/proc/self/mounts");
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        std::string dev, dir, type;
        ls >> dev >> dir >> type;
        if (dir == mnt && type == "fuse.chasefs") return true;
    }
    return false;
}

// In the sanitized build (tests/sanitize) the daemon writes its sanitizer
// reports to files named by CHASE_SANITIZER_REPORTS; one fails the test
// that ran this daemon.  Marked as reported so the test program's final
// check does not count it twice.
void fail_on_sanitizer_report(pid_t pid) {
    const char *prefix = getenv("CHASE_SANITIZER_REPORTS");
    if (!prefix || !*prefix || pid <= 0) return;
    std::filesystem::path p(prefix);
    std::string base = p.filename(), suffix = "." + std::to_string(pid);
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(p.parent_path(), ec)) {
        std::string name = e.path().filename();
        if (name.rfind(base, 0) != 0 || name.size() < suffix.size() ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        ADD_FAILURE() << "chasefs (pid " << pid << ") reported under the sanitizers:\n"
                      << read_file(e.path());
        std::filesystem::rename(e.path(), e.path().string() + ".reported", ec);
    }
}

// The FUSE connection (its number under /sys/fs/fuse/connections) of the
// chasefs mount at mnt, 0 if there is none.
unsigned long connection_of(const std::string &mnt) {
    std::ifstream f("/proc/self/mountinfo");
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        std::string id, parent, dev, root, dir;
        ls >> id >> parent >> dev >> root >> dir;
        size_t sep = line.find(" - ");
        if (dir != mnt || sep == std::string::npos) continue;
        if (line.compare(sep + 3, 13, "fuse.chasefs ") != 0) continue;
        unsigned long major = 0, minor = 0;
        if (sscanf(dev.c_str(), "%lu:%lu", &major, &minor) != 2) continue;
        return (major << 20) | minor;  // the kernel's dev_t, as fusectl names it
    }
    return 0;
}

void abort_connection(unsigned long conn) {
    std::string dir = "/sys/fs/fuse/connections";
    std::string abort_file = dir + "/" + std::to_string(conn) + "/abort";
    if (access(abort_file.c_str(), F_OK) != 0) {
        // fusectl is not mounted everywhere (containers, minimal VMs).
        (void)system(("mount -t fusectl fusectl " + dir + " 2>/dev/null").c_str());
    }
    int fd = open(abort_file.c_str(), O_WRONLY);
    if (fd < 0) return;
    (void)!write(fd, "1", 1);
    close(fd);
}

// The state letter of a process from its /proc stat file (path made by
// the caller), 0 if it is gone.  Allocates nothing (see Daemon::watch).
char process_state(const char *stat_path) {
    int fd = open(stat_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

}  // namespace

// A daemon that dies (a sanitizer report, SIGKILL) while one of its threads
// waits in the kernel for a directory lock held by a request to this very
// daemon (the reaper's entry invalidation) never finishes dying: the
// connection stays open, the test's requests wait forever and no signal
// ends the test.  Once the daemon's main thread is gone, nothing can answer
// anyway; aborting the connection lets everything fail with ENOTCONN.
//
// The watchdog allocates nothing while it polls: the tests fork while it
// runs, and under AddressSanitizer (GCC 12's runtime takes no locks around
// fork) a child forked while another thread held an allocator lock waits
// for that lock forever.  For the same reason watch() returns only once the
// thread is running.
void Daemon::watch(unsigned long conn) {
    if (conn == 0) return;
    stop_watch_ = false;
    std::atomic<bool> running{false};
    std::string stat_path = "/proc/" + std::to_string(pid_) + "/stat";
    watchdog_ = std::thread([this, conn, &running, stat_path, mnt = mnt_] {
        running = true;
        const struct timespec pause = {0, 50 * 1000 * 1000};
        while (!stop_watch_) {
            char state = process_state(stat_path.c_str());
            if (state == 0) return;  // reaped: unmount() or kill_hard() is done
            if (state == 'Z' && connection_of(mnt) == conn) {
                abort_connection(conn);
                return;
            }
            nanosleep(&pause, nullptr);
        }
    });
    while (!running) std::this_thread::yield();
}

void Daemon::stop_watch() {
    stop_watch_ = true;
    if (watchdog_.joinable()) watchdog_.join();
}

Daemon::~Daemon() {
    if (pid_ > 0) {
        unmount();
    }
}

std::string Daemon::start(const std::string &src, const std::string &mnt,
                          const std::vector<std::string> &args) {
    mnt_ = mnt;
    log_path_ = mnt + ".log";
    pid_ = fork();
    if (pid_ == 0) {
        int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        std::vector<const char *> argv = {chasefs_bin(), "-f", src.c_str(), mnt.c_str()};
        for (auto &a : args) argv.push_back(a.c_str());
        argv.push_back(nullptr);
        execv(argv[0], const_cast<char *const *>(argv.data()));
        _exit(127);
    }
    // A hang guard only, not a performance threshold.
    for (int i = 0; i < 2000; i++) {
        if (is_mounted(mnt)) {
            watch(connection_of(mnt));
            return "";
        }
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            fail_on_sanitizer_report(pid_);
            pid_ = -1;
            return "chasefs exited before mounting: " + log();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill_hard();
    return "chasefs did not mount within 20 s: " + log();
}

int Daemon::unmount() {
    if (pid_ <= 0) return -1;
    std::string cmd = "fusermount3 -u " + quote(mnt_) + " 2>/dev/null";
    if (system(cmd.c_str()) != 0) {
        // Busy or already gone: a lazy unmount so no test leaves a mount.
        std::string lazy = "umount -l " + quote(mnt_) + " 2>/dev/null";
        (void)system(lazy.c_str());
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    stop_watch();
    fail_on_sanitizer_report(pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Daemon::kill_hard() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    stop_watch();
    fail_on_sanitizer_report(pid_);  // one from before the kill
    pid_ = -1;
}

std::string Daemon::log() const {
    return read_file(log_path_);
}

Scratch::Scratch() {
    std::string base = std::filesystem::exists("/var/tmp") ? "/var/tmp" : ".";
    std::string tmpl = base + "/chasefs-test-XXXXXX";
    if (!mkdtemp(tmpl.data())) abort();
    root_ = tmpl;
    std::filesystem::create_directory(src());
    std::filesystem::create_directory(mnt());
    std::filesystem::create_directory(ref());
}

Scratch::~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
}

std::vector<std::string> MountedTest::mount_args() const {
    std::vector<std::string> args = {"-o", "allow_other"};
    const char *engine = getenv("CHASEFS_TEST_ENGINE");
    if (engine && *engine) {
        args.push_back("-o");
        args.push_back(std::string("engine=") + engine);
    }
    return args;
}

void MountedTest::SetUp() {
    REQUIRE_FUSE();
    scratch_ = std::make_unique<Scratch>();
    chmod(scratch_->root().c_str(), 0755);
    std::string err = daemon_.start(scratch_->src(), scratch_->mnt(), mount_args());
    ASSERT_EQ(err, "");
}

void MountedTest::TearDown() {
    if (daemon_.running()) daemon_.unmount();
    scratch_.reset();
}

ShellResult sh(const std::string &cmd) {
    ShellResult r;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string quote(const std::string &s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string read_file(const std::string &path, int *err) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) {
        if (err) *err = errno;
        return "";
    }
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (err) *err = n < 0 ? errno : 0;
    close(fd);
    return out;
}

void write_file(const std::string &path, const std::string &data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << data;
}

void make_index(const std::string &path, unsigned count, unsigned stride) {
    std::string cmd = std::string(mkindex_bin()) + " --count " + std::to_string(count) +
                      " --stride " + std::to_string(stride) + " " + quote(path) +
                      " >/dev/null 2>&1";
    if (system(cmd.c_str()) != 0) {
        ADD_FAILURE() << "chase-mkindex failed: " << cmd;
    }
}

}  // namespace fuse_test
