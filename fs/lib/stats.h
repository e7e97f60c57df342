// Per-file counters the engines report into: lock-free, shared by every
// session (thread) that queries the file.
#pragma once

#include <atomic>
#include <cstdint>

#include "chase/chase.h"

namespace chase {

// Log-linear latency histogram: 8 sub-buckets per power of two of ns,
// so percentiles are within 12.5% with a fixed 512-entry footprint.
class LatencyHistogram {
   public:
    void record(uint64_t ns);
    uint64_t percentile(double p) const;  // p in [0, 1]
    uint64_t max() const { return max_.load(std::memory_order_relaxed); }
    void reset();

   private:
    static constexpr int kSub = 8;
    static constexpr int kBuckets = 64 * kSub;
    static int bucket_of(uint64_t ns);
    static uint64_t bucket_floor(int b);
    std::atomic<uint64_t> counts_[kBuckets] = {};
    std::atomic<uint64_t> max_{0};
};

enum class QueryKind { get, range, aggregate };

struct DataFile::Counters {
    std::atomic<uint64_t> lookups{0}, ranges{0}, aggregates{0};
    std::atomic<uint64_t> hops{0}, errors{0}, not_found{0};
    LatencyHistogram latency;

    void record(QueryKind kind, int err, uint64_t hops, uint64_t ns);
    Stats snapshot() const;
    void reset();
};

}  // namespace chase
