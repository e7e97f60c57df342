// chasectl on files under a chasefs mount.  The daemon answers through the
// user.chase.* attributes and the ioctls of fs/include/chase/ioctl.h, so
// chasectl needs neither the backing path (which a mount over itself hides)
// nor any privilege beyond what the file's permissions give.
//
//   chasectl stats|info F        format, geometry, engine, function, statistics
//   chasectl attach F FN         setfattr user.chase.fn (verified by the daemon)
//   chasectl detach F            remove user.chase.fn
//   chasectl get    F KEY...     CHASE_IOC_GET
//   chasectl range  F LO HI [--limit N]            CHASE_IOC_RANGE, paged
//   chasectl agg    F LO HI [--sum] [--where OP:N] CHASE_IOC_AGG
//   chasectl trace  F KEY        CHASE_IOC_TRACE: every hop with offset, length, time
//
// The options are chasectl's own (chasectl.cc parses them).  An empty LO or HI
// ("") is an open end.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace chasectl_mount {

// Whether path lies under a chasefs mount (fstype fuse.chasefs).
bool on_chasefs(const std::string &path);

struct Options {
    bool json = false;
    size_t limit = 0;  // range: at most this many records, 0 = all
    bool sum = false;  // agg: sum the values too
    int filter = 0;    // agg: chase::FilterOp as int (0 none, 1 lt ... 6 gt)
    uint64_t filter_arg = 0;
    bool detect = false;  // attach F --detect: name the format the file looks like
};

// Runs one command (args[0] is the command, args[1] the file).  Returns the
// exit status: 0 done, 1 the query failed (the reason on err), 2 bad usage;
// or -1 when args[1] is not under a chasefs mount, so the caller handles it
// as a plain data file.
int run(const std::vector<std::string> &args, const Options &opts, FILE *out, FILE *err);

}  // namespace chasectl_mount
