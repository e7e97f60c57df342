// Where everything goes in a chase B+-tree file of n keys (the format is
// drawn in bpf/include/chase/bptree.h).  Nodes are packed full from the left,
// so node j of a level covers keys [j * 31^h, (j + 1) * 31^h) for its height
// h, and every offset is a closed formula: the writer streams level by level.
#pragma once

#include <cstdint>

#include "build_error.h"
#include "chase/bptree.h"

namespace mkindex {

struct BptreeLayout {
    uint64_t nkeys = 0;
    uint32_t depth = 1;                        // index levels, root first
    uint64_t level_off[BPT_MAX_DEPTH] = {};    // first node of each level
    uint64_t level_nodes[BPT_MAX_DEPTH] = {};  // nodes on each level
    uint64_t span[BPT_MAX_DEPTH] = {};         // keys under one node of the level
    uint64_t log_off = 0, log_size = 0;
    uint64_t file_size = 0;  // log end rounded up to 4 KiB (see README)
};

// The smallest depth that holds n keys (at least 1; a 0-key file is one
// empty leaf).  Fails with E2BIG past BPT_MAX_DEPTH levels.
BuildError plan_bptree(uint64_t nkeys, BptreeLayout *out);

}  // namespace mkindex
