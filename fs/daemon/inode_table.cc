#include "inode_table.h"

#include <unistd.h>

#include <map>
#include <mutex>

namespace chasefs {
namespace {

struct Entry {
    std::unique_ptr<Inode> inode;
    uint64_t pins = 0;
};

struct Table {
    std::mutex mutex;
    std::map<std::pair<dev_t, ino_t>, Entry> by_src;
};

Table &table() {
    static Table t;
    return t;
}

std::atomic<uint64_t> g_write_seq{1};

}  // namespace

uint64_t next_write_seq() {
    return g_write_seq.fetch_add(1) + 1;
}

Inode::~Inode() {
    if (fd >= 0) close(fd);
}

Inode *inode_acquire(int fd, const struct stat &st) {
    if (st.st_ino == fs().root.src_ino && st.st_dev == fs().root.src_dev) {
        // The source root seen from below (e.g. through a bind mount): the
        // root node is never counted or forgotten.
        close(fd);
        return &fs().root;
    }
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    Entry &e = t.by_src[{st.st_dev, st.st_ino}];
    if (!e.inode) {
        e.inode = std::make_unique<Inode>();
        e.inode->fd = fd;
        e.inode->src_dev = st.st_dev;
        e.inode->src_ino = st.st_ino;
        e.inode->type = st.st_mode & S_IFMT;
        // Unknown history: any cached data-file state must not match.
        e.inode->write_seq = next_write_seq();
    } else {
        close(fd);
    }
    e.inode->nlookup++;
    return e.inode.get();
}

void inode_forget(Inode *inode, uint64_t n) {
    if (inode == &fs().root) return;
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    auto it = t.by_src.find({inode->src_dev, inode->src_ino});
    if (it == t.by_src.end()) return;
    Inode *in = it->second.inode.get();
    in->nlookup = n > in->nlookup ? 0 : in->nlookup - n;
    if (in->nlookup == 0 && it->second.pins == 0) t.by_src.erase(it);
}

InodePin::InodePin(dev_t dev, ino_t ino) {
    if (dev == fs().root.src_dev && ino == fs().root.src_ino) {
        inode_ = &fs().root;
        return;
    }
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    auto it = t.by_src.find({dev, ino});
    if (it == t.by_src.end()) return;
    it->second.pins++;
    inode_ = it->second.inode.get();
}

InodePin::~InodePin() {
    if (!inode_ || inode_ == &fs().root) return;
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    auto it = t.by_src.find({inode_->src_dev, inode_->src_ino});
    if (it == t.by_src.end()) return;
    it->second.pins--;
    if (it->second.inode->nlookup == 0 && it->second.pins == 0) t.by_src.erase(it);
}

size_t inode_count() {
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    return t.by_src.size();
}

}  // namespace chasefs
