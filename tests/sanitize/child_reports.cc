// Linked into every GoogleTest program of the sanitized build.
//
// The programs a test starts (the chasefs daemon, chase-mkindex, chasectl,
// a daemon detached by mount(8)) often have their stderr in a log nobody
// reads, or in /dev/null, and a tool that dies of a report exits non-zero
// like one that refused its input.  So their reports go to files instead:
// before main() this sets log_path for the children (the test program's own
// runtime has already read its options, so its own reports stay on its
// stderr, where ctest shows them), and after the tests any report a child
// left is a failure of this test program, with the report as the message.
// The mount fixture checks its daemon's report at once, to name the test.
//
// Reports are kept in CHASE_SANITIZER_REPORT_DIR as
// t<test pid>-<start time>-.<program>.<pid> (".reported" appended once a
// test failed on it).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

// The test program's pid and start time: pids are reused (32768 of them
// here), and a report left by a test program that was killed before its
// check must not fail a later one with the same pid.
const std::string &prefix_name() {
    static const std::string name =
        "t" + std::to_string(getpid()) + "-" + std::to_string(time(nullptr)) + "-";
    return name;
}

void append_option(const char *var, const std::string &opt) {
    const char *old = getenv(var);
    std::string v = old && *old ? std::string(old) + ":" + opt : opt;
    setenv(var, v.c_str(), 1);
}

class ChildReports : public ::testing::Environment {
   public:
    void TearDown() override {
        std::error_code ec;
        for (const auto &e : std::filesystem::directory_iterator(CHASE_SANITIZER_REPORT_DIR, ec)) {
            std::string name = e.path().filename();
            if (name.rfind(prefix_name(), 0) != 0) continue;
            if (name.size() > 9 && name.compare(name.size() - 9, 9, ".reported") == 0) continue;
            std::ifstream f(e.path());
            std::stringstream text;
            text << f.rdbuf();
            ADD_FAILURE() << "a program this test started reported under the sanitizers ("
                          << e.path().string() << "):\n"
                          << text.str();
            std::filesystem::rename(e.path(), e.path().string() + ".reported", ec);
        }
    }
};

struct Setup {
    Setup() {
        mkdir(CHASE_SANITIZER_REPORT_DIR, 0777);
        // Children that run as another user (nobody) write here too.
        chmod(CHASE_SANITIZER_REPORT_DIR, 01777);
        std::string prefix = std::string(CHASE_SANITIZER_REPORT_DIR) + "/" + prefix_name();
        setenv("CHASE_SANITIZER_REPORTS", prefix.c_str(), 1);
        // UBSan shares ASan's runtime here and may read log_path from
        // either variable: the same value in both.
        std::string opts = "log_path=" + prefix + ":log_exe_name=1";
        append_option("ASAN_OPTIONS", opts);
        append_option("UBSAN_OPTIONS", opts);
        ::testing::AddGlobalTestEnvironment(new ChildReports);
    }
} setup;

}  // namespace
