// Requests that fail without taking the daemon down.
//
// An exception that escapes a FUSE operation (an allocation that failed, a
// thread that could not start) would end the daemon, and so the mount for
// every user.  guarded() turns it into an errno for that one request and a
// line in the log.  Handlers reply last, so an exception can only come
// before the reply; what little runs after a reply (query_reaper_enqueue)
// catches its own.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <system_error>

#include "fs_state.h"
#include "log.h"

namespace chasefs {

// Runs `run` for request `req` of operation `op`.  If it throws, answers
// the request (an errno, or nothing for operations without a reply) and logs.
template <typename Run>
void guarded(const char *op, fuse_req_t req, bool replies, Run &&run) {
    int err;
    const char *what;
    try {
        run();
        return;
    } catch (const std::bad_alloc &) {
        err = ENOMEM;
        what = "out of memory";
    } catch (const std::system_error &e) {
        err = e.code().value() > 0 ? e.code().value() : EIO;
        what = e.what();
    } catch (const std::exception &e) {
        err = EIO;
        what = e.what();
    } catch (...) {
        err = EIO;
        what = "an unknown exception";
    }
    log_msg(LOG_ERR, "%s: %s; the request gets %s", op, what, strerrorname_np(err));
    if (replies)
        fuse_reply_err(req, err);
    else
        fuse_reply_none(req);
}

// Runs a daemon thread's loop body; an exception is logged and the loop
// goes on (a thread that ends on an exception ends the process).
template <typename Run>
void guarded_step(const char *thread, Run &&run) {
    try {
        run();
    } catch (const std::exception &e) {
        log_msg(LOG_ERR, "%s: %s", thread, e.what());
    } catch (...) {
        log_msg(LOG_ERR, "%s: an unknown exception", thread);
    }
}

}  // namespace chasefs
