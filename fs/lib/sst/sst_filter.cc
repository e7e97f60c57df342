#include "sst_filter.h"

#include "sst_block.h"

#include <rocksdb/slice.h>

#include <cstring>
#include <vector>

// RocksDB's own 64-bit key hash (XXPH3, a frozen preview of XXH3 that
// libxxhash does not provide), which its format_version-5 filters are built
// with.  Exported by librocksdb but declared in a header Debian does not
// ship; taking it from the library keeps the filter exactly RocksDB's.
namespace rocksdb {
uint64_t GetSliceHash64(const Slice &key);
}

namespace chase::sst {

namespace {

// The 32-bit hash both libraries' legacy Bloom filters use (seed
// 0xbc9f1d34).  They differ in the last one to three bytes: LevelDB adds
// them as unsigned, RocksDB kept the sign extension of its first builds
// (changing it would change the format).
uint32_t bloom_hash(std::string_view key, bool signed_tail) {
    const uint32_t m = 0xc6a4a793u;
    const auto *p = reinterpret_cast<const uint8_t *>(key.data());
    size_t n = key.size();
    uint32_t h = 0xbc9f1d34u ^ uint32_t(n * m);
    for (; n >= 4; p += 4, n -= 4) {
        h += fixed32(p);
        h *= m;
        h ^= h >> 16;
    }
    auto byte = [&](size_t i) {
        return signed_tail ? uint32_t(int32_t(int8_t(p[i]))) : uint32_t(p[i]);
    };
    switch (n) {
        case 3:
            h += byte(2) << 16;
            [[fallthrough]];
        case 2:
            h += byte(1) << 8;
            [[fallthrough]];
        case 1:
            h += byte(0);
            h *= m;
            h ^= h >> 24;
    }
    return h;
}

// One Bloom filter as LevelDB lays it out: bits, then the probe count.
bool leveldb_bloom_may_match(std::string_view f, uint32_t h) {
    if (f.size() < 2) return false;  // an empty filter holds no key
    const auto *bits = reinterpret_cast<const uint8_t *>(f.data());
    uint32_t nbits = uint32_t(f.size() - 1) * 8;
    uint32_t k = bits[f.size() - 1];
    if (k > 30) return true;  // reserved for other encodings
    uint32_t delta = (h >> 17) | (h << 15);
    for (uint32_t j = 0; j < k; j++) {
        uint32_t pos = h % nbits;
        if (!(bits[pos / 8] & (1u << (pos % 8)))) return false;
        h += delta;
    }
    return true;
}

// LevelDB's filter block (and RocksDB's old block-based one): one Bloom
// filter per 2^base_lg bytes of data-block offsets.
class BlockFilter final : public Filter {
   public:
    BlockFilter(std::string data, bool signed_tail) : data_(std::move(data)), signed_(signed_tail) {
        const auto *p = reinterpret_cast<const uint8_t *>(data_.data());
        size_t n = data_.size();
        if (n < 5) return;
        base_lg_ = p[n - 1];
        array_ = fixed32(p + n - 5);
        if (array_ > n - 5) return;
        num_ = uint32_t((n - 5 - array_) / 4);
        ok_ = true;
    }
    bool ok() const { return ok_; }
    bool may_match(std::string_view key, uint64_t block_offset) const override {
        uint64_t i = block_offset >> base_lg_;
        if (!ok_ || base_lg_ >= 64 || i >= num_) return true;
        const auto *p = reinterpret_cast<const uint8_t *>(data_.data());
        uint32_t start = fixed32(p + array_ + 4 * i), limit = fixed32(p + array_ + 4 * i + 4);
        if (start > limit || limit > array_) return true;  // damaged: prove nothing
        if (start == limit) return false;                  // no key in that range of blocks
        return leveldb_bloom_may_match(std::string_view(data_).substr(start, limit - start),
                                       bloom_hash(key, signed_));
    }
    const char *kind() const override { return "block-based Bloom"; }

   private:
    std::string data_;
    bool signed_;
    bool ok_ = false;
    uint32_t base_lg_ = 0, array_ = 0, num_ = 0;
};

// RocksDB's full filter before format_version 5 (and TiKV's): Bloom bits in
// cache lines, the probe count and the line count in 5 bytes at the end.
class LegacyFullBloom final : public Filter {
   public:
    LegacyFullBloom(std::string data, uint32_t probes, uint32_t lines, uint32_t log2_line)
        : data_(std::move(data)), probes_(probes), lines_(lines), log2_line_(log2_line) {}
    bool may_match(std::string_view key, uint64_t) const override {
        uint32_t h = bloom_hash(key, true);
        uint32_t delta = (h >> 17) | (h << 15);
        uint64_t line_bits = uint64_t(1) << (log2_line_ + 3);
        uint64_t base = uint64_t(h % lines_) * line_bits;
        const auto *bits = reinterpret_cast<const uint8_t *>(data_.data());
        for (uint32_t i = 0; i < probes_; i++) {
            uint64_t pos = base + (h & (line_bits - 1));
            if (!(bits[pos / 8] & (1u << (pos % 8)))) return false;
            h += delta;
        }
        return true;
    }
    const char *kind() const override { return "legacy full Bloom"; }

   private:
    std::string data_;
    uint32_t probes_, lines_, log2_line_;
};

// RocksDB's filter from format_version 5 on: Bloom bits in 64-byte cache
// lines, one line per key chosen by the hash's low half, the probes walking
// its high half.
class FastLocalBloom final : public Filter {
   public:
    FastLocalBloom(std::string data, uint32_t probes) : data_(std::move(data)), probes_(probes) {
        lines_ = uint32_t((data_.size() - 5) / 64);
    }
    bool may_match(std::string_view key, uint64_t) const override {
        uint64_t h = rocksdb::GetSliceHash64(rocksdb::Slice(key.data(), key.size()));
        uint32_t line = uint32_t((uint64_t(uint32_t(h)) * lines_) >> 32);
        const auto *bits = reinterpret_cast<const uint8_t *>(data_.data()) + uint64_t(line) * 64;
        uint32_t h2 = uint32_t(h >> 32);
        for (uint32_t i = 0; i < probes_; i++, h2 *= 0x9e3779b9u) {
            uint32_t pos = h2 >> 23;  // 9 bits: a bit of the 512-bit line
            if (!(bits[pos >> 3] & (1u << (pos & 7)))) return false;
        }
        return true;
    }
    const char *kind() const override { return "fast local Bloom"; }

   private:
    std::string data_;
    uint32_t probes_, lines_ = 0;
};

}  // namespace

std::unique_ptr<Filter> make_filter(const std::string &name, std::string data, bool leveldb,
                                    std::string *why) {
    auto starts = [&](const char *p) { return name.rfind(p, 0) == 0; };
    if (starts("filter.")) {
        std::string policy = name.substr(7);
        if (policy != "leveldb.BuiltinBloomFilter2" && policy != "rocksdb.BuiltinBloomFilter") {
            *why = "block-based filter '" + policy + "' is not a built-in Bloom filter: ignored";
            return nullptr;
        }
        auto f = std::make_unique<BlockFilter>(std::move(data), !leveldb);
        if (!f->ok()) {
            *why = "block-based filter is damaged: ignored";
            return nullptr;
        }
        *why = "block-based Bloom filter, used";
        return f;
    }
    if (starts("fullfilter.")) {
        if (data.size() <= 5) {
            *why = "empty full filter: ignored";
            return nullptr;
        }
        size_t len = data.size() - 5;
        int8_t raw_probes = int8_t(data[len]);
        if (raw_probes == -1) {
            // [-1][sub-implementation][log2 line bytes - 6 : 3 | probes : 5][0][0]
            uint8_t sub = uint8_t(data[len + 1]), bp = uint8_t(data[len + 2]);
            uint32_t probes = bp & 31, log2_line = ((bp >> 5) & 7) + 6;
            if (sub != 0 || log2_line != 6 || probes < 1 || probes > 30 || data[len + 3] ||
                data[len + 4] || len < 64) {
                *why = "full filter of a reserved Bloom variant: ignored";
                return nullptr;
            }
            *why = "fast local Bloom filter (format_version 5), used";
            return std::make_unique<FastLocalBloom>(std::move(data), probes);
        }
        if (raw_probes == -2) {
            *why = "Ribbon filter: not read, ignored";
            return nullptr;
        }
        if (raw_probes < 1) {
            *why = "full filter of a reserved kind: ignored";
            return nullptr;
        }
        uint32_t lines = fixed32(reinterpret_cast<const uint8_t *>(data.data() + len + 1));
        if (lines == 0 || len % lines != 0) {
            *why = "legacy full Bloom filter with an odd geometry: ignored";
            return nullptr;
        }
        uint64_t line_bytes = len / lines;
        uint32_t log2_line = 0;
        while ((uint64_t(1) << log2_line) < line_bytes) log2_line++;
        if ((uint64_t(1) << log2_line) != line_bytes) {
            *why = "legacy full Bloom filter with an odd geometry: ignored";
            return nullptr;
        }
        *why = "legacy full Bloom filter, used";
        return std::make_unique<LegacyFullBloom>(std::move(data), uint32_t(raw_probes), lines,
                                                 log2_line);
    }
    *why = "filter '" + name + "' (partitioned or unknown): ignored";
    return nullptr;
}

}  // namespace chase::sst
