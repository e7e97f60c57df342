#include "inode_table.h"

#include <unistd.h>

#include <map>
#include <mutex>

namespace chasefs {
namespace {

struct Table {
    std::mutex mutex;
    std::map<std::pair<dev_t, ino_t>, std::unique_ptr<Inode>> by_src;
};

Table &table() {
    static Table t;
    return t;
}

}  // namespace

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
    std::unique_ptr<Inode> &slot = t.by_src[{st.st_dev, st.st_ino}];
    if (!slot) {
        slot = std::make_unique<Inode>();
        slot->fd = fd;
        slot->src_dev = st.st_dev;
        slot->src_ino = st.st_ino;
        slot->type = st.st_mode & S_IFMT;
    } else {
        close(fd);
    }
    slot->nlookup++;
    return slot.get();
}

void inode_forget(Inode *inode, uint64_t n) {
    if (inode == &fs().root) return;
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    auto it = t.by_src.find({inode->src_dev, inode->src_ino});
    if (it == t.by_src.end()) return;
    Inode *in = it->second.get();
    in->nlookup = n > in->nlookup ? 0 : in->nlookup - n;
    if (in->nlookup == 0) t.by_src.erase(it);
}

size_t inode_count() {
    Table &t = table();
    std::lock_guard<std::mutex> g(t.mutex);
    return t.by_src.size();
}

}  // namespace chasefs
