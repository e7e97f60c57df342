// An independent reader of the chase B+-tree (the tests' oracle).
//
// Plain C++ with pread: it shares no code with libchase or the storage
// functions, only the format description in bpf/include/chase/bptree.h:
//
//   0     superblock (struct bpt_super, crc32 over the bytes before .crc32)
//   512   root node; then every level, root first; then the value log
//   node  u64 next | u64 type (0 inner, 1 leaf) | u64 key[31] | u64 ptr[31]
//
// Every pointer is checked before it is followed (alignment, end of file,
// which region or level it may point into, cycles), so a corrupt file gives
// a precise EUCLEAN error and never a crash, a hang or a wrong answer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "block_source.h"
#include "chase/bptree.h"

namespace oracle {

struct Record {
    uint64_t key;
    std::string value;
    bool operator==(const Record &o) const { return key == o.key && value == o.value; }
};

// Aggregate query, with the semantics of bpf/bptree_agg.bpf.c: a value's
// number is its leading decimal digits (at most 20, wrapping mod 2^64);
// with a filter, records without a number are skipped; without a filter and
// without want_sum no value is read and every record counts.
struct AggQuery {
    int op = BPT_F_NONE;  // enum bpt_filter_op
    uint64_t arg = 0;
    bool want_sum = false;
};

struct AggAnswer {
    uint64_t count = 0, sum = 0, numeric = 0;
    bool overflow = false;
    bool operator==(const AggAnswer &o) const {
        return count == o.count && sum == o.sum && numeric == o.numeric && overflow == o.overflow;
    }
};

// The number at the start of a value, as the aggregate function reads it.
uint64_t parse_value_number(const std::string &value, bool *numeric);

class BptreeReader {
   public:
    // Opens path with a buffered pread source and validates the superblock.
    Error open(const std::string &path);
    // Same over a source the caller owns (kept alive while this reader is).
    Error open(BlockSource *src);

    const bpt_super &super() const { return sb_; }

    // value is empty if the key is absent (that is not an error).
    Error get(uint64_t key, std::optional<std::string> *value);
    // Records with lo <= key <= hi in key order, at most limit (0 = all).
    Error range(uint64_t lo, uint64_t hi, size_t limit, std::vector<Record> *out);
    Error aggregate(uint64_t lo, uint64_t hi, const AggQuery &q, AggAnswer *out);
    // Walks the whole file and checks every rule of the format: node types
    // per level, sibling links, children in order, inner key = first key of
    // the child, keys strictly increasing, values in key order, NUL padding.
    Error check();

    // Block reads issued so far (hops, for the benchmark).
    uint64_t reads() const { return reads_; }

   private:
    struct Node {
        uint64_t next, type, key[BPT_FANOUT], ptr[BPT_FANOUT];
        uint32_t n;  // entries in use (ptr != 0 prefix)
    };
    Error validate_super();
    Error read_block(uint64_t off, uint32_t len, uint32_t *got);
    // Reads the node at off, which must be a node of level lv; from names
    // where the pointer came from, for messages.
    Error read_node(uint64_t off, uint32_t lv, const std::string &from, Node *nd);
    Error read_value(uint64_t voff, uint64_t key, std::string *value);
    Error descend(uint64_t key, bool for_scan, Node *leaf, uint64_t *leaf_off, bool *below);
    // range(); without values only the keys are collected (a plain count).
    Error scan(uint64_t lo, uint64_t hi, size_t limit, bool values, std::vector<Record> *out);

    std::unique_ptr<BlockSource> own_;
    BlockSource *src_ = nullptr;
    bpt_super sb_{};
    uint64_t reads_ = 0;
    alignas(4096) uint8_t buf_[4096];
};

}  // namespace oracle
