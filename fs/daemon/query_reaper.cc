// Query names must not pile up.  The kernel keeps a dentry it was given with
// entry timeout 0 until memory pressure (it revalidates it on each use but
// does not drop it), and every such dentry pins a QueryNode here.  So a
// separate thread asks the kernel to invalidate each used query name a little
// after the lookup that created it: an unused dentry is dropped at once (and
// the kernel sends FORGET), one still open goes when it is closed.
//
// Notifications are sent from this thread only, never from a request
// handler: the kernel takes the directory's lock for them, which a lookup in
// progress may hold.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "query_node.h"

namespace chasefs {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough for the process that looked the name up to have made its
// dentry (a notification that comes first finds nothing to drop).
constexpr auto kDelay = std::chrono::milliseconds(5);

struct Reaper {
    std::mutex mutex;
    std::condition_variable wake;
    std::map<std::pair<fuse_ino_t, std::string>, Clock::time_point> due;
    bool stop = false;
    struct fuse_session *se = nullptr;
    std::thread thread;
};

Reaper &reaper() {
    static Reaper r;
    return r;
}

void reap_loop() {
    Reaper &r = reaper();
    std::unique_lock<std::mutex> lock(r.mutex);
    while (!r.stop) {
        if (r.due.empty()) {
            r.wake.wait(lock);
            continue;
        }
        r.wake.wait_for(lock, kDelay);
        auto now = Clock::now();
        std::vector<std::pair<fuse_ino_t, std::string>> ready;
        for (auto it = r.due.begin(); it != r.due.end();) {
            if (now - it->second >= kDelay) {
                ready.push_back(it->first);
                it = r.due.erase(it);
            } else {
                ++it;
            }
        }
        lock.unlock();
        for (auto &[parent, name] : ready)
            fuse_lowlevel_notify_inval_entry(r.se, parent, name.c_str(), name.size());
        lock.lock();
    }
}

}  // namespace

void query_reaper_start(struct fuse_session *se) {
    Reaper &r = reaper();
    r.se = se;
    r.thread = std::thread(reap_loop);
}

void query_reaper_enqueue(fuse_ino_t parent, const std::string &name) {
    Reaper &r = reaper();
    {
        std::lock_guard<std::mutex> g(r.mutex);
        if (!r.se) return;
        r.due.insert_or_assign({parent, name}, Clock::now());
    }
    r.wake.notify_one();
}

void query_reaper_stop() {
    Reaper &r = reaper();
    {
        std::lock_guard<std::mutex> g(r.mutex);
        r.stop = true;
        r.se = nullptr;
    }
    r.wake.notify_one();
    if (r.thread.joinable()) r.thread.join();
}

}  // namespace chasefs
