// The chase ioctls' argument structs (chase/ioctl.h) checked and read, and a
// range answer packed back into one: pure functions of the caller's bytes,
// kept apart from ops_ioctl.cc so that the unit tests and the fuzzer
// (tests/fuzz/fuzz_ioctl_args.cc) can reach them without a mount.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "chase/chase.h"
#include "chase/ioctl.h"

namespace chasefs {

bool is_chase_ioctl(unsigned cmd);

// FUSE hands over in_size bytes and room for out_size bytes; both, and the
// struct's own size field, must be the size of cmd's struct.  False for a
// command that is not ours.
bool ioctl_struct_fits(unsigned cmd, const void *in, size_t in_size, size_t out_size);

// A point lookup's key (CHASE_IOC_GET).
chase::Status decode_get(const chase_ioc_get &g, std::string *key);
// A traced lookup's key (CHASE_IOC_TRACE).
chase::Status decode_trace(const chase_ioc_trace &t, std::string *key);

struct IocRange {
    std::string lo, hi;
    bool exclusive = false;  // skip the record equal to lo
    size_t want = 0;         // records the answer may hold
    size_t fetch = 0;        // records to ask the session for (want, +1 to see
                             // whether more exist, +1 for a skipped lo)
};
chase::Status decode_range(const chase_ioc_range &r, IocRange *out);

struct IocAgg {
    std::string lo, hi;
    chase::AggSpec spec;
};
chase::Status decode_agg(const chase_ioc_agg &a, IocAgg *out);

// Writes what the session returned for req into r: the records as
// {u32 key_len, u32 value_len, key, value}, count, out_len and
// CHASE_IOC_MORE.  E2BIG when not even the first record fits.
chase::Status pack_range(const IocRange &req, const std::vector<chase::Record> &records,
                         chase_ioc_range *r);

}  // namespace chasefs
