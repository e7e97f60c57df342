#include "bptree_writer.h"

#include <sys/statvfs.h>
#include <zlib.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "fd_writer.h"

namespace mkindex {

namespace {

// BPF-KV's node, byte for byte (see bptree.h).
struct Node {
    uint64_t next;
    uint64_t type;
    uint64_t key[BPT_FANOUT];
    uint64_t ptr[BPT_FANOUT];
};
static_assert(sizeof(Node) == BPT_NODE_SIZE);
static_assert(offsetof(Node, key) == BPT_OFF_KEYS && offsetof(Node, ptr) == BPT_OFF_PTRS);
static_assert(sizeof(bpt_super) <= BPT_NODE_SIZE);
// Little-endian is part of the format; this writer stores host integers.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);

// Node j of level lv: its entries are its children (inner) or its keys (leaf).
Node make_node(const BptreeLayout &l, const KvSource &src, uint32_t lv, uint64_t j) {
    Node nd{};
    bool leaf = lv == l.depth - 1;
    nd.type = leaf ? BPT_LEAF : BPT_INNER;
    if (j + 1 < l.level_nodes[lv]) nd.next = l.level_off[lv] + (j + 1) * BPT_NODE_SIZE;
    for (uint64_t i = 0; i < BPT_FANOUT; i++) {
        uint64_t e = j * BPT_FANOUT + i;  // rank of the key, or index of the child
        if (leaf) {
            if (e >= l.nkeys) break;
            nd.key[i] = src.key(e);
            nd.ptr[i] = l.log_off + e * BPT_VALUE_SIZE;
        } else {
            if (e >= l.level_nodes[lv + 1]) break;
            nd.key[i] = src.key(e * l.span[lv + 1]);  // smallest key of the child
            nd.ptr[i] = l.level_off[lv + 1] + e * BPT_NODE_SIZE;
        }
    }
    return nd;
}

// Keys must be strictly increasing; checked while the leaves are written,
// since inner keys are leaf keys.
BuildError check_order(const KvSource &src, uint64_t i) {
    if (i == 0 || src.key(i - 1) < src.key(i)) return {};
    return BuildError::make(EINVAL, "keys out of order at rank " + std::to_string(i) + ": " +
                                        std::to_string(src.key(i - 1)) + " then " +
                                        std::to_string(src.key(i)));
}

}  // namespace

bpt_super make_bptree_super(const BptreeLayout &l) {
    bpt_super s{};
    s.magic = BPT_MAGIC;
    s.version = BPT_VERSION;
    s.node_size = BPT_NODE_SIZE;
    s.depth = l.depth;
    s.value_size = BPT_VALUE_SIZE;
    s.nkeys = l.nkeys;
    s.root_off = BPT_ROOT_OFF;
    s.log_off = l.log_off;
    s.log_size = l.log_size;
    for (uint32_t lv = 0; lv < l.depth; lv++) {
        s.level_off[lv] = l.level_off[lv];
        s.level_nodes[lv] = l.level_nodes[lv];
    }
    s.crc32 = uint32_t(crc32(0L, reinterpret_cast<const Bytef *>(&s), offsetof(bpt_super, crc32)));
    return s;
}

BuildError write_bptree(const KvSource &src, int fd, Progress *progress, BptreeSummary *out) {
    BptreeLayout l;
    if (BuildError e = plan_bptree(src.size(), &l); !e.ok()) return e;
    // A build that cannot fit (a 6-level file is 68 GB) fails at once
    // instead of after filling the disk.  Only a check: reserving the space
    // with fallocate would fill the filesystem for everyone when it fails.
    struct statvfs vfs;
    if (fstatvfs(fd, &vfs) == 0) {
        uint64_t avail = uint64_t(vfs.f_bavail) * vfs.f_frsize;
        if (avail < l.file_size)
            return BuildError::make(ENOSPC, "the output needs " + std::to_string(l.file_size) +
                                                " bytes, but only " + std::to_string(avail) +
                                                " are free on its filesystem");
    }
    FdWriter w(fd);
    if (progress) progress->start_phase("writing", l.file_size);

    char block[BPT_NODE_SIZE] = {};
    bpt_super s = make_bptree_super(l);
    std::memcpy(block, &s, sizeof s);
    w.put(block, sizeof block);

    for (uint32_t lv = 0; lv < l.depth; lv++) {
        bool leaf = lv == l.depth - 1;
        for (uint64_t j = 0; j < l.level_nodes[lv]; j++) {
            if (leaf) {
                for (uint64_t e = j * BPT_FANOUT; e < l.nkeys && e < (j + 1) * BPT_FANOUT; e++)
                    if (BuildError err = check_order(src, e); !err.ok()) return err;
            }
            Node nd = make_node(l, src, lv, j);
            w.put(&nd, sizeof nd);
            if (progress) progress->update(w.offset());
        }
    }

    for (uint64_t i = 0; i < l.nkeys; i++) {
        char buf[BPT_VALUE_SIZE] = {};
        std::string_view v = src.value(i, buf);
        if (v.size() > kMaxValueLen)
            return BuildError::make(EINVAL, "value of key " + std::to_string(src.key(i)) + " is " +
                                                std::to_string(v.size()) +
                                                " bytes long; at most 63 are allowed");
        if (v.find('\0') != std::string_view::npos)
            return BuildError::make(EINVAL,
                                    "value of key " + std::to_string(src.key(i)) + " contains NUL");
        char slot[BPT_VALUE_SIZE] = {};
        std::memcpy(slot, v.data(), v.size());
        w.put(slot, sizeof slot);
        if (progress) progress->update(w.offset());
    }
    w.put_zeros(l.file_size - w.offset());
    if (BuildError e = w.flush(); !e.ok()) return e;
    if (progress) progress->finish();
    if (out) *out = BptreeSummary{l.nkeys, l.depth, l.file_size};
    return {};
}

}  // namespace mkindex
