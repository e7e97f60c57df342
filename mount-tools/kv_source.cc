#include "kv_source.h"

#include <charconv>
#include <limits>

namespace mkindex {

bool GeneratedKeys::valid() const {
    if (count_ <= 1) return true;
    if (stride_ == 0) return false;  // all keys equal
    const uint64_t max = std::numeric_limits<uint64_t>::max();
    if (count_ - 1 > (max - first_) / stride_) return false;
    return true;
}

std::string_view GeneratedKeys::value(uint64_t i, char *buf) const {
    auto r = std::to_chars(buf, buf + kMaxValueLen, key(i));
    return std::string_view(buf, r.ptr - buf);
}

}  // namespace mkindex
