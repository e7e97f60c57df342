// The binary interface (fs/include/chase/ioctl.h) on an open data file,
// compared with the oracle reader.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "chase/ioctl.h"
#include "query_fixture.h"

using namespace fuse_test;

namespace {

class IoctlTest : public QueryTest {
   protected:
    void SetUp() override {
        QueryTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        fd_ = open(mnt("users.db").c_str(), O_RDONLY);
        ASSERT_GE(fd_, 0);
    }
    void TearDown() override {
        if (fd_ >= 0) close(fd_);
        QueryTest::TearDown();
    }
    int fd_ = -1;
};

TEST_F(IoctlTest, GetMatchesTheOracle) {
    for (uint64_t k : {0ull, 3ull, 42ull, 43ull, 8997ull, 9000ull}) {
        std::string key = std::to_string(k);
        auto g = std::make_unique<chase_ioc_get>();
        memset(g.get(), 0, sizeof *g);
        g->size = sizeof *g;
        g->key_len = key.size();
        memcpy(g->data, key.data(), key.size());
        int rc = ioctl(fd_, CHASE_IOC_GET, g.get());
        auto expect = oracle_get(k);
        if (expect) {
            ASSERT_EQ(rc, 0) << key << ": " << strerror(errno);
            EXPECT_EQ(std::string(g->data, g->value_len), *expect);
            EXPECT_EQ(g->flags, 0u);
        } else {
            EXPECT_EQ(rc, -1);
            EXPECT_EQ(errno, ENOENT) << key;
        }
    }
}

TEST_F(IoctlTest, RangePagesThroughEveryRecord) {
    std::string all, lo = "0";
    bool exclusive = false;
    int calls = 0;
    while (calls++ < 1000) {
        auto r = std::make_unique<chase_ioc_range>();
        memset(r.get(), 0, sizeof *r);
        r->size = sizeof *r;
        r->lo_len = lo.size();
        memcpy(r->data, lo.data(), lo.size());
        r->hi_len = 0;  // open end
        r->max_records = 700;
        r->flags = exclusive ? CHASE_IOC_LO_EXCLUSIVE : 0;
        ASSERT_EQ(ioctl(fd_, CHASE_IOC_RANGE, r.get()), 0) << strerror(errno);
        uint32_t pos = 0;
        std::string last;
        for (uint32_t i = 0; i < r->count; i++) {
            uint32_t kl, vl;
            memcpy(&kl, r->data + pos, 4);
            memcpy(&vl, r->data + pos + 4, 4);
            last.assign(r->data + pos + 8, kl);
            all += last + "\t" + std::string(r->data + pos + 8 + kl, vl) + "\n";
            pos += 8 + kl + vl;
        }
        EXPECT_EQ(pos, r->out_len);
        if (r->count == 0 || (!(r->flags & CHASE_IOC_MORE) && r->count < 700)) break;
        lo = last;
        exclusive = true;
    }
    EXPECT_EQ(all, oracle_range_text(0, UINT64_MAX));
}

TEST_F(IoctlTest, AggregateMatchesTheOracle) {
    auto a = std::make_unique<chase_ioc_agg>();
    memset(a.get(), 0, sizeof *a);
    a->size = sizeof *a;
    memcpy(a->data,
           "100"
           "5000",
           7);
    a->lo_len = 3;
    a->hi_len = 4;
    a->filter = CHASE_FILTER_GE;
    a->filter_arg = 1000;
    a->want_sum = 1;
    ASSERT_EQ(ioctl(fd_, CHASE_IOC_AGG, a.get()), 0) << strerror(errno);
    oracle::AggAnswer expect;
    ASSERT_EQ(reader_.aggregate(100, 5000, {BPT_F_GE, 1000, true}, &expect).err, 0);
    EXPECT_EQ(a->count, expect.count);
    EXPECT_EQ(a->sum, expect.sum);
    EXPECT_EQ(a->numeric, expect.numeric);
}

TEST_F(IoctlTest, BadArgumentsAndOrdinaryFiles) {
    auto g = std::make_unique<chase_ioc_get>();
    memset(g.get(), 0, sizeof *g);
    g->size = 12;  // not the size this header describes
    EXPECT_EQ(ioctl(fd_, CHASE_IOC_GET, g.get()), -1);
    EXPECT_EQ(errno, EINVAL);
    g->size = sizeof *g;
    g->key_len = CHASE_IOC_DATA_MAX + 1;
    EXPECT_EQ(ioctl(fd_, CHASE_IOC_GET, g.get()), -1);
    EXPECT_EQ(errno, EINVAL);
    int unused = 0;
    EXPECT_EQ(ioctl(fd_, _IOWR(CHASE_IOC_MAGIC, 99, int), &unused), -1);
    EXPECT_EQ(errno, ENOTTY);

    write_file(src("plain"), "p");
    int pfd = open(mnt("plain").c_str(), O_RDONLY);
    ASSERT_GE(pfd, 0);
    g->key_len = 1;
    EXPECT_EQ(ioctl(pfd, CHASE_IOC_GET, g.get()), -1);
    EXPECT_EQ(errno, ENOTTY);
    close(pfd);
}

}  // namespace
