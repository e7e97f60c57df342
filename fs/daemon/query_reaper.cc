// Query names must not pile up.  The kernel keeps a dentry given with
// entry timeout 0 until memory pressure (only virtiofs gets delete_stale,
// which drops it at its last use), and every such dentry pins a QueryNode
// here.  On 6.18 too: of 5,855 names looked up by 16 processes in 3 s, 5,478
// were still there 5 ms later.  So a separate thread asks the kernel to
// invalidate used query names: an unused dentry is dropped at once (and the
// kernel sends FORGET), one still open goes when it is closed.
//
// But every invalidation takes the directory's lock exclusively, and waits
// for every lookup in flight there, each of which runs a query: at one
// invalidation per lookup, 16 processes querying one file reached 0.32 of
// libchase.  A name that stays is cheap to use again: the kernel revalidates
// it with a LOOKUP that takes no directory lock, and that LOOKUP runs the
// query afresh (entry timeout 0 still).  So names are left to the kernel
// while they are in use and there are few of them: up to
// query_names_kept() names (24,576 by default: about 1.1 KiB of kernel
// dentry and inode each, and the node here) stay until they have been idle
// for kIdle; past that many, the least recently looked-up go kDelay after
// their lookup.  An idle daemon is back to no names within kIdle.
//
// Notifications are sent from this thread only, never from a request
// handler: the kernel takes the directory's lock for them, which a lookup in
// progress may hold.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
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
// How long a name within the budget may stay unused.
constexpr auto kIdle = std::chrono::seconds(2);

// Oldest first; bounded, so a reaper that falls behind costs no memory (a
// name it drops stays until the kernel lets go of it by itself).
constexpr size_t kMaxDue = 65536;
constexpr size_t kBatch = 1024;

struct Due {
    fuse_ino_t parent;
    std::string name;
    Clock::time_point at;
    bool may_linger;
};

struct Reaper {
    std::mutex mutex;
    std::condition_variable wake;
    // Each in enqueue order, so in time order: names due kDelay after their
    // lookup (ranges, aggregates, large values: their answers are charged
    // to a user's budget while the name lives), and names that may linger.
    std::deque<Due> prompt, lingering;
    bool stop = false;
    struct fuse_session *se = nullptr;
    std::thread thread;
};

std::atomic<uint64_t> g_invalidated{0}, g_missed{0}, g_gone{0}, g_dropped{0}, g_renewed{0};

Reaper &reaper() {
    static Reaper r;
    return r;
}

// Sends the notifications of one batch, outside the reaper's lock.  Names
// looked up again since they were queued go back into the queue, due from
// their last lookup.
void reap(struct fuse_session *se, std::vector<Due> &batch, std::vector<Due> *again) {
    for (Due &d : batch) {
        // Forgotten already (the kernel dropped the name by itself): nothing
        // to ask, and asking would wait for the directory's lock.
        Clock::time_point last;
        if (!query_name_alive(d.parent, d.name, &last)) {
            g_gone++;
            continue;
        }
        if (last > d.at) {
            g_renewed++;
            d.at = last;
            again->push_back(std::move(d));
            continue;
        }
        if (fuse_lowlevel_notify_inval_entry(se, d.parent, d.name.c_str(), d.name.size()) == 0)
            g_invalidated++;
        else
            g_missed++;  // ENOENT: not in the dentry cache (any more)
    }
}

// Takes the names of `q` that are due, at most `limit` of them.
void take_due(std::deque<Due> &q, Clock::duration after, size_t limit, std::vector<Due> *batch) {
    auto now = Clock::now();
    while (!q.empty() && batch->size() < limit && now - q.front().at >= after) {
        batch->push_back(std::move(q.front()));
        q.pop_front();
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
        if (r.prompt.empty() && r.lingering.empty()) {
            // Idle for a second after a burst of query names: hand the freed
            // heap back, so the daemon returns to its idle size.
            if (r.wake.wait_for(lock, std::chrono::seconds(1)) == std::cv_status::timeout &&
                !trimmed && r.prompt.empty() && r.lingering.empty()) {
                malloc_trim(0);
                trimmed = true;
            }
            continue;
        }
        trimmed = false;
        // Past the budget the least recently looked-up lingering names go
        // after kDelay, as many as the table is over; within it, after kIdle.
        size_t live = query_node_count(), kept = query_names_kept();
        size_t over = live > kept ? live - kept : 0;
        auto linger = over ? kDelay : kIdle;
        std::vector<Due> batch;
        take_due(r.prompt, kDelay, kBatch, &batch);
        take_due(r.lingering, linger, over ? std::min(over, kBatch) : kBatch, &batch);
        if (batch.empty()) {
            // An enqueue wakes the loop early: the table may have grown past
            // the budget meanwhile.
            auto next = Clock::time_point::max();
            if (!r.prompt.empty()) next = r.prompt.front().at + kDelay;
            if (!r.lingering.empty()) next = std::min(next, r.lingering.front().at + linger);
            r.wake.wait_until(lock, next);
            continue;
        }
        guarded_step("query reaper", [&] {
            struct fuse_session *se = r.se;
            lock.unlock();
            std::vector<Due> again;
            reap(se, batch, &again);
            lock.lock();
            for (Due &d : again) (d.may_linger ? r.lingering : r.prompt).push_back(std::move(d));
        });
        if (!lock.owns_lock()) lock.lock();
    }
}

}  // namespace

std::string query_reaper_counters() {
    size_t due;
    {
        std::lock_guard<std::mutex> g(reaper().mutex);
        due = reaper().prompt.size() + reaper().lingering.size();
    }
    return "reaper_due=" + std::to_string(due) +
           "\nreaper_invalidated=" + std::to_string(g_invalidated.load()) +
           "\nreaper_missed=" + std::to_string(g_missed.load()) +
           "\nreaper_gone=" + std::to_string(g_gone.load()) +
           "\nreaper_dropped=" + std::to_string(g_dropped.load()) +
           "\nreaper_renewed=" + std::to_string(g_renewed.load()) + "\n";
}

void query_reaper_start(struct fuse_session *se) {
    Reaper &r = reaper();
    r.se = se;
    r.thread = std::thread(reap_loop);
}

void query_reaper_enqueue(fuse_ino_t parent, const std::string &name, bool may_linger) {
    Reaper &r = reaper();
    {
        std::lock_guard<std::mutex> g(r.mutex);
        if (!r.se) return;
        std::deque<Due> &q = may_linger ? r.lingering : r.prompt;
        if (q.size() >= kMaxDue) {
            q.pop_front();
            g_dropped++;
        }
        try {  // runs after the reply: must not throw (guarded.h)
            q.push_back(Due{parent, name, Clock::now(), may_linger});
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
