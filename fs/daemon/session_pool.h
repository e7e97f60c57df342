// libchase sessions lent to daemon threads, one request at a time.
//
// A session is costly to make: the syscall engine verifies and loads every
// built-in storage function into it (about a second here, more under load).
// libfuse starts and ends worker threads as requests come and go, so a
// session per thread was made again and again (a path query then took
// seconds whenever it landed on a new thread).  Sessions now outlive the
// threads: a request takes an idle one or waits for one to come back, and
// one maker thread adds sessions while requests keep waiting (at most 16).
#pragma once

#include <memory>

#include "chase/chase.h"

namespace chasefs {

class SessionLease {
   public:
    // On failure the lease is empty and *error says why.
    explicit SessionLease(chase::Status *error);
    ~SessionLease();
    SessionLease(const SessionLease &) = delete;
    SessionLease &operator=(const SessionLease &) = delete;

    explicit operator bool() const { return session_ != nullptr; }
    chase::Session &operator*() const { return *session_; }
    chase::Session *operator->() const { return session_.get(); }

   private:
    std::unique_ptr<chase::Session> session_;
};

// Sessions made so far (idle and lent), for user.chase.daemon.
size_t session_count();

// Ends the maker and frees the idle sessions; a lease asked for afterwards
// fails with ESHUTDOWN.  Called once the session loop has ended.
void session_pool_stop();

}  // namespace chasefs
