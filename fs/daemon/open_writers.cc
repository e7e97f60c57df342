#include "open_writers.h"

#include <map>
#include <mutex>

namespace chasefs {
namespace {

struct Writers {
    std::mutex mutex;
    std::map<std::pair<dev_t, ino_t>, unsigned> count;
};

Writers &writers() {
    static Writers w;
    return w;
}

}  // namespace

void writer_opened(dev_t dev, ino_t ino) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    w.count[{dev, ino}]++;
}

void writer_closed(dev_t dev, ino_t ino) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    auto it = w.count.find({dev, ino});
    if (it != w.count.end() && --it->second == 0) w.count.erase(it);
}

bool has_open_writers(dev_t dev, ino_t ino) {
    Writers &w = writers();
    std::lock_guard<std::mutex> g(w.mutex);
    return w.count.count({dev, ino}) != 0;
}

}  // namespace chasefs
