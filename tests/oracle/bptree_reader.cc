#include "bptree_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace oracle {

namespace {

Error corrupt(const std::string &msg) {
    return Error::make(EUCLEAN, "corrupt B+-tree: " + msg);
}

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return b;
}

uint64_t get_u64(const uint8_t *p) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // the format is little-endian, like this host
    return v;
}

}  // namespace

uint64_t parse_value_number(const std::string &value, bool *numeric) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < value.size() && i < 20 && value[i] >= '0' && value[i] <= '9'; i++)
        v = v * 10 + uint64_t(value[i] - '0');
    *numeric = i > 0;
    return v;
}

Error BptreeReader::open(const std::string &path) {
    std::unique_ptr<PreadSource> s;
    if (Error e = PreadSource::open(path, false, &s); !e.ok()) return e;
    own_ = std::move(s);
    return open(own_.get());
}

Error BptreeReader::open(BlockSource *src) {
    src_ = src;
    reads_ = 0;
    return validate_super();
}

Error BptreeReader::read_block(uint64_t off, uint32_t len, uint32_t *got) {
    reads_++;
    return src_->read(off, len, buf_, got);
}

Error BptreeReader::validate_super() {
    uint64_t size = src_->size();
    if (size < BPT_NODE_SIZE)
        return corrupt("file is " + std::to_string(size) + " bytes, smaller than a superblock");
    uint32_t got;
    if (Error e = read_block(0, BPT_NODE_SIZE, &got); !e.ok()) return e;
    if (got < sizeof sb_) return corrupt("short read of the superblock");
    std::memcpy(&sb_, buf_, sizeof sb_);
    if (sb_.magic != BPT_MAGIC) return corrupt("bad magic " + hex(sb_.magic) + " (want CHASEBPT)");
    uint32_t crc =
        uint32_t(crc32(0L, reinterpret_cast<const Bytef *>(&sb_), offsetof(bpt_super, crc32)));
    if (crc != sb_.crc32)
        return corrupt("superblock crc " + hex(sb_.crc32) + " does not match its contents (" +
                       hex(crc) + ")");
    if (sb_.version != BPT_VERSION)
        return corrupt("unsupported version " + std::to_string(sb_.version));
    if (sb_.node_size != BPT_NODE_SIZE || sb_.value_size != BPT_VALUE_SIZE)
        return corrupt("node size " + std::to_string(sb_.node_size) + " / value size " +
                       std::to_string(sb_.value_size) + ", want 512 / 64");
    if (sb_.depth < 1 || sb_.depth > BPT_MAX_DEPTH)
        return corrupt("depth " + std::to_string(sb_.depth) + " outside 1..8");
    if (sb_.root_off != BPT_ROOT_OFF) return corrupt("root at " + hex(sb_.root_off) + ", not 512");
    // Geometry: level l holds ceil(n / 31^(depth - l)) nodes, back to back.
    uint64_t span = BPT_FANOUT, off = BPT_ROOT_OFF;
    for (int lv = int(sb_.depth) - 1; lv >= 0; lv--, span *= BPT_FANOUT) {
        uint64_t want = sb_.nkeys ? (sb_.nkeys + span - 1) / span : 1;
        if (sb_.level_nodes[lv] != want)
            return corrupt("level " + std::to_string(lv) + " has " +
                           std::to_string(sb_.level_nodes[lv]) + " nodes; " +
                           std::to_string(sb_.nkeys) + " keys need " + std::to_string(want));
    }
    if (sb_.level_nodes[0] != 1) return corrupt("depth too large for the number of keys");
    for (uint32_t lv = 0; lv < sb_.depth; lv++) {
        if (sb_.level_off[lv] != off)
            return corrupt("level " + std::to_string(lv) + " starts at " + hex(sb_.level_off[lv]) +
                           ", expected " + hex(off));
        off += sb_.level_nodes[lv] * BPT_NODE_SIZE;
    }
    if (sb_.log_off != off)
        return corrupt("value log at " + hex(sb_.log_off) + ", expected " + hex(off));
    if (sb_.log_size != sb_.nkeys * BPT_VALUE_SIZE)
        return corrupt("value log of " + std::to_string(sb_.log_size) + " bytes for " +
                       std::to_string(sb_.nkeys) + " keys");
    if (size < sb_.log_off + sb_.log_size)
        return corrupt("file truncated: " + std::to_string(size) +
                       " bytes, but the value log ends at " +
                       std::to_string(sb_.log_off + sb_.log_size));
    return {};
}

Error BptreeReader::read_node(uint64_t off, uint32_t lv, const std::string &from, Node *nd) {
    std::string what = "pointer " + hex(off) + " " + from;
    if (off % BPT_NODE_SIZE) return corrupt(what + " is not 512-aligned");
    if (off >= src_->size() || src_->size() - off < BPT_NODE_SIZE)
        return corrupt(what + " is past the end of the file (" + std::to_string(src_->size()) +
                       " bytes)");
    uint64_t lo = sb_.level_off[lv], hi = lo + sb_.level_nodes[lv] * BPT_NODE_SIZE;
    if (off < lo || off >= hi)
        return corrupt(what + " leaves level " + std::to_string(lv) + " [" + hex(lo) + ", " +
                       hex(hi) + ")" +
                       (off < lo && off >= BPT_ROOT_OFF ? " (points back up: a cycle)" : ""));
    uint32_t got;
    if (Error e = read_block(off, BPT_NODE_SIZE, &got); !e.ok()) return e;
    if (got < BPT_NODE_SIZE) return corrupt("short read of the node at " + hex(off));
    nd->next = get_u64(buf_ + BPT_OFF_NEXT);
    nd->type = get_u64(buf_ + BPT_OFF_TYPE);
    for (uint32_t i = 0; i < BPT_FANOUT; i++) {
        nd->key[i] = get_u64(buf_ + BPT_OFF_KEYS + 8 * i);
        nd->ptr[i] = get_u64(buf_ + BPT_OFF_PTRS + 8 * i);
    }
    nd->n = 0;
    while (nd->n < BPT_FANOUT && nd->ptr[nd->n]) nd->n++;
    uint64_t want = lv == sb_.depth - 1 ? BPT_LEAF : BPT_INNER;
    if (nd->type != want)
        return corrupt("node at " + hex(off) + " has type " + std::to_string(nd->type) +
                       "; level " + std::to_string(lv) + " of " + std::to_string(sb_.depth) +
                       " holds " + (want == BPT_LEAF ? "leaves (1)" : "inner nodes (0)"));
    if (nd->n == 0 && sb_.nkeys != 0) return corrupt("empty node at " + hex(off));
    return {};
}

Error BptreeReader::read_value(uint64_t voff, uint64_t key, std::string *value) {
    std::string what = "value pointer " + hex(voff) + " of key " + std::to_string(key);
    if (voff % BPT_VALUE_SIZE) return corrupt(what + " is not 64-aligned");
    if (voff < sb_.log_off || voff >= sb_.log_off + sb_.log_size)
        return corrupt(what + " is outside the value log [" + hex(sb_.log_off) + ", " +
                       hex(sb_.log_off + sb_.log_size) + ")");
    uint64_t block = voff & ~uint64_t(BPT_NODE_SIZE - 1);
    uint32_t got;
    if (Error e = read_block(block, BPT_NODE_SIZE, &got); !e.ok()) return e;
    uint32_t at = uint32_t(voff - block);
    if (got < at + BPT_VALUE_SIZE) return corrupt(what + ": short read (file truncated?)");
    const char *v = reinterpret_cast<const char *>(buf_ + at);
    value->assign(v, strnlen(v, BPT_VALUE_SIZE));
    return {};
}

// Root to leaf.  For a lookup, a key below an inner node's first key is
// absent (*below); a scan instead goes to the first child, as the storage
// functions do.  Each level may only point into the next one, so a cycle
// cannot go unnoticed and the walk is at most depth reads.
Error BptreeReader::descend(uint64_t key, bool for_scan, Node *nd, uint64_t *leaf_off,
                            bool *below) {
    uint64_t off = sb_.root_off;
    std::string from = "to the root";
    *below = false;
    for (uint32_t lv = 0;; lv++) {
        if (Error e = read_node(off, lv, from, nd); !e.ok()) return e;
        if (lv == sb_.depth - 1) break;
        // Entries whose key <= key; the child to take is the last of them.
        uint32_t i = uint32_t(std::upper_bound(nd->key, nd->key + nd->n, key) - nd->key);
        if (i == 0 && !for_scan) {
            *below = true;
            return {};
        }
        uint32_t e = i ? i - 1 : 0;
        from = "in entry " + std::to_string(e) + " of node " + hex(off);
        off = nd->ptr[e];
    }
    *leaf_off = off;
    return {};
}

Error BptreeReader::get(uint64_t key, std::optional<std::string> *value) {
    value->reset();
    Node nd;
    uint64_t leaf;
    bool below;
    if (Error e = descend(key, false, &nd, &leaf, &below); !e.ok() || below) return e;
    uint32_t i = uint32_t(std::lower_bound(nd.key, nd.key + nd.n, key) - nd.key);
    if (i >= nd.n || nd.key[i] != key) return {};
    std::string v;
    if (Error e = read_value(nd.ptr[i], key, &v); !e.ok()) return e;
    *value = std::move(v);
    return {};
}

Error BptreeReader::range(uint64_t lo, uint64_t hi, size_t limit, std::vector<Record> *out) {
    return scan(lo, hi, limit, true, out);
}

Error BptreeReader::scan(uint64_t lo, uint64_t hi, size_t limit, bool values,
                         std::vector<Record> *out) {
    out->clear();
    if (lo > hi) return {};
    Node nd;
    uint64_t off;
    bool below;
    if (Error e = descend(lo, true, &nd, &off, &below); !e.ok()) return e;
    uint32_t leaf_level = sb_.depth - 1;
    bool have_prev = false;
    uint64_t prev = 0;
    for (uint32_t i = uint32_t(std::lower_bound(nd.key, nd.key + nd.n, lo) - nd.key);;) {
        for (; i < nd.n; i++) {
            uint64_t k = nd.key[i];
            if (have_prev && k <= prev)
                return corrupt("keys out of order in the leaf at " + hex(off) + ": " +
                               std::to_string(prev) + " then " + std::to_string(k));
            have_prev = true;
            prev = k;
            if (k > hi) return {};
            if (limit && out->size() == limit) return {};
            Record r{k, {}};
            if (!values && nd.ptr[i] % BPT_VALUE_SIZE)
                return corrupt("value pointer " + hex(nd.ptr[i]) + " of key " + std::to_string(k) +
                               " is not 64-aligned");
            if (values)
                if (Error e = read_value(nd.ptr[i], k, &r.value); !e.ok()) return e;
            out->push_back(std::move(r));
        }
        if (nd.next == 0) return {};
        // Leaves follow each other on disk, so a sibling link that does not
        // go forward would loop.
        if (nd.next <= off)
            return corrupt("sibling pointer " + hex(nd.next) + " of the leaf at " + hex(off) +
                           " does not go forward (a cycle)");
        uint64_t next = nd.next;
        if (Error e = read_node(next, leaf_level, "in the sibling link of " + hex(off), &nd);
            !e.ok())
            return e;
        off = next;
        i = 0;
    }
}

Error BptreeReader::aggregate(uint64_t lo, uint64_t hi, const AggQuery &q, AggAnswer *out) {
    *out = AggAnswer{};
    if (q.op < BPT_F_NONE || q.op > BPT_F_GT)
        return Error::make(EINVAL, "unknown filter op " + std::to_string(q.op));
    std::vector<Record> recs;
    bool values = q.op != BPT_F_NONE || q.want_sum;
    if (Error e = scan(lo, hi, 0, values, &recs); !e.ok()) return e;
    for (const Record &r : recs) {
        if (q.op == BPT_F_NONE && !q.want_sum) {
            out->count++;
            continue;
        }
        bool numeric;
        uint64_t v = parse_value_number(r.value, &numeric);
        if (q.op != BPT_F_NONE && !numeric) continue;
        bool pass = true;
        switch (q.op) {
            case BPT_F_LT:
                pass = v < q.arg;
                break;
            case BPT_F_LE:
                pass = v <= q.arg;
                break;
            case BPT_F_EQ:
                pass = v == q.arg;
                break;
            case BPT_F_NE:
                pass = v != q.arg;
                break;
            case BPT_F_GE:
                pass = v >= q.arg;
                break;
            case BPT_F_GT:
                pass = v > q.arg;
                break;
        }
        if (!pass) continue;
        out->count++;
        if (numeric) {
            out->numeric++;
            if (out->sum + v < out->sum) out->overflow = true;
            out->sum += v;
        }
    }
    return {};
}

Error BptreeReader::check() {
    // first_keys[j]: what the parent level says node j of this level starts with.
    std::vector<uint64_t> first_keys;
    uint64_t rank = 0;
    bool have_prev = false;
    uint64_t prev = 0;
    for (uint32_t lv = 0; lv < sb_.depth; lv++) {
        bool leaf = lv == sb_.depth - 1;
        std::vector<uint64_t> child_keys;
        uint64_t next_child = 0;
        for (uint64_t j = 0; j < sb_.level_nodes[lv]; j++) {
            uint64_t off = sb_.level_off[lv] + j * BPT_NODE_SIZE;
            Node nd;
            if (Error e = read_node(
                    off, lv, "of node " + std::to_string(j) + " of level " + std::to_string(lv),
                    &nd);
                !e.ok())
                return e;
            std::string at = "node at " + hex(off) + ": ";
            uint64_t want_next = j + 1 < sb_.level_nodes[lv] ? off + BPT_NODE_SIZE : 0;
            if (nd.next != want_next)
                return corrupt(at + "sibling pointer " + hex(nd.next) + ", expected " +
                               hex(want_next));
            for (uint32_t i = nd.n; i < BPT_FANOUT; i++)
                if (nd.ptr[i] || nd.key[i])
                    return corrupt(at + "entry " + std::to_string(i) +
                                   " follows an empty entry but is not zero");
            for (uint32_t i = 1; i < nd.n; i++)
                if (nd.key[i] <= nd.key[i - 1])
                    return corrupt(at + "keys not increasing at entry " + std::to_string(i));
            if (lv > 0 && nd.n && nd.key[0] != first_keys[j])
                return corrupt(at + "first key " + std::to_string(nd.key[0]) +
                               " differs from the parent's key " + std::to_string(first_keys[j]));
            for (uint32_t i = 0; i < nd.n; i++) {
                if (!leaf) {
                    uint64_t want = sb_.level_off[lv + 1] + next_child * BPT_NODE_SIZE;
                    if (nd.ptr[i] != want)
                        return corrupt(at + "child " + std::to_string(i) + " is " + hex(nd.ptr[i]) +
                                       ", expected " + hex(want));
                    next_child++;
                    child_keys.push_back(nd.key[i]);
                    continue;
                }
                if (have_prev && nd.key[i] <= prev)
                    return corrupt(at + "key " + std::to_string(nd.key[i]) + " after " +
                                   std::to_string(prev));
                have_prev = true;
                prev = nd.key[i];
                uint64_t want = sb_.log_off + rank * BPT_VALUE_SIZE;
                if (nd.ptr[i] != want)
                    return corrupt(at + "value pointer of key " + std::to_string(nd.key[i]) +
                                   " is " + hex(nd.ptr[i]) + ", expected " + hex(want));
                rank++;
            }
        }
        if (!leaf && next_child != sb_.level_nodes[lv + 1])
            return corrupt("level " + std::to_string(lv) + " points at " +
                           std::to_string(next_child) + " children, level " +
                           std::to_string(lv + 1) + " has " +
                           std::to_string(sb_.level_nodes[lv + 1]));
        first_keys = std::move(child_keys);
    }
    if (rank != sb_.nkeys)
        return corrupt("leaves hold " + std::to_string(rank) + " keys, superblock says " +
                       std::to_string(sb_.nkeys));
    // The log: every value is text, NUL-padded (at least one NUL, zeros after).
    for (uint64_t off = 0; off < sb_.log_size; off += 4096) {
        uint32_t len = uint32_t(std::min<uint64_t>(4096, sb_.log_size - off)), got;
        if (Error e = read_block(sb_.log_off + off, (len + 511) & ~511u, &got); !e.ok()) return e;
        if (got < len) return corrupt("short read in the value log at " + hex(sb_.log_off + off));
        for (uint32_t v = 0; v < len; v += BPT_VALUE_SIZE) {
            const uint8_t *p = buf_ + v;
            size_t n = strnlen(reinterpret_cast<const char *>(p), BPT_VALUE_SIZE);
            if (n == BPT_VALUE_SIZE)
                return corrupt("value at " + hex(sb_.log_off + off + v) + " has no NUL");
            for (size_t i = n; i < BPT_VALUE_SIZE; i++)
                if (p[i])
                    return corrupt("value at " + hex(sb_.log_off + off + v) +
                                   " has bytes after its NUL");
        }
    }
    return {};
}

}  // namespace oracle
