// The daemon's state: the mounted source tree, the nodes the kernel knows
// (one per FUSE nodeid), and the configuration.  Modelled on the ownership
// habits of libfuse's passthrough_hp: every backing node holds one O_PATH fd
// to the source object, is found by (st_dev, st_ino), and lives until the
// kernel forgets it.  A query node ("F@KEY") holds no fd, only the name it was
// looked up by and the latest answer.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>
#include <unordered_map>

#include "chase/chase.h"

namespace chasefs {

struct Config {
    std::string source;      // absolute path of SRC
    std::string mountpoint;  // absolute path of MNT
    chase::EngineKind engine = chase::EngineKind::automatic;
    double timeout = 1.0;                   // entry/attr/negative timeout of ordinary names (s)
    size_t max_answer = 64u << 20;          // largest range answer built for a query path
    uint64_t cache_bytes = 0;               // libchase block cache per open data file
    uint64_t answer_memory = 512ull << 20;  // query answers held, all users
    uint64_t user_answer_memory = 128ull << 20;  // query answers held, per uid
    bool passthrough = true;                     // -o passthrough=auto: where the kernel has it
    bool debug = false;
    bool foreground = false;
    bool detached = false;  // running in the background: log to syslog
};

enum class NodeKind : uint8_t { backing, query };

struct Node {
    explicit Node(NodeKind k) : kind(k) {}
    NodeKind kind;
};

// A file, directory, symlink or special file of the source tree.
struct Inode : Node {
    Inode() : Node(NodeKind::backing) {}
    ~Inode();
    int fd = -1;  // O_PATH|O_NOFOLLOW, owned
    dev_t src_dev = 0;
    ino_t src_ino = 0;
    mode_t type = 0;       // S_IFMT bits, fixed for the inode's life
    uint64_t nlookup = 0;  // guarded by InodeTable::mutex

    // keep_cache decision for ordinary opens: the page cache is kept only if
    // the file did not change since the last open.
    std::mutex open_mutex;
    int64_t last_open_mtime_ns = -1;
    off_t last_open_size = -1;
    // Passthrough (passthrough.cc): the kernel wants every open of an inode
    // in one mode while any is open, so the open files of each mode are
    // counted; those in passthrough mode share one backing id.
    unsigned cached_opens = 0;
    std::vector<uint64_t> passthrough_fhs;
    int backing_id = 0;
    // Whether the file was a data file when last looked at, and its ctime
    // and size then (a write, truncate or xattr change moves ctime).
    int64_t classified_ctime_ns = -1;
    off_t classified_size = -1;
    bool classified_data = false;
};

// Helpers shared by the operations.
Node *node_of(fuse_ino_t ino);
Inode *inode_of(fuse_ino_t ino);  // nullptr for a query node
inline fuse_ino_t nodeid_of(const Node *n);
std::string proc_path(int fd);  // "/proc/self/fd/N"

struct Fs {
    Config config;
    Inode root;
    struct fuse_session *session = nullptr;
};
Fs &fs();

inline fuse_ino_t nodeid_of(const Node *n) {
    if (n == &fs().root) return FUSE_ROOT_ID;
    return reinterpret_cast<fuse_ino_t>(n);
}

}  // namespace chasefs
