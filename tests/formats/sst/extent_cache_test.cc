// ExtentCache (fs/lib/extent_cache.h): exact ranges under a tag, a byte
// budget that bounds what it holds, CLOCK's second chance for ranges read.
#include "extent_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

std::vector<uint8_t> bytes_of(uint64_t seed, size_t n) {
    std::vector<uint8_t> b(n);
    for (size_t i = 0; i < n; i++) b[i] = uint8_t(seed * 31 + i);
    return b;
}

TEST(ExtentCache, ServesOnlyTheExactRangeUnderItsTag) {
    chase::ExtentCache c(1 << 20);
    std::vector<uint8_t> out(5000);
    EXPECT_FALSE(c.get(4096, 1300, 1, out.data()));
    auto b = bytes_of(1, 1300);
    c.put(4096, 1300, 1, b.data());
    EXPECT_FALSE(c.get(4096, 1300, 2, out.data()));  // another tag
    EXPECT_FALSE(c.get(4096, 1299, 1, out.data()));  // another length
    EXPECT_FALSE(c.get(4097, 1300, 1, out.data()));  // another offset
    ASSERT_TRUE(c.get(4096, 1300, 1, out.data()));
    EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 1300), b);
    // The same offset stored again with another length replaces it.
    auto b2 = bytes_of(2, 4200);
    c.put(4096, 4200, 1, b2.data());
    EXPECT_FALSE(c.get(4096, 1300, 1, out.data()));
    ASSERT_TRUE(c.get(4096, 4200, 1, out.data()));
    EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 4200), b2);
    EXPECT_EQ(c.hits(), 2u);
}

TEST(ExtentCache, TheBudgetBoundsWhatItHolds) {
    const uint64_t budget = 256 << 10, len = 1000;
    chase::ExtentCache c(budget);
    auto b = bytes_of(3, len);
    const uint64_t n = 10 * budget / len;
    for (uint64_t i = 0; i < n; i++) c.put(i * 1536, uint32_t(len), 1, b.data());
    std::vector<uint8_t> out(len);
    uint64_t held = 0;
    for (uint64_t i = 0; i < n; i++) held += c.get(i * 1536, uint32_t(len), 1, out.data());
    EXPECT_LE(held * (len + chase::ExtentCache::kOverhead), budget);
    EXPECT_GT(held, budget / (len + chase::ExtentCache::kOverhead) / 2);  // and it is used
    // A range larger than a shard's share is not kept at all.
    std::vector<uint8_t> big(budget);
    c.put(1ull << 40, uint32_t(big.size()), 1, big.data());
    EXPECT_FALSE(c.get(1ull << 40, uint32_t(big.size()), 1, big.data()));
}

TEST(ExtentCache, ARangeReadSinceTheHandPassedSurvivesOneRound) {
    // One shard's worth of offsets (the shard is chosen by off >> 9 % 16).
    const uint64_t len = 1000, per_shard = 8 * (len + chase::ExtentCache::kOverhead);
    chase::ExtentCache c(per_shard * 16);
    auto b = bytes_of(4, len);
    std::vector<uint8_t> out(len);
    auto off = [](uint64_t i) { return i * 16 * 512; };  // all in shard 0
    for (uint64_t i = 0; i < 8; i++) c.put(off(i), uint32_t(len), 1, b.data());
    ASSERT_TRUE(c.get(off(0), uint32_t(len), 1, out.data()));  // hot
    for (uint64_t i = 8; i < 12; i++) c.put(off(i), uint32_t(len), 1, b.data());
    EXPECT_TRUE(c.get(off(0), uint32_t(len), 1, out.data()));
    EXPECT_FALSE(c.get(off(1), uint32_t(len), 1, out.data()));
}

}  // namespace
