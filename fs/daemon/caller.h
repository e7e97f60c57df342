// Who is asking: permission checks the kernel cannot make for us.  The
// kernel checks mode bits of the nodes it sees (default_permissions), but a
// query name is resolved before any node of F is involved, so reading F
// through F@KEY is checked here against F's own mode, as open(F) would be.
#pragma once

#include <sys/stat.h>

#include "chase/chase.h"
#include "fs_state.h"

namespace chasefs {

bool caller_may_read(fuse_req_t req, const struct stat &st);
// Owner or root: who may change user.chase.fn.
bool caller_owns(fuse_req_t req, const struct stat &st);

// The caller's uid, gid and supplementary groups: a BPF object a caller
// names is read with these (chase::read_object_file).
chase::Credentials caller_credentials(fuse_req_t req);
// Those of a file's owner, from the user database (its primary and
// supplementary groups); an owner it does not know gets the file's gid and
// no other group.  A data file's function is read as its owner when a query
// opens the file: only the owner (or root) may attach it through the mount.
chase::Credentials owner_credentials(const struct stat &st);

// The caller's fsuid, fsgid and supplementary groups on this thread for the
// lifetime of the object, so that the backing filesystem checks and owns
// what the daemon does for a caller exactly as it would for the caller:
// a user whose group 1234 may write a 0770 root:1234 directory can create
// in it through the mount too.  Per thread (raw system calls: glibc would
// change every thread), restored by the destructor; only when the daemon
// runs as root, and not for root callers, who keep the daemon's rights.
// Throws std::system_error if the switch cannot be made (never proceeds
// with the daemon's rights instead).
class CallerCredentials {
   public:
    explicit CallerCredentials(fuse_req_t req);
    ~CallerCredentials();
    CallerCredentials(const CallerCredentials &) = delete;
    CallerCredentials &operator=(const CallerCredentials &) = delete;

   private:
    void restore();
    bool switched_ = false;
};

}  // namespace chasefs
