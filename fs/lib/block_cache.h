// Blocks a file's chains read, kept in memory for the chains after them.
//
// Only chains whose format vouches for the block's bytes use it: the
// format gives the chain a tag (ChainSpec::cache_tag), and a block is
// served only to a chain of the same tag.  LMDB's tag is the snapshot's
// txnid: pages of one snapshot do not change while it is the newest, and
// the snapshot check after each chain catches the commit that would make
// them change (bpf/FORMATS.md).  Formats whose files may be rewritten in
// place without a version to check give no tag and always read the disk.
//
// Fixed capacity, CLOCK replacement, sharded locks so the daemon's threads
// share one cache per file.  The memory is mapped once and becomes
// resident as blocks are stored.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace chase {

class BlockCache {
   public:
    static constexpr uint32_t kBlock = 4096;

    // capacity_bytes rounded down to whole blocks; 0 blocks = a cache that
    // keeps nothing.
    explicit BlockCache(uint64_t capacity_bytes);
    ~BlockCache();
    BlockCache(const BlockCache &) = delete;
    BlockCache &operator=(const BlockCache &) = delete;

    // Copies the block at off into out if it is cached under tag.
    bool get(uint64_t off, uint64_t tag, uint8_t *out);
    void put(uint64_t off, uint64_t tag, const uint8_t *data);

    uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    uint64_t capacity_blocks() const { return nblocks_; }

   private:
    struct Entry {
        uint64_t off = 0, tag = 0;
        bool used = false, referenced = false;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<uint64_t, uint32_t> index;  // off -> entry
        std::vector<Entry> entries;
        uint32_t first = 0;  // this shard's blocks: [first, first + entries.size())
        uint32_t hand = 0;
    };
    static constexpr unsigned kShards = 16;
    Shard &shard_of(uint64_t off) { return shards_[(off / kBlock) % kShards]; }
    uint8_t *data(uint32_t block) { return arena_ + uint64_t(block) * kBlock; }

    uint64_t nblocks_ = 0;
    uint8_t *arena_ = nullptr;
    Shard shards_[kShards];
    std::atomic<uint64_t> hits_{0};
};

}  // namespace chase
