#include "file_errors.h"

#include <deque>
#include <map>
#include <mutex>

#include "log.h"

namespace chasefs {
namespace {

constexpr size_t kMaxFiles = 1024;

struct Errors {
    std::mutex mutex;
    std::map<std::pair<dev_t, ino_t>, std::string> by_file;
    std::deque<std::pair<dev_t, ino_t>> order;
};

Errors &errors() {
    static Errors e;
    return e;
}

}  // namespace

void record_file_error(dev_t dev, ino_t ino, const std::string &msg) {
    Errors &e = errors();
    std::lock_guard<std::mutex> g(e.mutex);
    auto [it, fresh] = e.by_file.insert_or_assign({dev, ino}, msg);
    if (fresh) e.order.push_back({dev, ino});
    while (e.by_file.size() > kMaxFiles) {
        e.by_file.erase(e.order.front());
        e.order.pop_front();
    }
}

void clear_file_error(dev_t dev, ino_t ino) {
    Errors &e = errors();
    std::lock_guard<std::mutex> g(e.mutex);
    e.by_file.erase({dev, ino});  // its place in `order` ages out harmlessly
}

std::string file_error(dev_t dev, ino_t ino) {
    Errors &e = errors();
    std::lock_guard<std::mutex> g(e.mutex);
    auto it = e.by_file.find({dev, ino});
    return it == e.by_file.end() ? std::string() : it->second;
}

}  // namespace chasefs
