// Query names, from lookup to the last read:
//
//   lookup(dir, "users.db@42")
//     -> split at an '@' whose prefix is a regular file of dir   (find_data_file)
//     -> the DataFile of that exact version of the file          (datafile_cache)
//     -> permission to read F, parse "42", run it                 (query_path, query_runner)
//     -> a node holding the answer, entry and attribute timeouts 0
//   open   -> the open file keeps the answer it saw (a snapshot)
//   read   -> bytes of that snapshot; direct_io so no page cache is involved
//   the reaper later asks the kernel to drop the name; forget frees the node
#include "query_node.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <unordered_map>

#include "caller.h"
#include "content_lock.h"
#include "datafile_cache.h"
#include "file_errors.h"
#include "inode_table.h"
#include "log.h"
#include "query_path.h"
#include "query_runner.h"

namespace chasefs {

struct QueryNode : Node {
    QueryNode() : Node(NodeKind::query) {}
    fuse_ino_t parent = 0;
    std::string name;
    // Guarded by the table mutex.
    uint64_t nlookup = 0;
    struct stat attr = {};
    std::shared_ptr<const std::string> answer;
};

namespace {

using Answer = std::shared_ptr<const std::string>;

struct QueryTable {
    std::mutex mutex;
    std::unordered_map<std::string, std::unique_ptr<QueryNode>> by_name;
};

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
    std::string rest;  // text after the '@'
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

void reply_negative(fuse_req_t req) {
    struct fuse_entry_param e = {};  // ino 0, timeout 0: not cached
    fuse_reply_entry(req, &e);
}

void reply_failure(fuse_req_t req, const DataFileAt &f, const chase::Status &st) {
    record_file_error(f.st.st_dev, f.st.st_ino, st.to_string());
    if (fs().config.debug) log_msg(LOG_DEBUG, "query: %s", st.to_string().c_str());
    fuse_reply_err(req, st.err ? st.err : EIO);
}

void reply_answer(fuse_req_t req, fuse_ino_t parent, const char *name, const struct stat &file,
                  std::string answer) {
    auto shared = std::make_shared<const std::string>(std::move(answer));
    struct fuse_entry_param e = {};
    QueryNode *node;
    {
        QueryTable &t = table();
        std::lock_guard<std::mutex> g(t.mutex);
        auto &slot = t.by_name[table_key(parent, name)];
        if (!slot) {
            slot = std::make_unique<QueryNode>();
            slot->parent = parent;
            slot->name = name;
            slot->attr.st_ino = next_query_ino();
        }
        node = slot.get();
        node->attr = answer_attr(file, shared->size(), node->attr.st_ino);
        node->answer = shared;
        node->nlookup++;
        e.attr = node->attr;
    }
    e.ino = nodeid_of(node);
    if (fuse_reply_entry(req, &e) != 0) {
        query_forget(node, 1);
        return;
    }
    query_reaper_enqueue(parent, name);
}

}  // namespace

bool query_lookup(fuse_req_t req, Inode &dir, const char *name) {
    DataFileAt f;
    if (!find_data_file(dir, name, &f)) return false;

    // Under the shared lock no write through the mount is half done; the
    // identity is re-read under it since a write may have finished meanwhile.
    std::shared_lock<std::shared_mutex> reading(content_lock(f.st.st_dev, f.st.st_ino));
    if (fstat(f.fd, &f.st) < 0) {
        fuse_reply_err(req, errno);
        return true;
    }
    FileVersion version = version_of(f.st);
    std::shared_ptr<chase::DataFile> file;
    chase::Status st = datafile_for(f.fd, version, &file);
    if (st.err == EMEDIUMTYPE) return false;  // an ordinary file: no query names
    if (!st.ok()) {
        reply_failure(req, f, st);
        return true;
    }
    if (!caller_may_read(req, f.st)) {
        fuse_reply_err(req, EACCES);
        return true;
    }
    Query q;
    std::string why;
    if (!parse_query(f.rest, &q, &why)) {
        reply_failure(req, f, chase::Status::error(EINVAL, "query '" + f.rest + "': " + why));
        return true;
    }
    std::string answer;
    st = run_query(*file, q, fs().config.max_answer, &answer);
    reading = {};
    if (st.err == ENOENT) {
        reply_negative(req);
        return true;
    }
    if (!st.ok()) {
        reply_failure(req, f, st);
        return true;
    }
    reply_answer(req, nodeid_of(&dir), name, f.st, std::move(answer));
    return true;
}

QueryNode *as_query(Node *n) {
    return static_cast<QueryNode *>(n);
}

void query_getattr(fuse_req_t req, QueryNode &q) {
    struct stat attr;
    {
        std::lock_guard<std::mutex> g(table().mutex);
        attr = q.attr;
    }
    fuse_reply_attr(req, &attr, 0);
}

void query_open(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EROFS);  // answers are read-only
        return;
    }
    auto *snapshot = new Answer;
    {
        std::lock_guard<std::mutex> g(table().mutex);
        *snapshot = q.answer;
    }
    fi->fh = reinterpret_cast<uint64_t>(snapshot);
    fi->direct_io = 1;  // reads come here, whatever st_size said
    fi->keep_cache = 0;
    fi->noflush = 1;  // nothing to flush: saves a round trip per close
    if (fuse_reply_open(req, fi) != 0) delete snapshot;
}

void query_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi) {
    const std::string &bytes = **reinterpret_cast<Answer *>(fi->fh);
    if (off < 0 || static_cast<size_t>(off) >= bytes.size()) {
        fuse_reply_buf(req, nullptr, 0);
        return;
    }
    size_t n = std::min(size, bytes.size() - static_cast<size_t>(off));
    fuse_reply_buf(req, bytes.data() + off, n);
}

void query_release(fuse_req_t req, struct fuse_file_info *fi) {
    delete reinterpret_cast<Answer *>(fi->fh);
    fuse_reply_err(req, 0);
}

void query_forget(QueryNode *q, uint64_t n) {
    QueryTable &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    q->nlookup = n > q->nlookup ? 0 : q->nlookup - n;
    if (q->nlookup == 0) t.by_name.erase(table_key(q->parent, q->name));
}

size_t query_node_count() {
    QueryTable &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    return t.by_name.size();
}

}  // namespace chasefs
