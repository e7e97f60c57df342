// Real FUSE mounts for the tests: a temporary directory on the root
// filesystem (ext4; not /tmp, which may be tmpfs) with src/ mounted at mnt/
// by the real chasefs binary, run in the foreground as a child so a test can
// also kill it.
//
// Where FUSE cannot run (no /dev/fuse, not root) every mounted test says so
// loudly and skips; under CI (CI set in the environment) that is a failure.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace fuse_test {

bool in_ci();
// Empty if FUSE mounts can run here, else why not.
std::string why_no_fuse();

#define REQUIRE_FUSE()                                                                      \
    do {                                                                                    \
        std::string why_ = ::fuse_test::why_no_fuse();                                      \
        if (!why_.empty()) {                                                                \
            if (::fuse_test::in_ci()) FAIL() << "FUSE tests cannot run under CI: " << why_; \
            GTEST_SKIP() << "\n*** FUSE MOUNT TEST NOT RUN: " << why_ << " ***\n";          \
        }                                                                                   \
    } while (0)

// A chasefs process serving one mount.
class Daemon {
   public:
    ~Daemon();
    // Starts `chasefs -f SRC MNT args...` and waits until MNT is mounted.
    // Returns "" or why it failed (with the daemon's stderr).
    std::string start(const std::string &src, const std::string &mnt,
                      const std::vector<std::string> &args = {});
    // fusermount3 -u, then waits for the daemon to exit; its exit status.
    int unmount();
    void kill_hard();  // SIGKILL, as a crash would
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    std::string log() const;

   private:
    void watch(unsigned long conn);
    void stop_watch();

    pid_t pid_ = -1;
    std::string mnt_, log_path_;
    std::thread watchdog_;
    std::atomic<bool> stop_watch_{false};
};

// A scratch directory with src/, mnt/ and ref/ (a plain directory for
// oracle operations), removed afterwards.
class Scratch {
   public:
    Scratch();
    ~Scratch();
    const std::string &root() const { return root_; }
    std::string src() const { return root_ + "/src"; }
    std::string mnt() const { return root_ + "/mnt"; }
    std::string ref() const { return root_ + "/ref"; }

   private:
    std::string root_;
};

// A test with a mounted chasefs (engine from CHASEFS_TEST_ENGINE, default
// automatic).
class MountedTest : public ::testing::Test {
   protected:
    void SetUp() override;
    void TearDown() override;
    std::string src(const std::string &rel = "") const { return join(scratch_->src(), rel); }
    std::string mnt(const std::string &rel = "") const { return join(scratch_->mnt(), rel); }
    std::string ref(const std::string &rel = "") const { return join(scratch_->ref(), rel); }
    static std::string join(const std::string &dir, const std::string &rel) {
        return rel.empty() ? dir : dir + "/" + rel;
    }
    virtual std::vector<std::string> mount_args() const;

    std::unique_ptr<Scratch> scratch_;
    Daemon daemon_;
};

// Shell helpers for "unmodified tools".
struct ShellResult {
    int status = -1;  // exit status
    std::string out;  // stdout
};
ShellResult sh(const std::string &cmd);
std::string quote(const std::string &s);  // for sh -c
std::string read_file(const std::string &path, int *err = nullptr);
void write_file(const std::string &path, const std::string &data);

// Builds a chase B+-tree with chase-mkindex: keys 0, stride, 2*stride, ...
void make_index(const std::string &path, unsigned count, unsigned stride);

const char *chasefs_bin();
const char *mkindex_bin();

}  // namespace fuse_test
