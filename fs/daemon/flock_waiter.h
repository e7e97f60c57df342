// Blocking flock() requests wait here, not in a worker thread.
//
// flock(fd, LOCK_EX) on the source file sleeps until the holder lets go,
// and the holder may be any user of the mount (or of SRC).  Ten such
// requests would hold every worker of the daemon, and the mount would stop
// answering everyone, root's `ls` included.  So a worker only ever tries
// LOCK_NB; a request that would block is handed to one waiter thread, which
// retries it (2 ms at first, backing off to 20 ms) until the lock is granted,
// the caller is interrupted (EINTR) or the daemon stops.  Past kMaxWaiters
// waiting requests a new one gets ENOLCK, the errno for a full lock table.
#pragma once

#include <cstddef>

#include "fs_state.h"

namespace chasefs {

inline constexpr size_t kMaxFlockWaiters = 4096;

// Replies to req once flock(fd, op) succeeds or fails (op without LOCK_NB
// may wait; fd must stay open until then: the kernel holds the file while
// the caller sleeps in flock).
void flock_or_wait(fuse_req_t req, int fd, int op);
void flock_waiter_stop();  // answers waiting requests EINTR
size_t flock_waiters();

}  // namespace chasefs
