// The oracle reader on corrupt files: every corruption gives EUCLEAN with a
// message that names the problem, never a crash, a hang or an answer.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>
#include <random>

#include "bptree_reader.h"
#include "bptree_writer.h"
#include "corrupt.h"
#include "temp_dir.h"

using oracle::BptreeReader;
using oracle::Corruption;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::string build(const tools_test::TempDir &dir, uint64_t count, const std::string &name) {
    std::string path = dir / name;
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_TRUE(mkindex::write_bptree(mkindex::GeneratedKeys(count, 1), fd, nullptr, nullptr).ok());
    close(fd);
    return path;
}

// Runs every query kind and returns the first error (open, get of the
// first key, full range, count, check).
oracle::Error first_error(const std::string &path) {
    BptreeReader r;
    if (oracle::Error e = r.open(path); !e.ok()) return e;
    std::optional<std::string> v;
    if (oracle::Error e = r.get(0, &v); !e.ok()) return e;
    std::vector<oracle::Record> recs;
    if (oracle::Error e = r.range(0, kMax, 0, &recs); !e.ok()) return e;
    return r.check();
}

struct CorruptCase {
    Corruption c;
    unsigned depth;
    std::string expect;  // substring of the message
};

class ReaderCorrupt : public testing::TestWithParam<CorruptCase> {};

TEST_P(ReaderCorrupt, FailsWithPreciseError) {
    tools_test::TempDir dir;
    auto [c, depth, expect] = GetParam();
    uint64_t count = depth == 1 ? 20 : depth == 2 ? 500 : 29791;
    std::string good = build(dir, count, "good.db");
    ASSERT_TRUE(first_error(good).ok());
    ASSERT_TRUE(oracle::corruption_applies(c, depth, count));
    oracle::Error e = oracle::make_corrupt_copy(good, dir / "bad.db", c);
    ASSERT_TRUE(e.ok()) << e.msg;
    e = first_error(dir / "bad.db");
    EXPECT_EQ(e.err, EUCLEAN) << e.msg;
    EXPECT_NE(e.msg.find(expect), std::string::npos) << e.msg;
    EXPECT_EQ(e.msg.rfind("corrupt B+-tree: ", 0), 0u) << e.msg;
}

std::vector<CorruptCase> cases() {
    using C = Corruption;
    std::vector<CorruptCase> v;
    for (unsigned d : {1u, 2u, 3u}) {
        std::string inner_ptr_eof = d == 1 ? "outside the value log" : "past the end of the file";
        if (d >= 2) v.push_back({C::child_cycle, d, "(points back up: a cycle)"});
        v.push_back({C::sibling_cycle, d,
                     d == 1 ? "does not go forward (a cycle)" : "does not go forward (a cycle)"});
        v.push_back({C::pointer_past_eof, d, inner_ptr_eof});
        v.push_back({C::truncated, d, "file truncated"});
        v.push_back({C::garbage_root, d, "has type"});
        v.push_back({C::bad_magic, d, "bad magic"});
        v.push_back({C::bad_crc, d, "superblock crc"});
        v.push_back(
            {C::misaligned_pointer, d, d == 1 ? "is not 64-aligned" : "is not 512-aligned"});
        v.push_back({C::bad_type, d, "has type 7"});
        v.push_back({C::value_outside_log, d, "outside the value log"});
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(All, ReaderCorrupt, testing::ValuesIn(cases()), [](const auto &info) {
    return std::string(oracle::corruption_name(info.param.c)) + "_depth" +
           std::to_string(info.param.depth);
});

TEST(ReaderCorrupt, ChildCycleNeedsDepthTwo) {
    tools_test::TempDir dir;
    std::string good = build(dir, 20, "good.db");
    oracle::Error e = oracle::make_corrupt_copy(good, dir / "bad.db", Corruption::child_cycle);
    EXPECT_EQ(e.err, EINVAL);
}

TEST(ReaderCorrupt, NotABtree) {
    tools_test::TempDir dir;
    int fd = open((dir / "tiny").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_EQ(write(fd, "hello", 5), 5);
    close(fd);
    BptreeReader r;
    oracle::Error e = r.open(dir / "tiny");
    EXPECT_EQ(e.err, EUCLEAN);
    EXPECT_EQ(e.msg, "corrupt B+-tree: file is 5 bytes, smaller than a superblock");
    e = r.open(dir / "missing");
    EXPECT_EQ(e.err, ENOENT);
}

// Random byte flips in the index: whatever happens, each query ends with an
// answer or EUCLEAN, and a lookup never reads more than depth + 1 blocks.
TEST(ReaderCorrupt, RandomFlipsAreBounded) {
    tools_test::TempDir dir;
    std::string good = build(dir, 29791, "good.db");
    BptreeReader ref;
    ASSERT_TRUE(ref.open(good).ok());
    uint64_t index_end = ref.super().log_off;
    std::mt19937_64 rng(7);
    int failures = 0;
    for (int round = 0; round < 60; round++) {
        ASSERT_TRUE(oracle::make_corrupt_copy(good, dir / "bad.db", Corruption::bad_crc).ok());
        // Restore the crc by copying the good superblock back, then flip.
        int gfd = open(good.c_str(), O_RDONLY), bfd = open((dir / "bad.db").c_str(), O_RDWR);
        char sb[512];
        ASSERT_EQ(pread(gfd, sb, 512, 0), 512);
        ASSERT_EQ(pwrite(bfd, sb, 512, 0), 512);
        for (int f = 0; f < 8; f++) {
            uint64_t off = 512 + rng() % (index_end - 512);
            uint8_t b = uint8_t(rng());
            ASSERT_EQ(pwrite(bfd, &b, 1, off_t(off)), 1);
        }
        close(gfd);
        close(bfd);
        BptreeReader r;
        ASSERT_TRUE(r.open(dir / "bad.db").ok());
        for (int q = 0; q < 50; q++) {
            uint64_t key = rng() % 30000;
            std::optional<std::string> v;
            uint64_t before = r.reads();
            oracle::Error e = r.get(key, &v);
            EXPECT_LE(r.reads() - before, 4u);
            if (!e.ok()) {
                EXPECT_EQ(e.err, EUCLEAN) << e.msg;
                failures++;
            }
        }
        std::vector<oracle::Record> recs;
        oracle::Error e = r.range(rng() % 30000, kMax, 100, &recs);
        if (!e.ok()) {
            EXPECT_EQ(e.err, EUCLEAN) << e.msg;
        }
        EXPECT_LE(recs.size(), 100u);
        e = r.check();
        EXPECT_EQ(e.err, EUCLEAN) << "check() missed a flip: " << e.msg;
    }
    EXPECT_GT(failures, 0);  // the flips did hit something
}

}  // namespace
