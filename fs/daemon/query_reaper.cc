// Query names must not pile up.  The kernel keeps a dentry given with
// entry timeout 0 until memory pressure (only virtiofs gets delete_stale,
// which drops it at its last use), and every such dentry pins a QueryNode
// here.  On 6.18 too: of 5,855 names looked up by 16 processes in 3 s, 5,478
// were still there for the reaper to invalidate (reaper_invalidated in
// user.chase.daemon) and 328 had gone by themselves (reaper_gone).  So a
// separate thread asks the kernel to invalidate each used query name a little
// after the lookup that created it: an unused dentry is dropped at once (and
// the kernel sends FORGET), one still open goes when it is closed.
//
// Notifications are sent from this thread only, never from a request
// handler: the kernel takes the directory's lock for them, which a lookup in
// progress may hold.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <vector>
#include <mutex>
#include <thread>

#include "guarded.h"
#include "query_node.h"

namespace chasefs {
namespace {

using Clock = std::chrono::steady_clock;

// Long enough for the process that looked the name up to have made its
// dentry (a notification that comes first finds nothing to drop).
constexpr auto kDelay = std::chrono::milliseconds(5);

// Oldest first; bounded, so a reaper that falls behind costs no memory (a
// name it drops stays until the kernel lets go of it by itself).
constexpr size_t kMaxDue = 65536;
constexpr size_t kBatch = 1024;

struct Due {
    fuse_ino_t parent;
    std::string name;
    Clock::time_point at;
};

struct Reaper {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Due> due;  // in enqueue order, so in time order
    bool stop = false;
    struct fuse_session *se = nullptr;
    std::thread thread;
};

std::atomic<uint64_t> g_invalidated{0}, g_missed{0}, g_gone{0}, g_dropped{0};

Reaper &reaper() {
    static Reaper r;
    return r;
}

// Sends the notifications of one batch, outside the reaper's lock.
void reap(struct fuse_session *se, const std::vector<Due> &batch) {
    for (const Due &d : batch) {
        // Forgotten already (the kernel dropped the name by itself): nothing
        // to ask, and asking would wait for the directory's lock.
        if (!query_name_alive(d.parent, d.name)) {
            g_gone++;
            continue;
        }
        if (fuse_lowlevel_notify_inval_entry(se, d.parent, d.name.c_str(), d.name.size()) == 0)
            g_invalidated++;
        else
            g_missed++;  // ENOENT: not in the dentry cache (any more)
    }
}

void reap_loop() {
    // The reaper must keep pace with lookups on a busy machine: run it at a
    // higher priority than the workers (needs CAP_SYS_NICE; best effort).
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -10);
    Reaper &r = reaper();
    std::unique_lock<std::mutex> lock(r.mutex);
    bool trimmed = true;
    while (!r.stop) {
        if (r.due.empty()) {
            // Idle for a second after a burst of query names: hand the freed
            // heap back, so the daemon returns to its idle size.
            if (r.wake.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
                !trimmed && r.due.empty()) {
                malloc_trim(0);
                trimmed = true;
            }
            continue;
        }
        trimmed = false;
        auto wait = r.due.front().at + kDelay - Clock::now();
        if (wait > Clock::duration::zero()) {
            r.wake.wait_for(lock, wait);
            continue;
        }
        std::vector<Due> batch;
        guarded_step("query reaper", [&] {
            auto now = Clock::now();
            while (!r.due.empty() && batch.size() < kBatch && now - r.due.front().at >= kDelay) {
                batch.push_back(std::move(r.due.front()));
                r.due.pop_front();
            }
            struct fuse_session *se = r.se;
            lock.unlock();
            reap(se, batch);
        });
        if (!lock.owns_lock()) lock.lock();
    }
}

}  // namespace

std::string query_reaper_counters() {
    size_t due;
    {
        std::lock_guard<std::mutex> g(reaper().mutex);
        due = reaper().due.size();
    }
    return "reaper_due=" + std::to_string(due) +
           "\nreaper_invalidated=" + std::to_string(g_invalidated.load()) +
           "\nreaper_missed=" + std::to_string(g_missed.load()) +
           "\nreaper_gone=" + std::to_string(g_gone.load()) +
           "\nreaper_dropped=" + std::to_string(g_dropped.load()) + "\n";
}

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
        if (r.due.size() >= kMaxDue) {
            r.due.pop_front();
            g_dropped++;
        }
        try {  // runs after the reply: must not throw (guarded.h)
            r.due.push_back(Due{parent, name, Clock::now()});
        } catch (const std::bad_alloc &) {
            g_dropped++;  // the name goes when the kernel trims its cache
            return;
        }
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
