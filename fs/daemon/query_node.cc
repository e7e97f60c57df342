// Query names, from lookup to the last read:
//
//   lookup(dir, "users.db@42")
//     -> split at an '@' whose prefix is a regular file of dir   (find_data_file)
//     -> F is a data file, the caller may read it, "42" parses
//     -> a node for the name; entry and attribute timeouts 0
//     -> a point query runs now (ENOENT for an absent key) and its answer
//        stays on the node; ranges and aggregates wait for getattr/open
//   getattr (stat, test -e)  -> the answer's size (run now unless kept)
//   open (cat, python)       -> the answer (run now unless kept); the open
//                               file keeps it (a snapshot), fstat reports it
//   read                     -> bytes of the snapshot; direct_io, no page cache
//   the reaper later asks the kernel to drop the name; forget frees the node
//
// Every run re-resolves F by name in its directory, so a version renamed
// over F after the lookup is the one answered.
#include "query_node.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <thread>
#include <vector>
#include <unordered_map>

#include "caller.h"
#include "content_lock.h"
#include "datafile_cache.h"
#include "file_errors.h"
#include "guarded.h"
#include "inode_table.h"
#include "log.h"
#include "query_path.h"
#include "query_runner.h"

namespace chasefs {

struct QueryNode : Node {
    QueryNode() : Node(NodeKind::query) {}
    Inode *dir = nullptr;  // alive while the kernel holds this name
    std::string name;      // "F@QUERY"
    std::string file;      // "F"
    Query query;
    uint64_t ino = 0;
    uint64_t nlookup = 0;                               // guarded by the table mutex
    std::chrono::steady_clock::time_point last_lookup;  // guarded by the table mutex

    // The last answer and the data file it came from.  A data file object
    // stands for one exact version of F (any write through the mount, any
    // change of identity, size or times makes datafile_for open a new one),
    // so while datafile_for still returns this object the answer is current:
    // `cat` (open, then fstat) and `stat` then run the query once.
    std::mutex answer_mutex;
    std::weak_ptr<chase::DataFile> answered_from;
    std::shared_ptr<const struct ChargedAnswer> answer;
    struct stat answer_attr = {};
};

// An answer's bytes and their charge against the budget of the uid whose
// request built it (answer_budget.h), released with the last holder.
struct ChargedAnswer {
    explicit ChargedAnswer(uid_t uid) : charge(uid) {}
    std::string bytes;
    AnswerCharge charge;
};

namespace {

using Answer = std::shared_ptr<const ChargedAnswer>;

// What the open file holds: the answer and the attributes it had.
struct OpenAnswer {
    Answer bytes;
    struct stat attr;
};

struct QueryTable {
    std::mutex mutex;
    std::unordered_map<std::string, std::unique_ptr<QueryNode>> by_name;
};

// Back-pressure: the kernel lets go of query names only as fast as the
// reaper can invalidate them, and each invalidation waits for the
// directory's lock, which every lookup in flight holds.  Above
// high_water() live nodes, getattr and open of query names are deferred:
// the handler returns at once and a resumer thread runs them when forgets
// have brought the table under half the mark (or after kMaxDefer: never a
// hang).  A client waiting in getattr or open makes no new name, so the
// table stays within the mark plus one name per client.  Workers must not
// sleep here instead: with every worker asleep no lookup is answered, the
// reaper never gets the directory's lock, and the table cannot shrink (that
// cycle let 16 stat() loops over distinct names grow the daemon by 100
// names/s, to 250 MiB in five minutes).
// CHASEFS_QUERY_HIGH_WATER overrides the bound (the tests use a small one).
size_t high_water() {
    static const size_t n = [] {
        const char *e = getenv("CHASEFS_QUERY_HIGH_WATER");
        size_t v = e ? strtoul(e, nullptr, 10) : 0;
        return v >= 2 ? v : size_t(65536);
    }();
    return n;
}
constexpr auto kMaxDefer = std::chrono::seconds(1);
std::atomic<uint64_t> g_deferred{0};

QueryTable &table() {
    static QueryTable t;
    return t;
}

std::string table_key(fuse_ino_t parent, const std::string &name) {
    return std::to_string(parent) + "/" + name;
}

// Query nodes get inode numbers no ext4 file has (top bit set).
uint64_t next_query_ino() {
    static std::atomic<uint64_t> counter{1};
    return (1ull << 63) | counter.fetch_add(1);
}

struct DataFileAt {
    int fd = -1;  // O_PATH of F
    struct stat st = {};
    std::string file;  // F
    std::string rest;  // text after the '@'
    DataFileAt() = default;
    DataFileAt(const DataFileAt &) = delete;
    ~DataFileAt() {
        if (fd >= 0) close(fd);
    }
};

// The leftmost '@' whose prefix names a regular file of the directory.
bool find_data_file(Inode &dir, const char *name, DataFileAt *out) {
    for (const char *at = strchr(name, '@'); at; at = strchr(at + 1, '@')) {
        if (at == name) continue;
        std::string prefix(name, static_cast<size_t>(at - name));
        int fd = openat(dir.fd, prefix.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            continue;
        }
        out->fd = fd;
        out->st = st;
        out->file = prefix;
        out->rest = at + 1;
        return true;
    }
    return false;
}

struct stat answer_attr(const struct stat &file, size_t size, uint64_t ino) {
    struct stat a = {};
    a.st_ino = ino;
    a.st_mode = S_IFREG | (file.st_mode & 0444);
    a.st_nlink = 1;
    a.st_uid = file.st_uid;
    a.st_gid = file.st_gid;
    a.st_size = static_cast<off_t>(size);
    a.st_blksize = 4096;
    a.st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
    a.st_atim = file.st_atim;
    a.st_mtim = file.st_mtim;
    a.st_ctim = file.st_ctim;
    return a;
}

chase::Status failure(const struct stat &st, chase::Status s) {
    if (s.err != ENOENT) {
        record_file_error(st.st_dev, st.st_ino, s.to_string());
        if (fs().config.debug) log_msg(LOG_DEBUG, "query: %s", s.to_string().c_str());
    }
    return s;
}

struct Deferred {
    std::function<void()> run;
    std::chrono::steady_clock::time_point deadline;
};

struct Resumer {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Deferred> queue;
    std::thread thread;
    bool stop = false;
};

Resumer &resumer() {
    static Resumer r;
    return r;
}

void resume_loop() {
    Resumer &r = resumer();
    std::unique_lock<std::mutex> lock(r.mutex);
    while (!r.stop || !r.queue.empty()) {
        if (r.queue.empty()) {
            r.wake.wait(lock);
            continue;
        }
        bool room = query_node_count() <= high_water() / 2 || r.stop;
        auto now = std::chrono::steady_clock::now();
        std::vector<Deferred> run;
        guarded_step("query resumer", [&] {
            while (!r.queue.empty() && (room || r.queue.front().deadline <= now)) {
                run.push_back(std::move(r.queue.front()));
                r.queue.pop_front();
            }
        });
        if (run.empty()) {
            r.wake.wait_for(lock, std::chrono::milliseconds(1));
            continue;
        }
        lock.unlock();
        for (Deferred &d : run) d.run();  // each one guarded (deferred())
        lock.lock();
    }
}

// True if the table is full and run was queued for the resumer (the caller
// returns without replying; run replies later).
bool deferred(const char *op, fuse_req_t req, std::function<void()> run) {
    if (query_node_count() < high_water()) return false;
    Resumer &r = resumer();
    std::lock_guard<std::mutex> g(r.mutex);
    if (r.stop) return false;
    if (!r.thread.joinable()) r.thread = std::thread(resume_loop);
    auto safe = [op, req, run = std::move(run)] { guarded(op, req, true, run); };
    r.queue.push_back({std::move(safe), std::chrono::steady_clock::now() + kMaxDefer});
    g_deferred++;
    r.wake.notify_one();
    return true;
}

// Runs the node's query on the file its name names now.
chase::Status run_node_query(fuse_req_t req, QueryNode &q, OpenAnswer *out) {
    DataFileAt f;
    f.fd = openat(q.dir->fd, q.file.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (f.fd < 0) return chase::Status::error(ENOENT, q.file + " is gone");
    // Under the shared lock no write through the mount is half done; the
    // identity is read under it since a write may have finished meanwhile.
    struct stat st;
    if (fstat(f.fd, &st) < 0) return chase::Status::error(errno, strerror(errno));
    std::shared_lock<std::shared_mutex> reading(content_lock(st.st_dev, st.st_ino));
    if (fstat(f.fd, &st) < 0) return chase::Status::error(errno, strerror(errno));
    if (!S_ISREG(st.st_mode)) return chase::Status::error(ENOENT, q.file + " is not a file");
    if (!caller_may_read(req, st)) return chase::Status::error(EACCES, "no read permission");
    std::shared_ptr<chase::DataFile> file;
    chase::Status s = datafile_for(f.fd, version_of(st), &file);
    if (s.err == EMEDIUMTYPE) return chase::Status::error(ENOENT, q.file + " is not a data file");
    if (!s.ok()) return failure(st, s);
    {
        std::lock_guard<std::mutex> g(q.answer_mutex);
        if (q.answer && q.answered_from.lock() == file) {
            out->bytes = q.answer;
            out->attr = q.answer_attr;
            return {};
        }
    }
    auto answer = std::make_shared<ChargedAnswer>(fuse_req_ctx(req)->uid);
    s = run_query(*file, q.query, fs().config.max_answer, &answer->bytes, &answer->charge);
    if (!s.ok()) return failure(st, s);
    out->attr = answer_attr(st, answer->bytes.size(), q.ino);
    out->bytes = std::move(answer);
    std::lock_guard<std::mutex> g(q.answer_mutex);
    q.answered_from = file;
    q.answer = out->bytes;
    q.answer_attr = out->attr;
    return {};
}

void reply_node(fuse_req_t req, Inode &dir, const char *name, DataFileAt &f, Query q) {
    struct fuse_entry_param e = {};  // timeouts 0: every use comes back here
    QueryNode *node;
    bool fresh;  // a new name: the reaper has no entry for it
    fuse_ino_t parent = nodeid_of(&dir);
    {
        QueryTable &t = table();
        std::lock_guard<std::mutex> g(t.mutex);
        auto &slot = t.by_name[table_key(parent, name)];
        fresh = !slot;
        if (!slot) {
            slot = std::make_unique<QueryNode>();
            slot->dir = &dir;
            slot->name = name;
            slot->file = f.file;
            slot->query = std::move(q);
            slot->ino = next_query_ino();
        }
        node = slot.get();
        node->nlookup++;
        node->last_lookup = std::chrono::steady_clock::now();
        // Size unknown until the query runs: getattr, which the kernel sends
        // for stat since these attributes expire at once, has it.
        e.attr = answer_attr(f.st, 0, node->ino);
    }
    // A point query runs now, so that an absent key is absent to every
    // call (stat, open, and open with O_CREAT|O_EXCL, which the kernel
    // would answer EEXIST for a name that looked up positive); getattr and
    // open then take the answer kept on the node.  Ranges and aggregates
    // always exist and wait for getattr/open, which run in parallel.
    if (node->query.kind == QueryKind::get) {
        OpenAnswer a;
        chase::Status st = run_node_query(req, *node, &a);
        if (!st.ok()) {
            query_forget(node, 1);
            fuse_reply_err(req, st.err ? st.err : EIO);
            return;
        }
        e.attr = a.attr;
        // The entry still expires at once (every path walk comes back here
        // and runs the query afresh), but the attributes just computed
        // serve the open that follows: its permission check, fstat and the
        // reads' size check would each cost a GETATTR (3 of a cat's 8
        // requests).  Reads are direct, so a size that changed by the open
        // cannot cut an answer short.  Not past half the high-water mark:
        // there a stat must come back as a GETATTR, which back-pressure
        // defers (a LOOKUP cannot wait: it holds the directory's lock).
        if (query_node_count() < high_water() / 2) e.attr_timeout = fs().config.timeout;
    }
    e.ino = nodeid_of(node);
    if (fuse_reply_entry(req, &e) != 0) {
        query_forget(node, 1);
        return;
    }
    // A small point answer may stay with its name; anything larger is
    // charged to the user's budget while the name lives (answer_budget.h).
    constexpr off_t kLingerBytes = 4096;
    bool may_linger = node->query.kind == QueryKind::get && e.attr.st_size <= kLingerBytes;
    if (fresh) query_reaper_enqueue(parent, name, may_linger);
}

}  // namespace

bool query_lookup(fuse_req_t req, Inode &dir, const char *name) {
    DataFileAt f;
    if (!find_data_file(dir, name, &f)) return false;
    std::shared_ptr<chase::DataFile> file;
    chase::Status st = datafile_for(f.fd, version_of(f.st), &file);
    if (st.err == EMEDIUMTYPE) return false;  // an ordinary file: no query names
    if (st.err == EBUSY) st = {};             // being rewritten: getattr/open will say so
    if (!st.ok()) {
        fuse_reply_err(req, failure(f.st, st).err);
        return true;
    }
    if (!caller_may_read(req, f.st)) {
        fuse_reply_err(req, EACCES);
        return true;
    }
    Query q;
    std::string why;
    if (!parse_query(f.rest, &q, &why)) {
        failure(f.st, chase::Status::error(EINVAL, "query '" + f.rest + "': " + why));
        fuse_reply_err(req, EINVAL);
        return true;
    }
    reply_node(req, dir, name, f, std::move(q));
    return true;
}

bool names_a_query(Inode &dir, const char *name) {
    if (!strchr(name, '@')) return false;
    DataFileAt f;
    if (!find_data_file(dir, name, &f)) return false;
    std::shared_ptr<chase::DataFile> file;
    return datafile_for(f.fd, version_of(f.st), &file).err != EMEDIUMTYPE;
}

QueryNode *as_query(Node *n) {
    return static_cast<QueryNode *>(n);
}

void getattr_now(fuse_req_t req, QueryNode &q);

void query_getattr(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi) {
    if (fi && fi->fh) {  // fstat on an open answer: that answer's size
        fuse_reply_attr(req, &reinterpret_cast<OpenAnswer *>(fi->fh)->attr, 0);
        return;
    }
    // q stays alive meanwhile: the kernel holds the name for this request.
    if (deferred("getattr", req, [req, &q] { getattr_now(req, q); })) return;
    getattr_now(req, q);
}

void getattr_now(fuse_req_t req, QueryNode &q) {
    OpenAnswer a;
    chase::Status st = run_node_query(req, q, &a);
    if (!st.ok()) {
        fuse_reply_err(req, st.err ? st.err : EIO);
        return;
    }
    fuse_reply_attr(req, &a.attr, 0);
}

void open_now(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi);

void query_open(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EROFS);  // answers are read-only
        return;
    }
    if (deferred("open", req, [req, &q, copy = *fi]() mutable { open_now(req, q, &copy); })) return;
    open_now(req, q, fi);
}

void open_now(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi) {
    auto snapshot = std::make_unique<OpenAnswer>();
    chase::Status st = run_node_query(req, q, snapshot.get());
    if (!st.ok()) {
        fuse_reply_err(req, st.err ? st.err : EIO);
        return;
    }
    fi->fh = reinterpret_cast<uint64_t>(snapshot.get());
    fi->direct_io = 1;  // reads come here, whatever st_size said
    fi->keep_cache = 0;
    fi->noflush = 1;  // nothing to flush: saves a round trip per close
    if (fuse_reply_open(req, fi) == 0) snapshot.release();
}

void query_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi) {
    // Held until the reply is sent: the reader gets the bytes inside
    // fuse_reply_buf's writev and may close at once; the release and the
    // name's forget then free the open answer and the node before writev has
    // returned (the sanitized daemon checks the buffer after the call and
    // reported exactly that).
    Answer answer = reinterpret_cast<OpenAnswer *>(fi->fh)->bytes;
    const std::string &bytes = answer->bytes;
    if (off < 0 || static_cast<size_t>(off) >= bytes.size()) {
        fuse_reply_buf(req, nullptr, 0);
        return;
    }
    size_t n = std::min(size, bytes.size() - static_cast<size_t>(off));
    fuse_reply_buf(req, bytes.data() + off, n);
}

void query_release(fuse_req_t req, struct fuse_file_info *fi) {
    delete reinterpret_cast<OpenAnswer *>(fi->fh);
    fuse_reply_err(req, 0);
}

void query_forget(QueryNode *q, uint64_t n) {
    QueryTable &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    q->nlookup = n > q->nlookup ? 0 : q->nlookup - n;
    if (q->nlookup == 0) t.by_name.erase(table_key(nodeid_of(q->dir), q->name));
}

bool query_name_alive(fuse_ino_t parent, const std::string &name,
                      std::chrono::steady_clock::time_point *last_lookup) {
    QueryTable &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    auto it = t.by_name.find(table_key(parent, name));
    if (it == t.by_name.end()) return false;
    *last_lookup = it->second->last_lookup;
    return true;
}

// Below half the high-water mark, where attributes are still cached (see
// reply_node), and with room for the names of the last kDelay.
size_t query_names_kept() {
    return high_water() * 3 / 8;
}

uint64_t query_deferred_count() {
    return g_deferred.load();
}

void query_deferred_stop() {
    Resumer &r = resumer();
    {
        std::lock_guard<std::mutex> g(r.mutex);
        r.stop = true;  // what is queued still runs (and replies)
    }
    r.wake.notify_one();
    if (r.thread.joinable()) r.thread.join();
}

size_t query_node_count() {
    QueryTable &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    return t.by_name.size();
}

}  // namespace chasefs
