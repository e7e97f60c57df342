#include "session_pool.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "fs_state.h"
#include "guarded.h"

namespace chasefs {

namespace {

// Sessions are made by one maker thread, never by a request: making one
// takes seconds of verifier time on a loaded machine, and a lookup that
// waited that long would hold its directory's lock, and behind it the
// reaper's invalidation and then every other lookup in the directory.  A
// request that finds no idle session waits for one to come back, which
// under load takes a millisecond; the maker adds a session when requests
// have been waiting kPatience and none came back, up to kMaxSessions (each
// maps its slots).
constexpr auto kPatience = std::chrono::milliseconds(2);
constexpr size_t kMaxSessions = 16;

struct Pool {
    std::mutex mutex;
    std::condition_variable returned;  // a session became idle, or making failed
    std::condition_variable wanted;    // a request is waiting
    std::vector<std::unique_ptr<chase::Session>> idle;
    size_t made = 0;
    size_t waiting = 0;
    chase::Status failure;  // why the last attempt failed, given to the waiters
    uint64_t failures = 0;  // attempts that failed so far
    bool stop = false;
    std::thread maker;
};

Pool &pool() {
    static Pool p;
    return p;
}

void make_loop() {
    Pool &p = pool();
    std::unique_lock<std::mutex> lock(p.mutex);
    while (!p.stop) {
        if (p.waiting == 0 || !p.idle.empty() || p.made >= kMaxSessions) {
            p.wanted.wait(lock);
            continue;
        }
        // The first session is wanted at once; more only when requests keep
        // waiting although sessions are being given back.
        if (p.made > 0 &&
            p.returned.wait_for(lock, kPatience, [&] { return !p.idle.empty() || p.stop; }))
            continue;
        lock.unlock();
        std::unique_ptr<chase::Session> s;
        chase::Status st;
        guarded_step("session maker", [&] {
            chase::SessionOptions opts;
            opts.engine = fs().config.engine;
            // One query at a time per lease: a few slots suffice, and every
            // slot is a block and a scratch area mapped for the session.
            opts.max_inflight = 2;
            st = chase::Session::create(opts, &s);
        });
        lock.lock();
        if (s && st.ok()) {
            p.idle.push_back(std::move(s));
            p.made++;
        } else {
            p.failure = st.ok() ? chase::Status::error(ENOMEM, "no session") : st;
            p.failures++;
        }
        p.returned.notify_all();
    }
}

}  // namespace

SessionLease::SessionLease(chase::Status *error) {
    Pool &p = pool();
    std::unique_lock<std::mutex> lock(p.mutex);
    if (p.idle.empty()) {
        if (!p.maker.joinable() && !p.stop) p.maker = std::thread(make_loop);
        p.waiting++;
        p.wanted.notify_one();
        uint64_t failures = p.failures;
        p.returned.wait(lock, [&] { return !p.idle.empty() || p.failures != failures || p.stop; });
        p.waiting--;
        if (p.idle.empty()) {
            *error = p.stop ? chase::Status::error(ESHUTDOWN, "the daemon is stopping") : p.failure;
            return;
        }
    }
    session_ = std::move(p.idle.back());
    p.idle.pop_back();
}

SessionLease::~SessionLease() {
    if (!session_) return;
    Pool &p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.idle.push_back(std::move(session_));
    }
    // All: the maker waits on this too (for kPatience), and a wake-up that
    // only reached it would leave a request asleep beside an idle session.
    p.returned.notify_all();
}

size_t session_count() {
    Pool &p = pool();
    std::lock_guard<std::mutex> lock(p.mutex);
    return p.made;
}

void session_pool_stop() {
    Pool &p = pool();
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.stop = true;
    }
    p.wanted.notify_all();
    p.returned.notify_all();
    if (p.maker.joinable()) p.maker.join();
    std::lock_guard<std::mutex> lock(p.mutex);
    p.idle.clear();
}

}  // namespace chasefs
