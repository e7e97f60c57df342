#include "flock_waiter.h"

#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "guarded.h"

namespace chasefs {
namespace {

using Clock = std::chrono::steady_clock;

struct Waiter {
    fuse_req_t req;
    int fd, op;
};

struct Waiters {
    std::mutex mutex;
    std::condition_variable wake;
    std::list<Waiter> list;
    std::thread thread;
    bool stop = false;
};

Waiters &waiters() {
    static Waiters w;
    return w;
}

// One pass over the waiting requests: those granted, failed or
// interrupted are answered and leave the list.
void try_all(std::list<Waiter> &list) {
    for (auto it = list.begin(); it != list.end();) {
        int err = 0;
        if (fuse_req_interrupted(it->req))
            err = EINTR;
        else if (flock(it->fd, it->op | LOCK_NB) < 0)
            err = errno;
        if (err == EWOULDBLOCK) {
            ++it;
            continue;
        }
        fuse_reply_err(it->req, err);
        it = list.erase(it);
    }
}

void wait_loop() {
    Waiters &w = waiters();
    auto pause = std::chrono::milliseconds(2);
    std::unique_lock<std::mutex> lock(w.mutex);
    while (!w.stop) {
        if (w.list.empty()) {
            w.wake.wait(lock);
            pause = std::chrono::milliseconds(2);
            continue;
        }
        // New waiters join under the lock, so take the list while trying.
        std::list<Waiter> mine;
        mine.splice(mine.begin(), w.list);
        lock.unlock();
        guarded_step("flock waiter", [&] { try_all(mine); });
        lock.lock();
        w.list.splice(w.list.begin(), mine);
        if (!w.list.empty()) {
            w.wake.wait_for(lock, pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(20));
        }
    }
    for (Waiter &x : w.list) fuse_reply_err(x.req, EINTR);
    w.list.clear();
}

}  // namespace

void flock_or_wait(fuse_req_t req, int fd, int op) {
    if (flock(fd, op | LOCK_NB) == 0) {
        fuse_reply_err(req, 0);
        return;
    }
    int err = errno;
    if (err != EWOULDBLOCK || (op & LOCK_NB)) {
        fuse_reply_err(req, err);
        return;
    }
    Waiters &w = waiters();
    {
        std::lock_guard<std::mutex> g(w.mutex);
        if (w.stop || w.list.size() >= kMaxFlockWaiters) {
            err = ENOLCK;
        } else {
            if (!w.thread.joinable()) w.thread = std::thread(wait_loop);
            w.list.push_back({req, fd, op});
        }
    }
    if (err == ENOLCK) {
        fuse_reply_err(req, ENOLCK);
        return;
    }
    w.wake.notify_one();
}

void flock_waiter_stop() {
    Waiters &w = waiters();
    {
        std::lock_guard<std::mutex> g(w.mutex);
        w.stop = true;
    }
    w.wake.notify_one();
    if (w.thread.joinable()) w.thread.join();
}

size_t flock_waiters() {
    Waiters &w = waiters();
    std::lock_guard<std::mutex> g(w.mutex);
    return w.list.size();
}

}  // namespace chasefs
