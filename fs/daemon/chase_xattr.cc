// user.chase.* on regular files:
//
//   user.chase.fn         read-write, stored on the source file: a format name
//                         or a BPF object; setting it is verified first
//   user.chase.format     read-only: the format in use
//   user.chase.geometry   read-only: "key=value" lines from the format
//   user.chase.engine     read-only: the engine this daemon runs queries on
//   user.chase.stats      lookups, hops, errors, latency percentiles; set to
//                         "reset" to zero them
//   user.chase.error      the last chasefs error on this file, in words
//   user.chase.get.KEY    (not listed) the value of KEY, KEY taken literally
//   user.chase.q.QUERY    (not listed) any query-path form, e.g. count:1..9
//
// getfattr asks twice (size probe, then the value); a dynamic value is kept
// from the probe for the read that follows, per process, so the two agree.
#include "chase_xattr.h"

#include <errno.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "answer_budget.h"
#include "caller.h"
#include "content_lock.h"
#include "inode_table.h"
#include "query_node.h"
#include "datafile_cache.h"
#include "file_errors.h"
#include "flock_waiter.h"
#include "kernel_replies.h"
#include "passthrough.h"
#include "log.h"
#include "query_path.h"
#include "query_runner.h"

namespace chasefs {
namespace {

constexpr std::string_view kPrefix = "user.chase.";
constexpr std::string_view kGet = "user.chase.get.";
constexpr std::string_view kQuery = "user.chase.q.";

// ---- probe/read agreement -------------------------------------------------

using Clock = std::chrono::steady_clock;
struct MemoKey {
    dev_t dev;
    ino_t ino;
    pid_t pid;
    std::string name;
    auto operator<=>(const MemoKey &) const = default;
};
struct Memo {
    std::mutex mutex;
    std::map<MemoKey, std::pair<std::string, Clock::time_point>> values;
    size_t bytes = 0;  // of all values
};
Memo &memo() {
    static Memo m;
    return m;
}

// Probes whose read never came (a size probe alone, or a process that
// died) are dropped wholesale past these bounds: values reach 64 KiB each,
// and any user can probe.
constexpr size_t kMemoEntries = 4096, kMemoBytes = 16u << 20;

void memo_put(const MemoKey &k, const std::string &v) {
    Memo &m = memo();
    std::lock_guard<std::mutex> g(m.mutex);
    if (m.values.size() >= kMemoEntries || m.bytes + v.size() > kMemoBytes) {
        m.values.clear();
        m.bytes = 0;
    }
    auto &slot = m.values[k];
    m.bytes -= slot.first.size();
    slot = {v, Clock::now()};
    m.bytes += v.size();
}

bool memo_take(const MemoKey &k, std::string *v) {
    Memo &m = memo();
    std::lock_guard<std::mutex> g(m.mutex);
    auto it = m.values.find(k);
    if (it == m.values.end()) return false;
    bool fresh = Clock::now() - it->second.second < std::chrono::seconds(2);
    m.bytes -= it->second.first.size();
    if (fresh) *v = std::move(it->second.first);
    m.values.erase(it);
    return fresh;
}

// ---- the data file behind a node -----------------------------------------

struct Target {
    struct stat st = {};
    std::shared_ptr<chase::DataFile> file;  // null: not a data file
    chase::Status status;
};

Target resolve(Inode &inode) {
    Target t;
    if (fstatat(inode.fd, "", &t.st, AT_EMPTY_PATH) < 0) {
        t.status = chase::Status::error(errno, strerror(errno));
        return t;
    }
    t.status = datafile_for(inode.fd, version_of(t.st), &t.file);
    return t;
}

std::string stats_text(const chase::Stats &s) {
    std::string out;
    auto line = [&](const char *k, uint64_t v) {
        out += std::string(k) + "=" + std::to_string(v) + "\n";
    };
    line("lookups", s.lookups);
    line("ranges", s.ranges);
    line("aggregates", s.aggregates);
    line("hops", s.hops);
    line("cache_hits", s.cache_hits);
    line("errors", s.errors);
    line("not_found", s.not_found);
    line("p50_ns", s.p50_ns);
    line("p90_ns", s.p90_ns);
    line("p99_ns", s.p99_ns);
    line("max_ns", s.max_ns);
    return out;
}

// Computes the value of a chasefs attribute; errno on failure.
int chase_value(Inode &inode, std::string_view name, std::string *value) {
    if (name == "user.chase.error") {
        *value = file_error(inode.src_dev, inode.src_ino);
        return value->empty() ? ENODATA : 0;
    }
    Target t = resolve(inode);
    if (t.status.err == EMEDIUMTYPE) return ENODATA;  // an ordinary file
    if (!t.status.ok()) {
        record_file_error(inode.src_dev, inode.src_ino, t.status.to_string());
        return t.status.err;
    }
    const chase::DataFile &f = *t.file;
    if (name == "user.chase.format") {
        *value = f.format_name();
        return 0;
    }
    if (name == "user.chase.geometry") {
        *value = f.geometry();
        return 0;
    }
    if (name == "user.chase.stats") {
        *value = stats_text(f.stats());
        return 0;
    }
    if (name == "user.chase.engine") {
        chase::Status st;
        SessionLease s(&st);
        if (!s) {
            record_file_error(inode.src_dev, inode.src_ino, st.to_string());
            return st.err;
        }
        *value = chase::engine_name(s->engine());
        return 0;
    }
    Query q;
    std::string why;
    if (name.starts_with(kGet)) {
        q.kind = QueryKind::get;
        q.key = std::string(name.substr(kGet.size()));
        if (q.key.empty()) return ENODATA;
    } else if (name.starts_with(kQuery)) {
        if (!parse_query(name.substr(kQuery.size()), &q, &why)) {
            record_file_error(inode.src_dev, inode.src_ino,
                              "EINVAL: " + std::string(name) + ": " + why);
            return EINVAL;
        }
    } else {
        return ENODATA;  // an unknown user.chase.* name
    }
    std::shared_lock<std::shared_mutex> reading(content_lock(inode.src_dev, inode.src_ino));
    chase::Status st = run_query(f, q, 65536, value);
    if (st.err == ENOENT) return ENODATA;  // "no such attribute": key absent
    if (!st.ok()) {
        record_file_error(inode.src_dev, inode.src_ino, st.to_string());
        return st.err;
    }
    return 0;
}

bool is_dynamic(std::string_view name) {
    return name.starts_with(kGet) || name.starts_with(kQuery) || name == "user.chase.stats";
}

// ---- setting user.chase.fn ------------------------------------------------

bool looks_like_object(const std::string &v) {
    return v.find('/') != std::string::npos || v.ends_with(".o");
}

// The object as the daemon must open it (never through its own mount).
std::string object_path_below_mount(const std::string &v) {
    const std::string &mnt = fs().config.mountpoint;
    if (v.starts_with(mnt + "/")) return proc_path(fs().root.fd) + v.substr(mnt.size());
    return v;
}

// Verifies the new function on this very file before it is stored.  An
// object is read as the caller would read it (caller_credentials).
chase::Status verify_function(fuse_req_t req, Inode &inode, const std::string &value) {
    chase::OpenOptions opts;
    if (value.empty())
        return chase::Status::error(EINVAL,
                                    "an empty value names no function (remove the attribute "
                                    "with setfattr -x user.chase.fn)");
    if (looks_like_object(value)) {
        if (value[0] != '/')
            return chase::Status::error(EINVAL, "the object path must be absolute: " + value);
        opts.function = object_path_below_mount(value);
        opts.object_reader = caller_credentials(req);
        std::string log;
        chase::Status st = chase::verify_object(opts.function, &log, &*opts.object_reader);
        if (!st.ok()) {
            if (!log.empty()) st.msg += "\nverifier log:\n" + log;
            return st;
        }
    } else {
        opts.format = value;
    }
    std::shared_ptr<chase::DataFile> file;
    return chase::DataFile::open(proc_path(inode.fd), opts, &file);
}

void set_function(fuse_req_t req, Inode &inode, const char *value, size_t size, int flags) {
    struct stat st;
    if (fstatat(inode.fd, "", &st, AT_EMPTY_PATH) < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    if (!caller_owns(req, st)) {
        record_file_error(inode.src_dev, inode.src_ino,
                          "EPERM: only the owner of the file may change user.chase.fn");
        fuse_reply_err(req, EPERM);
        return;
    }
    std::string v(value, size);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\0')) v.pop_back();
    chase::Status verdict = verify_function(req, inode, v);
    if (!verdict.ok()) {
        record_file_error(inode.src_dev, inode.src_ino,
                          "EINVAL: user.chase.fn=" + v + " refused: " + verdict.to_string());
        fuse_reply_err(req, EINVAL);
        return;
    }
    int rc = setxattr(proc_path(inode.fd).c_str(), "user.chase.fn", value, size, flags);
    if (rc < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    datafile_drop(inode.src_dev, inode.src_ino);
    clear_file_error(inode.src_dev, inode.src_ino);
    fuse_reply_err(req, 0);
}

}  // namespace

std::string daemon_status_text() {
    long pages = 0, resident = 0;
    if (FILE *f = fopen("/proc/self/statm", "r")) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    std::string out;
    out += "inodes=" + std::to_string(inode_count()) + "\n";
    out += "query_nodes=" + std::to_string(query_node_count()) + "\n";
    out += "query_deferred=" + std::to_string(query_deferred_count()) + "\n";
    out += "data_files=" + std::to_string(datafile_cache_size()) + "\n";
    out += "flock_waiting=" + std::to_string(flock_waiters()) + "\n";
    out += "sessions=" + std::to_string(session_count()) + "\n";
    out += init_flags_text();
    out += passthrough_text();
    out += query_reaper_counters();
    out += answer_budget_counters();
    out += "rss_kib=" + std::to_string(resident * (sysconf(_SC_PAGESIZE) / 1024)) + "\n";
    return out;
}

bool chase_getxattr(fuse_req_t req, Inode &inode, const char *name, size_t size) {
    std::string_view n(name);
    if (!n.starts_with(kPrefix) || n == "user.chase.fn") return false;
    MemoKey key{inode.src_dev, inode.src_ino, fuse_req_ctx(req)->pid, name};
    std::string value;
    if (size == 0 || !memo_take(key, &value)) {
        int err = chase_value(inode, n, &value);
        if (err) {
            fuse_reply_err(req, err);
            return true;
        }
    }
    if (size == 0) {
        if (is_dynamic(n)) memo_put(key, value);
        fuse_reply_xattr(req, value.size());
    } else if (value.size() > size) {
        fuse_reply_err(req, ERANGE);
    } else {
        fuse_reply_buf(req, value.data(), value.size());
    }
    return true;
}

bool chase_setxattr(fuse_req_t req, Inode &inode, const char *name, const char *value, size_t size,
                    int flags) {
    std::string_view n(name);
    if (!n.starts_with(kPrefix)) return false;
    if (n == "user.chase.fn") {
        set_function(req, inode, value, size, flags);
        return true;
    }
    if (n == "user.chase.stats" && std::string_view(value, size).starts_with("reset")) {
        std::shared_ptr<chase::DataFile> file;
        Target t = resolve(inode);
        if (!t.file) {
            fuse_reply_err(req, t.status.err == EMEDIUMTYPE ? ENODATA : t.status.err);
            return true;
        }
        t.file->reset_stats();
        fuse_reply_err(req, 0);
        return true;
    }
    record_file_error(inode.src_dev, inode.src_ino,
                      "EPERM: " + std::string(n) +
                          " cannot be set (only user.chase.fn, and user.chase.stats=reset)");
    fuse_reply_err(req, EPERM);
    return true;
}

bool chase_removexattr(fuse_req_t req, Inode &inode, const char *name) {
    std::string_view n(name);
    if (!n.starts_with(kPrefix)) return false;
    if (n == "user.chase.fn") {
        struct stat st;
        if (fstatat(inode.fd, "", &st, AT_EMPTY_PATH) == 0 && !caller_owns(req, st)) {
            fuse_reply_err(req, EPERM);
            return true;
        }
        int rc = removexattr(proc_path(inode.fd).c_str(), name);
        datafile_drop(inode.src_dev, inode.src_ino);
        fuse_reply_err(req, rc < 0 ? errno : 0);
        return true;
    }
    if (n == "user.chase.error") {
        clear_file_error(inode.src_dev, inode.src_ino);
        fuse_reply_err(req, 0);
        return true;
    }
    fuse_reply_err(req, EPERM);
    return true;
}

std::string chase_listed_names(Inode &inode) {
    std::string names;
    if (!file_error(inode.src_dev, inode.src_ino).empty()) names.append("user.chase.error", 17);
    Target t = resolve(inode);
    if (!t.file) return names;
    for (const char *n :
         {"user.chase.format", "user.chase.geometry", "user.chase.engine", "user.chase.stats"})
        names.append(n, strlen(n) + 1);
    return names;
}

}  // namespace chasefs
