#include "datafile_cache.h"

#include <sys/xattr.h>

#include <cerrno>
#include <list>
#include <map>
#include <mutex>

#include "caller.h"
#include "fs_state.h"
#include "open_writers.h"

namespace chasefs {
namespace {

constexpr size_t kMaxEntries = 256;

struct Entry {
    FileVersion version;
    std::shared_ptr<chase::DataFile> file;  // null: not a data file
    chase::Status status;                   // why not
    std::list<std::pair<dev_t, ino_t>>::iterator lru;
};

struct Cache {
    std::mutex mutex;
    std::map<std::pair<dev_t, ino_t>, Entry> entries;
    std::list<std::pair<dev_t, ino_t>> lru;  // front = most recent
};

Cache &cache() {
    static Cache c;
    return c;
}

// user.chase.fn as libchase reads it, except that an object path under the
// mount point is rewritten to the same file reached from below the mount:
// the daemon must never go through its own mount (it would wait on itself).
chase::OpenOptions options_from_attribute(int fd) {
    chase::OpenOptions opts;
    char buf[4096];
    ssize_t n = getxattr(proc_path(fd).c_str(), "user.chase.fn", buf, sizeof(buf) - 1);
    if (n <= 0) return opts;
    std::string v(buf, static_cast<size_t>(n));
    while (!v.empty() && (v.back() == '\n' || v.back() == '\0')) v.pop_back();
    if (v.find('/') == std::string::npos && !v.ends_with(".o")) {
        opts.format = v;
        return opts;
    }
    const std::string &mnt = fs().config.mountpoint;
    if (v.starts_with(mnt + "/")) v = proc_path(fs().root.fd) + v.substr(mnt.size());
    opts.function = v;
    return opts;
}

chase::Status open_datafile(int fd, std::shared_ptr<chase::DataFile> *out) {
    chase::OpenOptions opts = options_from_attribute(fd);
    struct stat st;
    if (!opts.function.empty() && fstat(fd, &st) == 0) opts.object_reader = owner_credentials(st);
    opts.cache_bytes = fs().config.cache_bytes;
    return chase::DataFile::open(proc_path(fd), opts, out);
}

}  // namespace

FileVersion version_of(const struct stat &st) {
    FileVersion v;
    v.dev = st.st_dev;
    v.ino = st.st_ino;
    v.size = st.st_size;
    v.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    v.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
    return v;
}

chase::Status datafile_for(int fd, const FileVersion &v, std::shared_ptr<chase::DataFile> *out) {
    if (has_open_writers(v.dev, v.ino))
        return chase::Status::error(EBUSY,
                                    "the file is open for writing through the mount; queries "
                                    "resume when the writer closes it");
    Cache &c = cache();
    auto key = std::make_pair(v.dev, v.ino);
    {
        std::lock_guard<std::mutex> g(c.mutex);
        auto it = c.entries.find(key);
        if (it != c.entries.end() && it->second.version == v) {
            c.lru.splice(c.lru.begin(), c.lru, it->second.lru);
            *out = it->second.file;
            return it->second.status;
        }
    }
    // Opening may load programs: done outside the lock.  Two threads may both
    // open the same version; the later insert wins, both answers are right.
    std::shared_ptr<chase::DataFile> file;
    chase::Status st = open_datafile(fd, &file);
    if (st.ok() && (file->dev() != v.dev || file->ino() != v.ino))
        st = chase::Status::error(ESTALE, "the file changed while it was opened");
    bool cacheable = st.ok() || st.err == EMEDIUMTYPE;
    if (cacheable) {
        std::lock_guard<std::mutex> g(c.mutex);
        auto it = c.entries.find(key);
        if (it == c.entries.end()) {
            c.lru.push_front(key);
            it = c.entries.emplace(key, Entry{}).first;
            it->second.lru = c.lru.begin();
        } else {
            c.lru.splice(c.lru.begin(), c.lru, it->second.lru);
        }
        it->second.version = v;
        it->second.file = st.ok() ? file : nullptr;
        it->second.status = st;
        while (c.entries.size() > kMaxEntries) {
            c.entries.erase(c.lru.back());
            c.lru.pop_back();
        }
    }
    *out = st.ok() ? file : nullptr;
    return st;
}

void datafile_drop(dev_t dev, ino_t ino) {
    Cache &c = cache();
    std::lock_guard<std::mutex> g(c.mutex);
    auto it = c.entries.find({dev, ino});
    if (it == c.entries.end()) return;
    c.lru.erase(it->second.lru);
    c.entries.erase(it);
}

size_t datafile_cache_size() {
    Cache &c = cache();
    std::lock_guard<std::mutex> g(c.mutex);
    return c.entries.size();
}

}  // namespace chasefs
