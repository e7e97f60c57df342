#include "content_lock.h"

#include <functional>

namespace chasefs {

std::shared_mutex &content_lock(dev_t dev, ino_t ino) {
    static std::shared_mutex stripes[256];
    size_t h = std::hash<uint64_t>()(static_cast<uint64_t>(ino) * 0x9E3779B97F4A7C15ull ^
                                     static_cast<uint64_t>(dev));
    return stripes[h % 256];
}

}  // namespace chasefs
