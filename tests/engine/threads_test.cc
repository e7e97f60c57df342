// One DataFile shared by many threads, each with its own Session: answers
// stay right and the file's statistics add up exactly.
#include <atomic>
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

}  // namespace
