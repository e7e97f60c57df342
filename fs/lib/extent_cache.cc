#include "extent_cache.h"

#include <algorithm>
#include <cstring>

namespace chase {

ExtentCache::ExtentCache(uint64_t capacity_bytes) : per_shard_(capacity_bytes / kShards) {}

bool ExtentCache::get(uint64_t off, uint32_t len, uint64_t tag, uint8_t *out) {
    Shard &s = shard_of(off);
    std::lock_guard<std::mutex> g(s.mu);
    auto it = s.map.find(off);
    if (it == s.map.end() || it->second.tag != tag || it->second.len != len) return false;
    it->second.referenced = true;
    memcpy(out, it->second.bytes.get(), len);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void ExtentCache::put(uint64_t off, uint32_t len, uint64_t tag, const uint8_t *data) {
    uint64_t cost = len + kOverhead;
    if (cost > per_shard_) return;
    Shard &s = shard_of(off);
    std::lock_guard<std::mutex> g(s.mu);
    auto it = s.map.find(off);
    if (it != s.map.end()) {
        if (it->second.tag == tag && it->second.len == len) return;  // two chains read it
        // Another tag or length at this offset (rare): drop the old range.
        s.bytes -= it->second.len + kOverhead;
        s.map.erase(it);
        s.clock.erase(std::find(s.clock.begin(), s.clock.end(), off));
    }
    // CLOCK: a range read since the hand last passed gets another round.
    while (s.bytes + cost > per_shard_) {
        uint64_t k = s.clock.front();
        s.clock.pop_front();
        auto v = s.map.find(k);
        if (v->second.referenced) {
            v->second.referenced = false;
            s.clock.push_back(k);
            continue;
        }
        s.bytes -= v->second.len + kOverhead;
        s.map.erase(v);
    }
    Entry &e = s.map[off];
    e.tag = tag;
    e.len = len;
    e.bytes = std::make_unique<uint8_t[]>(len);
    memcpy(e.bytes.get(), data, len);
    s.clock.push_back(off);
    s.bytes += cost;
}

}  // namespace chase
