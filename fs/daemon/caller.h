// Who is asking: permission checks the kernel cannot make for us.  The
// kernel checks mode bits of the nodes it sees (default_permissions), but a
// query name is resolved before any node of F is involved, so reading F
// through F@KEY is checked here against F's own mode, as open(F) would be.
#pragma once

#include <sys/stat.h>

#include "fs_state.h"

namespace chasefs {

bool caller_may_read(fuse_req_t req, const struct stat &st);
// Owner or root: who may change user.chase.fn.
bool caller_owns(fuse_req_t req, const struct stat &st);

}  // namespace chasefs
