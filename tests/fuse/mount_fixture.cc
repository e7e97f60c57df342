#include "mount_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
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

}  // namespace

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
        if (is_mounted(mnt)) return "";
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
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
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Daemon::kill_hard() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
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
