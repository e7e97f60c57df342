// chasectl on files under a chasefs mount.  The daemon answers through the
// user.chase.* attributes and the ioctls of fs/include/chase/ioctl.h, so
// chasectl needs neither the backing path (which a mount over itself hides)
// nor any privilege beyond what the file's permissions give.
//
//   chasectl stats  F             format, geometry, engine, statistics
//   chasectl attach F FN          setfattr user.chase.fn (verified by the daemon)
//   chasectl detach F             remove user.chase.fn
//   chasectl get    F KEY         CHASE_IOC_GET
//   chasectl range  F LO HI [N]   CHASE_IOC_RANGE, paging until done (or N records)
//   chasectl agg    F LO HI [count|sum] [OP ARG]   CHASE_IOC_AGG
//   chasectl trace  F KEY         CHASE_IOC_TRACE: every hop with offset, length, time
//
// An empty LO or HI ("") is an open end.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace chasectl_mount {

// Whether path lies under a chasefs mount (fstype fuse.chasefs).
bool on_chasefs(const std::string &path);

// Runs one command (args[0] is the command, args[1] the file).  Returns the
// exit status: 0 done, 1 the query failed (the reason on err), 2 bad usage;
// or -1 when args[1] is not under a chasefs mount, so the caller handles it
// as a plain data file.
int run(const std::vector<std::string> &args, bool json, FILE *out, FILE *err);

}  // namespace chasectl_mount
