// The records an index writer turns into a file: sorted by key, no
// duplicates, addressable by rank.  Random access (rather than an iterator)
// is what lets the B+-tree writer stream: an inner node's key is "the key of
// rank r", so every level can be written in one pass without holding the
// lower levels in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mkindex {

// Values are text of at most 63 bytes, NUL-padded to 64 on disk.
constexpr size_t kMaxValueLen = 63;

class KvSource {
   public:
    virtual ~KvSource() = default;
    virtual uint64_t size() const = 0;
    // Key of rank i (0 <= i < size()), strictly increasing in i.
    virtual uint64_t key(uint64_t i) const = 0;
    // Value of rank i; may point into buf (64 bytes), at most 63 bytes, no NUL.
    virtual std::string_view value(uint64_t i, char *buf) const = 0;
};

// Keys first + i * stride for i in [0, count); value = the key in decimal
// (BPF-KV's create).  Valid() is false if the last key would overflow u64.
class GeneratedKeys : public KvSource {
   public:
    GeneratedKeys(uint64_t count, uint64_t stride, uint64_t first = 0)
        : count_(count), stride_(stride), first_(first) {}
    bool valid() const;
    uint64_t size() const override { return count_; }
    uint64_t key(uint64_t i) const override { return first_ + i * stride_; }
    std::string_view value(uint64_t i, char *buf) const override;

   private:
    uint64_t count_, stride_, first_;
};

// Records held in memory, e.g. parsed from a TSV file.
struct Record {
    uint64_t key;
    uint64_t line;  // where it came from (for error messages), 0 if unknown
    std::string value;
};

class SortedRecords : public KvSource {
   public:
    // recs must already be sorted by key without duplicates
    // (see sort_and_check_unique in tsv_input.h).
    explicit SortedRecords(std::vector<Record> recs) : recs_(std::move(recs)) {}
    uint64_t size() const override { return recs_.size(); }
    uint64_t key(uint64_t i) const override { return recs_[i].key; }
    std::string_view value(uint64_t i, char *) const override { return recs_[i].value; }
    const std::vector<Record> &records() const { return recs_; }

   private:
    std::vector<Record> recs_;
};

}  // namespace mkindex
