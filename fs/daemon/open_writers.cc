#include "open_writers.h"

#include <map>
#include <mutex>
#include <unordered_map>

namespace chasefs {
namespace {

struct Writer {
    dev_t dev;
    ino_t ino;
    bool counted;  // in count[] now: opened or written since the last flush
};

struct Writers {
    std::mutex mutex;
    std::unordered_map<uint64_t, Writer> by_fh;
    std::map<std::pair<dev_t, ino_t>, unsigned> count;

    void add(Writer &w) {
        count[{w.dev, w.ino}]++;
        w.counted = true;
    }
    void remove(Writer &w) {
        if (!w.counted) return;
        w.counted = false;
        auto it = count.find({w.dev, w.ino});
        if (it != count.end() && --it->second == 0) count.erase(it);
    }
};

Writers &writers() {
    static Writers w;
    return w;
}

}  // namespace

void writer_opened(uint64_t fh, dev_t dev, ino_t ino) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    // fh is the open's descriptor, closed only after writer_released().
    Writer &entry = w.by_fh[fh] = Writer{dev, ino, false};
    w.add(entry);
}

void writer_writes(uint64_t fh) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    auto it = w.by_fh.find(fh);
    if (it != w.by_fh.end() && !it->second.counted) w.add(it->second);
}

void writer_flushed(uint64_t fh) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    auto it = w.by_fh.find(fh);
    if (it != w.by_fh.end()) w.remove(it->second);
}

void writer_released(uint64_t fh) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    auto it = w.by_fh.find(fh);
    if (it == w.by_fh.end()) return;
    w.remove(it->second);
    w.by_fh.erase(it);
}

bool has_open_writers(dev_t dev, ino_t ino) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    return w.count.count({dev, ino}) != 0;
}

}  // namespace chasefs
