// The user.chase.* attributes of data files (see README "Extended
// attributes").  Each function returns false when `name` is not a chasefs
// attribute, so the caller passes it through to the source file; true means
// the request has been answered.
#pragma once

#include <string>

#include "fs_state.h"

namespace chasefs {

bool chase_getxattr(fuse_req_t req, Inode &inode, const char *name, size_t size);
bool chase_setxattr(fuse_req_t req, Inode &inode, const char *name, const char *value, size_t size,
                    int flags);
bool chase_removexattr(fuse_req_t req, Inode &inode, const char *name);
// user.chase.daemon on the mount's root: the daemon's own counters
// (inodes, query_nodes, data_files, rss_kib), one "key=value" per line.
std::string daemon_status_text();
// The stable chasefs names listed for this node ("a\0b\0"), possibly empty.
std::string chase_listed_names(Inode &inode);

}  // namespace chasefs
