// Shared set-up of the engine suites: data files made by chase-mkindex in a
// temporary directory, and one Session per engine this machine can run.
//
// An engine that cannot run here is reported loudly; under CI (CI=true,
// root, CAP_BPF) a missing syscall engine is a failure, not a skip.
//
// The environment can point the suites elsewhere (the kernel VM tier runs
// them inside the VM, kernel/run-tier.sh):
//   CHASE_TEST_ENGINES=kernel,native  only these engines (a named engine
//                                     that cannot run fails its tests)
//   CHASE_TEST_DATA=DIR               the generated trees (default: the
//                                     build tree's tests/data)
//   CHASE_MKINDEX_BIN=PATH            chase-mkindex (default: the build's)
//   CHASE_TEST_MAX_LEVELS=N           leave out generated trees deeper than
//                                     N (the depth-5 tree is 2.3 GB)
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <set>

#include "bptree_reader.h"
#include "chase/chase.h"

namespace chase_test {

inline std::string temp_dir() {
    // Not /tmp: it may be tmpfs; the engines read with O_DIRECT.
    static std::string dir = [] {
        std::string base = std::filesystem::exists("/var/tmp") ? "/var/tmp" : ".";
        std::string tmpl = base + "/chase-engine-XXXXXX";
        if (!mkdtemp(tmpl.data())) abort();
        return tmpl;
    }();
    return dir;
}

// Removes the temporary directory when the test binary ends (a 5-level
// tree is 2.3 GB).
class TempDirCleanup : public testing::Environment {
   public:
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(temp_dir(), ec);
    }
};
inline testing::Environment *const kTempDirCleanup =
    testing::AddGlobalTestEnvironment(new TempDirCleanup);

inline std::string env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

inline std::string test_data_dir() {
    return env_or("CHASE_TEST_DATA", CHASE_TEST_DATA);
}
inline std::string mkindex_bin() {
    return env_or("CHASE_MKINDEX_BIN", CHASE_MKINDEX_BIN);
}

// Whether the tests use a generated tree of this depth (CHASE_TEST_MAX_LEVELS).
inline bool tree_wanted(unsigned levels) {
    unsigned max = unsigned(std::stoul(env_or("CHASE_TEST_MAX_LEVELS", "99")));
    if (levels <= max) return true;
    fprintf(stderr, "note: CHASE_TEST_MAX_LEVELS=%u: the depth-%u tree is left out\n", max, levels);
    return false;
}

inline void run_or_die(const std::string &cmd) {
    if (system(cmd.c_str()) != 0) {
        fprintf(stderr, "command failed: %s\n", cmd.c_str());
        abort();
    }
}

// A B+-tree file of 31^levels generated keys 0, stride, 2*stride, ...
// Generated files are deterministic, so they are made once into the build
// tree's test-data directory and shared by every test process (CTest runs
// each test alone); chase-mkindex renames a finished file into place, so a
// reader never sees a partial one.
inline std::string generated_tree(unsigned levels, uint64_t stride) {
    std::filesystem::create_directories(test_data_dir());
    std::string path =
        test_data_dir() + "/gen-" + std::to_string(levels) + "-" + std::to_string(stride) + ".db";
    if (!std::filesystem::exists(path))
        run_or_die(mkindex_bin() + " --levels " + std::to_string(levels) + " --stride " +
                   std::to_string(stride) + " " + path + " >/dev/null");
    return path;
}

// A B+-tree from key/value lines.
inline std::string tsv_tree(const std::string &name,
                            const std::vector<std::pair<uint64_t, std::string>> &kv) {
    std::string tsv = temp_dir() + "/" + name + ".tsv", path = temp_dir() + "/" + name + ".db";
    std::ofstream out(tsv);
    for (auto &[k, v] : kv) out << k << '\t' << v << '\n';
    out.close();
    run_or_die(mkindex_bin() + " --tsv " + tsv + " " + path + " >/dev/null");
    return path;
}

inline bool in_ci() {
    const char *ci = getenv("CI");
    return ci && *ci && std::string(ci) != "false";
}

// The engines named in CHASE_TEST_ENGINES (comma-separated), all of them if
// it is unset.
inline bool engine_chosen(chase::EngineKind k) {
    std::string list = "," + env_or("CHASE_TEST_ENGINES", "kernel,syscall,native") + ",";
    return list.find("," + std::string(chase::engine_name(k)) + ",") != std::string::npos;
}

// The engines under test: every user-space engine, and the kernel engine
// when this kernel has the series.
inline std::vector<chase::EngineKind> engines_to_test() {
    std::vector<chase::EngineKind> out;
    auto have = chase::available_engines();
    for (auto k :
         {chase::EngineKind::kernel, chase::EngineKind::syscall, chase::EngineKind::native}) {
        bool ok = std::find(have.begin(), have.end(), k) != have.end();
        if (!engine_chosen(k)) continue;
        if (ok) {
            out.push_back(k);
        } else if (getenv("CHASE_TEST_ENGINES")) {
            fprintf(stderr, "\n*** CHASE_TEST_ENGINES names %s, which cannot run here ***\n\n",
                    chase::engine_name(k));
            out.push_back(k);  // so that creating it fails the tests
        } else if (k == chase::EngineKind::syscall) {
            fprintf(stderr,
                    "\n*** WARNING: the syscall engine cannot run here (needs CAP_BPF); its "
                    "tests are NOT run%s ***\n\n",
                    in_ci() ? " -- this is a FAILURE under CI" : "");
            if (in_ci()) out.push_back(k);  // so that creating it fails the tests
        } else if (k == chase::EngineKind::kernel) {
            fprintf(stderr,
                    "note: kernel engine unavailable (stock kernel); the VM tier "
                    "(kernel/run-tier.sh) tests it\n");
        }
    }
    return out;
}

inline std::string engine_param_name(const testing::TestParamInfo<chase::EngineKind> &p) {
    return chase::engine_name(p.param);
}

inline std::unique_ptr<chase::Session> make_session(chase::EngineKind k, unsigned inflight = 64) {
    chase::SessionOptions o;
    o.engine = k;
    o.max_inflight = inflight;
    std::unique_ptr<chase::Session> s;
    chase::Status st = chase::Session::create(o, &s);
    EXPECT_TRUE(st.ok()) << chase::engine_name(k) << ": " << st.to_string();
    return s;
}

inline std::shared_ptr<chase::DataFile> open_file(const std::string &path) {
    std::shared_ptr<chase::DataFile> f;
    chase::Status st = chase::DataFile::open(path, {}, &f);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return f;
}

}  // namespace chase_test
