// Exact byte ranges of a file kept in memory between chains: the cache of
// formats whose blocks libchase prepares (BlockPrep: SST tables), where a
// block is any length at any offset and is stored as the device holds it
// (compressed, with its checksum), so that one budget holds as many blocks
// as the page cache would, and every hit is checked again by prepare()
// before a function sees it.
//
// The tag rule is BlockCache's: a range is served only to a chain of the
// tag it was stored under.  A format uses it only for files it already
// trusts for the life of the open (an SST table is immutable: its index
// and filter are read once at open, and the cache lives and dies with the
// open, DataFile).
//
// CLOCK replacement over a byte budget, sharded locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace chase {

class ExtentCache {
   public:
    // What one entry costs beyond its bytes (map node, queue slot, heap
    // header), charged to the budget so that it is a bound on memory.
    static constexpr uint64_t kOverhead = 96;

    explicit ExtentCache(uint64_t capacity_bytes);
    ExtentCache(const ExtentCache &) = delete;
    ExtentCache &operator=(const ExtentCache &) = delete;

    // Copies [off, off + len) into out if exactly that range is cached under tag.
    bool get(uint64_t off, uint32_t len, uint64_t tag, uint8_t *out);
    void put(uint64_t off, uint32_t len, uint64_t tag, const uint8_t *data);

    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t capacity_bytes() const { return per_shard_ * kShards; }

   private:
    struct Entry {
        uint64_t tag = 0;
        uint32_t len = 0;
        bool referenced = false;
        std::unique_ptr<uint8_t[]> bytes;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<uint64_t, Entry> map;  // offset -> range
        std::deque<uint64_t> clock;               // every key of map, once
        uint64_t bytes = 0;
    };
    static constexpr unsigned kShards = 16;
    Shard &shard_of(uint64_t off) { return shards_[(off >> 9) % kShards]; }

    uint64_t per_shard_ = 0;
    Shard shards_[kShards];
    std::atomic<uint64_t> hits_{0};
};

}  // namespace chase
