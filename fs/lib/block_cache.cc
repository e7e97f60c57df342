#include "block_cache.h"

#include <sys/mman.h>

#include <cstring>

namespace chase {

BlockCache::BlockCache(uint64_t capacity_bytes) {
    uint64_t n = capacity_bytes / kBlock;
    n -= n % kShards;  // equal shards
    if (n) {
        void *p =
            mmap(nullptr, n * kBlock, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            n = 0;  // no cache is still correct
        else
            arena_ = static_cast<uint8_t *>(p);
    }
    nblocks_ = n;
    for (unsigned s = 0; s < kShards; s++) {
        shards_[s].entries.resize(n / kShards);
        shards_[s].first = uint32_t(s * (n / kShards));
    }
}

BlockCache::~BlockCache() {
    if (arena_) munmap(arena_, nblocks_ * kBlock);
}

bool BlockCache::get(uint64_t off, uint64_t tag, uint8_t *out) {
    Shard &s = shard_of(off);
    std::lock_guard<std::mutex> g(s.mu);
    auto it = s.index.find(off);
    if (it == s.index.end()) return false;
    Entry &e = s.entries[it->second];
    if (e.tag != tag) return false;
    e.referenced = true;
    memcpy(out, data(s.first + it->second), kBlock);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void BlockCache::put(uint64_t off, uint64_t tag, const uint8_t *bytes) {
    Shard &s = shard_of(off);
    if (s.entries.empty()) return;
    std::lock_guard<std::mutex> g(s.mu);
    uint32_t at;
    auto it = s.index.find(off);
    if (it != s.index.end()) {
        at = it->second;
    } else {
        // CLOCK: a block read since the hand last passed gets another round.
        for (;;) {
            Entry &e = s.entries[s.hand];
            if (!e.used || !e.referenced) break;
            e.referenced = false;
            s.hand = (s.hand + 1) % uint32_t(s.entries.size());
        }
        at = s.hand;
        s.hand = (s.hand + 1) % uint32_t(s.entries.size());
        Entry &victim = s.entries[at];
        if (victim.used) s.index.erase(victim.off);
        s.index.emplace(off, at);
    }
    Entry &e = s.entries[at];
    e.off = off;
    e.tag = tag;
    e.used = true;
    e.referenced = false;
    memcpy(data(s.first + at), bytes, kBlock);
}

}  // namespace chase
