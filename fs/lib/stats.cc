#include "stats.h"

#include <bit>
#include <cerrno>

namespace chase {

int LatencyHistogram::bucket_of(uint64_t ns) {
    if (ns < kSub) return static_cast<int>(ns);
    int msb = 63 - std::countl_zero(ns);
    int sub = static_cast<int>((ns >> (msb - 3)) & (kSub - 1));
    int b = (msb - 2) * kSub + sub;
    return b < kBuckets ? b : kBuckets - 1;
}

uint64_t LatencyHistogram::bucket_floor(int b) {
    if (b < kSub) return b;
    int msb = b / kSub + 2;
    return (uint64_t{1} << msb) | (uint64_t(b % kSub) << (msb - 3));
}

void LatencyHistogram::record(uint64_t ns) {
    counts_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
    uint64_t m = max_.load(std::memory_order_relaxed);
    while (ns > m && !max_.compare_exchange_weak(m, ns, std::memory_order_relaxed)) {
    }
}

uint64_t LatencyHistogram::percentile(double p) const {
    uint64_t total = 0;
    for (auto &c : counts_) total += c.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    uint64_t want = static_cast<uint64_t>(p * double(total - 1)) + 1, seen = 0;
    for (int b = 0; b < kBuckets; b++) {
        seen += counts_[b].load(std::memory_order_relaxed);
        if (seen >= want) return bucket_floor(b);
    }
    return max();
}

void LatencyHistogram::reset() {
    for (auto &c : counts_) c.store(0, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
}

void DataFile::Counters::record(QueryKind kind, int err, uint64_t nhops, uint64_t ns) {
    switch (kind) {
        case QueryKind::get:
            lookups.fetch_add(1, std::memory_order_relaxed);
            break;
        case QueryKind::range:
            ranges.fetch_add(1, std::memory_order_relaxed);
            break;
        case QueryKind::aggregate:
            aggregates.fetch_add(1, std::memory_order_relaxed);
            break;
    }
    hops.fetch_add(nhops, std::memory_order_relaxed);
    if (err == ENOENT)
        not_found.fetch_add(1, std::memory_order_relaxed);
    else if (err)
        errors.fetch_add(1, std::memory_order_relaxed);
    latency.record(ns);
}

Stats DataFile::Counters::snapshot() const {
    Stats s;
    s.lookups = lookups.load(std::memory_order_relaxed);
    s.ranges = ranges.load(std::memory_order_relaxed);
    s.aggregates = aggregates.load(std::memory_order_relaxed);
    s.hops = hops.load(std::memory_order_relaxed);
    s.errors = errors.load(std::memory_order_relaxed);
    s.not_found = not_found.load(std::memory_order_relaxed);
    s.p50_ns = latency.percentile(0.50);
    s.p90_ns = latency.percentile(0.90);
    s.p99_ns = latency.percentile(0.99);
    s.max_ns = latency.max();
    return s;
}

void DataFile::Counters::reset() {
    lookups = ranges = aggregates = hops = errors = not_found = 0;
    latency.reset();
}

}  // namespace chase
