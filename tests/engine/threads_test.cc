// One DataFile shared by many threads, each with its own Session: answers
// stay right and the file's statistics add up exactly.  And one thread
// keeps many kernel chains in flight.
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "engine_fixture.h"

using namespace chase;
using namespace chase_test;

namespace {

class Threads : public testing::TestWithParam<EngineKind> {};

TEST_P(Threads, ShareOneFileWithASessionEach) {
    const int kThreads = 8, kLookups = 400;
    std::string path = generated_tree(3, 5);
    auto file = open_file(path);
    ASSERT_TRUE(file);
    std::atomic<int> wrong{0}, missing{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
        threads.emplace_back([&, t] {
            auto session = make_session(GetParam(), 16);
            if (!session) {
                wrong += kLookups;
                return;
            }
            std::mt19937_64 rng(t);
            for (int i = 0; i < kLookups; i++) {
                uint64_t k = (rng() % 29791) * 5 + (i % 4 == 0 ? 1 : 0);  // a quarter absent
                Status st = session->submit_get(*file, std::to_string(k),
                                                [&, k](const Status &s, std::string_view v) {
                                                    if (k % 5) {
                                                        if (s.err != ENOENT) wrong++;
                                                        missing++;
                                                    } else if (!s.ok() || v != std::to_string(k)) {
                                                        wrong++;
                                                    }
                                                });
                if (!st.ok()) wrong++;
                if (i % 16 == 15 && !session->drain().ok()) wrong++;
            }
            if (!session->drain().ok()) wrong++;
        });
    }
    for (auto &th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0);
    Stats s = file->stats();
    EXPECT_EQ(s.lookups, uint64_t(kThreads * kLookups));
    EXPECT_EQ(s.not_found, uint64_t(missing.load()));
    EXPECT_EQ(s.errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Threads, testing::ValuesIn(engines_to_test()), engine_param_name);

// io_uring's workers for the rings of thread tid ("iou-wrk-<tid>").
int io_workers_of(pid_t tid) {
    int n = 0;
    std::string want = "iou-wrk-" + std::to_string(tid);
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d)) {
            std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
            std::string name;
            if (std::getline(comm, name) && name == want) n++;
        }
        closedir(d);
    }
    return n;
}

std::vector<EngineKind> kernel_if_available() {
    std::vector<EngineKind> out;
    for (EngineKind k : engines_to_test())
        if (k == EngineKind::kernel) out.push_back(k);
    return out;
}

// The kernel engine hands its chains to io_uring; the tagged read refuses
// IOCB_NOWAIT, so io_uring runs each on one of the submitting thread's
// workers.  256 lookups from one thread must have had more than one worker
// running chains, and every answer must be right, also of lookups made
// from inside a callback while others are in flight.  The lookups run on a
// thread of their own, so that only their workers are counted (workers
// stay about 5 s after their last request).
class KernelChains : public testing::TestWithParam<EngineKind> {};

TEST_P(KernelChains, OneThreadKeepsManyChainsInFlight) {
    std::string path = generated_tree(3, 5);
    auto file = open_file(path);
    ASSERT_TRUE(file);
    int wrong = 0, workers = 0;
    std::thread t([&] {
        auto session = make_session(GetParam(), 64);
        if (!session) {
            wrong = -1;
            return;
        }
        for (uint64_t i = 0; i < 256; i++) {
            uint64_t k = (i * 7919 % 29791) * 5 + (i % 4 == 0 ? 1 : 0);  // a quarter absent
            Status st = session->submit_get(
                *file, std::to_string(k), [&, i, k](const Status &s, std::string_view v) {
                    bool ok = k % 5 ? s.err == ENOENT : s.ok() && v == std::to_string(k);
                    if (!ok) wrong++;
                    // A callback may look up again (and so drain) while
                    // other chains are still in flight.
                    std::string again;
                    if (i % 64 == 3 && (!session->get(*file, "35", &again).ok() || again != "35"))
                        wrong++;
                });
            if (!st.ok()) wrong++;
        }
        if (!session->drain().ok()) wrong++;
        workers = io_workers_of(gettid());
    });
    t.join();
    EXPECT_EQ(wrong, 0);
    EXPECT_GE(workers, 2) << "the chains ran one after another";
}

// Only where the kernel has the series (the VM tier).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(KernelChains);
INSTANTIATE_TEST_SUITE_P(Engines, KernelChains, testing::ValuesIn(kernel_if_available()),
                         engine_param_name);

}  // namespace
