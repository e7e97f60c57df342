// The ioctl argument checks and the range packing (fs/daemon/ioctl_args.h)
// without a mount; the mounted behaviour is in ioctl_mount_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "ioctl_args.h"

using namespace chasefs;

namespace {

template <typename T>
std::unique_ptr<T> blank() {
    auto t = std::make_unique<T>();
    memset(t.get(), 0, sizeof(T));
    t->size = sizeof(T);
    return t;
}

TEST(IoctlArgs, StructMustBeExactlyTheSizeWeKnow) {
    auto g = blank<chase_ioc_get>();
    EXPECT_TRUE(ioctl_struct_fits(CHASE_IOC_GET, g.get(), sizeof *g, sizeof *g));
    EXPECT_FALSE(ioctl_struct_fits(CHASE_IOC_GET, g.get(), sizeof *g - 1, sizeof *g));
    EXPECT_FALSE(ioctl_struct_fits(CHASE_IOC_GET, g.get(), sizeof *g, sizeof *g + 1));
    g->size = sizeof *g + 8;  // a newer chasefs's struct
    EXPECT_FALSE(ioctl_struct_fits(CHASE_IOC_GET, g.get(), sizeof *g, sizeof *g));
    // A get struct under the range command.
    g->size = sizeof *g;
    EXPECT_FALSE(ioctl_struct_fits(CHASE_IOC_RANGE, g.get(), sizeof *g, sizeof *g));
    EXPECT_FALSE(ioctl_struct_fits(0xC4C4, g.get(), sizeof *g, sizeof *g));
    EXPECT_FALSE(is_chase_ioctl(0xC4C4));
}

TEST(IoctlArgs, KeyLengthsStayInsideTheStruct) {
    auto g = blank<chase_ioc_get>();
    std::string key;
    g->key_len = CHASE_IOC_DATA_MAX;
    EXPECT_TRUE(decode_get(*g, &key).ok());
    EXPECT_EQ(key.size(), size_t{CHASE_IOC_DATA_MAX});
    g->key_len = CHASE_IOC_DATA_MAX + 1;
    EXPECT_EQ(decode_get(*g, &key).err, EINVAL);

    auto r = blank<chase_ioc_range>();
    IocRange req;
    r->lo_len = 0xffffffffu;  // lo_len + hi_len would wrap to 4079
    r->hi_len = CHASE_IOC_DATA_MAX;
    EXPECT_EQ(decode_range(*r, &req).err, EINVAL);

    auto a = blank<chase_ioc_agg>();
    IocAgg agg;
    a->filter = CHASE_FILTER_GT + 1;
    EXPECT_EQ(decode_agg(*a, &agg).err, EINVAL);

    auto t = blank<chase_ioc_trace>();
    t->key_len = CHASE_IOC_TRACE_KEY_MAX + 1;
    EXPECT_EQ(decode_trace(*t, &key).err, EINVAL);
}

TEST(IoctlArgs, RangeReadsBothBoundsAndTheLimit) {
    auto r = blank<chase_ioc_range>();
    memcpy(r->data, "10", 2);
    memcpy(r->data + 2, "200", 3);
    r->lo_len = 2;
    r->hi_len = 3;
    r->max_records = 5;
    r->flags = CHASE_IOC_LO_EXCLUSIVE;
    IocRange req;
    ASSERT_TRUE(decode_range(*r, &req).ok());
    EXPECT_EQ(req.lo, "10");
    EXPECT_EQ(req.hi, "200");
    EXPECT_TRUE(req.exclusive);
    EXPECT_EQ(req.want, 5u);
    EXPECT_EQ(req.fetch, 7u);  // one more to see whether more exist, one for lo
}

TEST(IoctlArgs, PackingSkipsLoAndSaysWhetherMoreRemain) {
    auto r = blank<chase_ioc_range>();
    r->max_records = 2;
    IocRange req{"1", "", true, 2, 4};
    std::vector<chase::Record> recs = {{"1", "a"}, {"2", "bb"}, {"3", "c"}, {"4", "d"}};
    ASSERT_TRUE(pack_range(req, recs, r.get()).ok());
    EXPECT_EQ(r->count, 2u);
    EXPECT_EQ(r->out_len, 8u + 1 + 2 + 8 + 1 + 1);
    EXPECT_EQ(r->flags, 0u);  // the caller's limit reached: not "more"
    uint32_t kl;
    memcpy(&kl, r->data, 4);
    EXPECT_EQ(std::string(r->data + 8, kl), "2");

    // Space, not the limit, cut the answer: "more".
    r->max_records = 0;
    req = {"", "", false, CHASE_IOC_DATA_MAX / 8, 0};
    recs = {{"1", std::string(3000, 'x')}, {"2", std::string(3000, 'y')}};
    ASSERT_TRUE(pack_range(req, recs, r.get()).ok());
    EXPECT_EQ(r->count, 1u);
    EXPECT_EQ(r->flags, CHASE_IOC_MORE);

    recs = {{"1", std::string(CHASE_IOC_DATA_MAX, 'x')}};
    EXPECT_EQ(pack_range(req, recs, r.get()).err, E2BIG);
}

}  // namespace
