// The chase B+-tree (BPF-KV node layout; see bpf/include/chase/bptree.h for
// the bytes on disk).  Keys are decimal u64 text; values are NUL-padded text
// of at most 63 bytes.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "format_registry.h"

extern "C" {
#include "chase/bptree.h"
}

namespace chase {

bool parse_u64_key(std::string_view text, uint64_t *out) {
    if (text.empty() || text.size() > 20) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, 10);
    return ec == std::errc() && end == text.data() + text.size();
}

namespace {

// The scan resume point kept in ScanCursor::state between chains.
struct Resume {
    uint64_t leaf;
    uint32_t idx;
};

std::string value_text(const uint8_t *v) {
    return std::string(reinterpret_cast<const char *>(v),
                       strnlen(reinterpret_cast<const char *>(v), BPT_VALUE_SIZE));
}

Status bad_key(std::string_view key) {
    return Status::error(EINVAL, "key '" + std::string(key) +
                                     "' is not a decimal number from 0 to 18446744073709551615");
}

// What a negative chain result means for this format.
Status function_error(int ret, const char *what) {
    int err = -ret;
    if (err == EUCLEAN)
        return Status::error(err, std::string(what) +
                                      ": the B+-tree is corrupt (bad node type, misaligned "
                                      "pointer or a value outside its block)");
    return Status::error(err, std::string(what) + " failed: " + strerror(err));
}

class BptreeFormat final : public Format {
   public:
    BptreeFormat(const bpt_super &sb, std::shared_ptr<FunctionSet> user)
        : sb_(sb), user_(std::move(user)) {}

    Status init() {
        get_ = find_function(user_, "bptree_get");
        range_ = find_function(user_, "bptree_range");
        agg_ = find_function(user_, "bptree_agg");
        if (!get_ || !range_ || !agg_)
            return Status::error(ENOENT, "the B+-tree storage functions are missing");
        return {};
    }

    const char *name() const override { return "bptree"; }
    unsigned depth() const override { return sb_.depth; }
    std::string geometry() const override {
        return "format=bptree\ndepth=" + std::to_string(sb_.depth) +
               "\nkeys=" + std::to_string(sb_.nkeys) +
               "\nnode_size=" + std::to_string(sb_.node_size) +
               "\nfanout=" + std::to_string(BPT_FANOUT) +
               "\nvalue_size=" + std::to_string(sb_.value_size) +
               "\nroot_offset=" + std::to_string(sb_.root_off) +
               "\nlog_offset=" + std::to_string(sb_.log_off) +
               "\nreads_per_lookup=" + std::to_string(sb_.depth + 1) + "\n";
    }

    Status plan_get(std::string_view key, ChainSpec *c) const override {
        return plan_get_batch({std::string(key)}, c);
    }

    Status finish_get(const ChainSpec &c, int ret, std::string *value) const override {
        auto *s = reinterpret_cast<const bpt_get_scratch *>(c.scratch);
        if (ret == -ENOENT)
            return Status::error(ENOENT, "key " + std::to_string(s->keys[0]) + " not found");
        if (ret < 0) return function_error(ret, "lookup");
        *value = value_text(s->values[0]);
        return {};
    }

    bool can_batch() const override { return true; }
    size_t max_batch() const override { return BPT_GET_MAX; }

    Status plan_get_batch(const std::vector<std::string> &keys, ChainSpec *c) const override {
        if (keys.empty() || keys.size() > BPT_GET_MAX)
            return Status::error(EINVAL, "a batch holds 1 to 32 keys");
        auto *s = reinterpret_cast<bpt_get_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        s->bounds = bounds();
        s->nkeys = uint32_t(keys.size());
        for (size_t i = 0; i < keys.size(); i++) {
            uint64_t k;
            if (!parse_u64_key(keys[i], &k)) return bad_key(keys[i]);
            s->keys[i] = k;
        }
        c->fn = get_;
        c->hop_cap *= unsigned(keys.size());
        return {};
    }

    Status finish_get_batch(const ChainSpec &c, int ret,
                            std::vector<std::optional<std::string>> *values) const override {
        auto *s = reinterpret_cast<const bpt_get_scratch *>(c.scratch);
        if (ret == -ENOENT && s->nkeys == 1) ret = CHASE_DONE;  // found[0] says it
        if (ret < 0) return function_error(ret, "batched lookup");
        for (uint32_t i = 0; i < s->nkeys; i++)
            values->push_back(s->found[i] ? std::optional(value_text(s->values[i])) : std::nullopt);
        return {};
    }

    Status plan_range(ScanCursor *cur, ChainSpec *c) const override {
        auto *s = reinterpret_cast<bpt_range_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        Status st = plan_scan(cur, &s->scan, c);
        size_t want =
            cur->limit ? std::min<size_t>(cur->limit - cur->taken, BPT_SCAN_MAX) : BPT_SCAN_MAX;
        s->limit = uint32_t(want);
        c->fn = range_;
        return st;
    }

    Status finish_range(ScanCursor *cur, const ChainSpec &c, int ret,
                        std::vector<Record> *out) const override {
        auto *s = reinterpret_cast<const bpt_range_scratch *>(c.scratch);
        if (ret < 0) return function_error(ret, "range scan");
        if (s->count > BPT_SCAN_MAX)
            return Status::error(EPROTO, "range function returned too many records");
        for (uint32_t i = 0; i < s->count; i++)
            out->push_back({std::to_string(s->rec[i].key), value_text(s->rec[i].value)});
        cur->taken += s->count;
        advance(cur, s->scan);
        return {};
    }

    Status plan_aggregate(ScanCursor *cur, const AggSpec &spec, ChainSpec *c) const override {
        auto *s = reinterpret_cast<bpt_agg_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        Status st = plan_scan(cur, &s->scan, c);
        s->op = uint32_t(spec.op);  // FilterOp follows enum bpt_filter_op
        s->arg = spec.arg;
        s->need_values = spec.want_sum || spec.op != FilterOp::none;
        c->fn = agg_;
        return st;
    }

    Status finish_aggregate(ScanCursor *cur, const ChainSpec &c, int ret,
                            AggResult *acc) const override {
        auto *s = reinterpret_cast<const bpt_agg_scratch *>(c.scratch);
        if (ret < 0) return function_error(ret, "aggregate");
        acc->count += s->count;
        if (acc->sum + s->sum < acc->sum) acc->overflow = true;
        acc->sum += s->sum;
        acc->numeric += s->numeric;
        acc->overflow |= s->overflow != 0;
        advance(cur, s->scan);
        return {};
    }

   private:
    bpt_bounds bounds() const { return {sb_.log_off, sb_.log_off + sb_.log_size}; }

    Status plan_scan(ScanCursor *cur, bpt_scan_state *scan, ChainSpec *c) const {
        scan->bounds = bounds();
        uint64_t lo = 0, hi = UINT64_MAX;
        if (!cur->lo.empty() && !parse_u64_key(cur->lo, &lo)) return bad_key(cur->lo);
        if (!cur->hi.empty() && !parse_u64_key(cur->hi, &hi)) return bad_key(cur->hi);
        scan->lo = lo;
        scan->hi = hi;
        Resume r;
        memcpy(&r, cur->state, sizeof r);
        if (cur->started) {
            scan->resume_leaf = r.leaf;
            scan->resume_idx = r.idx;
        }
        cur->started = true;
        // A scan call takes leaves until hop 32, then finishes the leaf it
        // is on (at most two rounds of 16 value reads) and the descent.
        c->hop_cap =
            std::max(c->hop_cap, 2 * BPT_SCAN_HOP_BUDGET + 2 * CHASE_MAX_FANOUT + BPT_MAX_DEPTH);
        return {};
    }

    // Keep the resume point, or mark the scan finished.
    static void advance(ScanCursor *cur, const bpt_scan_state &scan) {
        if (!scan.more || scan.resume_leaf == 0 || (cur->limit && cur->taken >= cur->limit)) {
            cur->finished = true;
            return;
        }
        Resume r{scan.resume_leaf, scan.resume_idx};
        memcpy(cur->state, &r, sizeof r);
    }

    bpt_super sb_;
    std::shared_ptr<FunctionSet> user_;
    const Function *get_ = nullptr, *range_ = nullptr, *agg_ = nullptr;
};

bool sniff(const uint8_t *head, size_t n, uint64_t) {
    uint64_t magic;
    if (n < sizeof magic) return false;
    memcpy(&magic, head, sizeof magic);
    return magic == BPT_MAGIC;
}

Status open_bptree(int fd, uint64_t size, const std::shared_ptr<FunctionSet> &user,
                   std::unique_ptr<Format> *out) {
    bpt_super sb;
    ssize_t n = pread(fd, &sb, sizeof sb, 0);
    if (n < 0) return Status::error(errno, "reading the superblock failed");
    if (size_t(n) < sizeof sb) return Status::error(EUCLEAN, "file too short for a superblock");
    if (sb.magic != BPT_MAGIC) return Status::error(EUCLEAN, "bad magic number for a B+-tree");
    uint32_t crc =
        uint32_t(crc32(0, reinterpret_cast<const Bytef *>(&sb), offsetof(bpt_super, crc32)));
    if (crc != sb.crc32) return Status::error(EUCLEAN, "superblock checksum mismatch");
    if (sb.version != BPT_VERSION)
        return Status::error(EUCLEAN, "unsupported B+-tree version " + std::to_string(sb.version));
    if (sb.node_size != BPT_NODE_SIZE || sb.value_size != BPT_VALUE_SIZE ||
        sb.root_off != BPT_ROOT_OFF || sb.depth < 1 || sb.depth > BPT_MAX_DEPTH)
        return Status::error(EUCLEAN, "superblock geometry is not a chase B+-tree's");
    if (sb.log_off > size || sb.log_size > size - sb.log_off)
        return Status::error(EUCLEAN, "file is truncated: the value log ends at " +
                                          std::to_string(sb.log_off + sb.log_size) +
                                          " but the file has " + std::to_string(size) + " bytes");
    auto f = std::make_unique<BptreeFormat>(sb, user);
    Status st = f->init();
    if (!st.ok()) return st;
    *out = std::move(f);
    return {};
}

}  // namespace

const FormatEntry kBptreeFormat = {"bptree", sniff, open_bptree};

}  // namespace chase
