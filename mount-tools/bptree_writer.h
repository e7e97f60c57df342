// Writes a chase B+-tree file (layout in bpf/include/chase/bptree.h) from a
// sorted record source, streaming: memory use is one buffer, whatever the
// number of keys.
#pragma once

#include <cstdint>

#include "build_error.h"
#include "bptree_layout.h"
#include "kv_source.h"
#include "progress.h"

namespace mkindex {

struct BptreeSummary {
    uint64_t nkeys = 0;
    uint32_t depth = 0;
    uint64_t file_size = 0;
};

// Writes the whole file to fd from offset 0 (fd is a fresh, empty file).
// Values longer than 63 bytes or containing NUL fail with EINVAL; so do keys
// that are not strictly increasing.
BuildError write_bptree(const KvSource &src, int fd, Progress *progress, BptreeSummary *out);

// The superblock of a layout, crc included (zlib crc32 of the bytes before
// the crc field).
bpt_super make_bptree_super(const BptreeLayout &l);

}  // namespace mkindex
