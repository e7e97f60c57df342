#include "extent_cache.h"

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
    auto [it, fresh] = s.map.try_emplace(off);
    if (fresh) {
        s.clock.push_back(off);
    } else {
        if (it->second.tag == tag && it->second.len == len) return;  // two chains read it
        s.bytes -= it->second.len + kOverhead;  // another tag or length here: replaced
        it->second.len = 0;
    }
    // CLOCK: a range read since the hand last passed gets another round;
    // the one being stored keeps its place.
    while (s.bytes + cost > per_shard_) {
        uint64_t k = s.clock.front();
        s.clock.pop_front();
        auto v = k == off ? it : s.map.find(k);
        if (k == off || v->second.referenced) {
            v->second.referenced = false;
            s.clock.push_back(k);
            continue;
        }
        s.bytes -= v->second.len + kOverhead;
        s.map.erase(v);
    }
    Entry &e = it->second;
    e.tag = tag;
    e.len = len;
    e.referenced = false;
    e.bytes.reset(new uint8_t[len]);  // no zeroing: every byte is written next
    memcpy(e.bytes.get(), data, len);
    s.bytes += cost;
}

}  // namespace chase
