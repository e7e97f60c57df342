#include "bptree_layout.h"

#include <cerrno>
#include <string>

namespace mkindex {

BuildError plan_bptree(uint64_t n, BptreeLayout *l) {
    *l = BptreeLayout{};
    l->nkeys = n;
    uint32_t depth = 1;
    uint64_t cap = BPT_FANOUT;
    while (cap < n) {
        if (depth == BPT_MAX_DEPTH)
            return BuildError::make(E2BIG, std::to_string(n) + " keys need more than " +
                                               std::to_string(BPT_MAX_DEPTH) + " levels");
        depth++;
        cap *= BPT_FANOUT;
    }
    l->depth = depth;

    // A leaf covers 31 keys, a node one level up 31 leaves, and so on.
    uint64_t span = BPT_FANOUT;
    for (int lv = int(depth) - 1; lv >= 0; lv--) {
        l->span[lv] = span;
        l->level_nodes[lv] = n ? (n + span - 1) / span : 1;
        span *= BPT_FANOUT;
    }
    uint64_t off = BPT_ROOT_OFF;
    for (uint32_t lv = 0; lv < depth; lv++) {
        l->level_off[lv] = off;
        off += l->level_nodes[lv] * BPT_NODE_SIZE;
    }
    l->log_off = off;  // already 512-aligned
    l->log_size = n * BPT_VALUE_SIZE;
    uint64_t end = l->log_off + l->log_size;
    l->file_size = (end + 4095) / 4096 * 4096;
    return {};
}

}  // namespace mkindex
