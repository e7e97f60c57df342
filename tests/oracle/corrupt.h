// Corrupt variants of a valid chase B+-tree file, for the tests of every
// reader (the oracle itself and the engines): each must fail with a precise
// error, never crash, hang or answer.
#pragma once

#include <string>
#include <vector>

#include "block_source.h"

namespace oracle {

enum class Corruption {
    child_cycle,         // the lowest inner level's first child pointer -> the root (depth >= 2)
    sibling_cycle,       // the last leaf's sibling link -> the first leaf (itself if only one)
    pointer_past_eof,    // the root's first pointer -> 4 KiB past the end of the file
    truncated,           // the file cut in the middle of the value log
    garbage_root,        // the root node overwritten with pseudo-random bytes
    bad_magic,           // magic changed (crc recomputed, so only the magic is wrong)
    bad_crc,             // the stored crc flipped
    misaligned_pointer,  // the root's first pointer + 8
    bad_type,            // the root's type field = 7
    value_outside_log,   // the first leaf's first value pointer -> the end of the log
};

const char *corruption_name(Corruption c);
std::vector<Corruption> all_corruptions();
// Whether c can be applied to a file of this depth and key count.
bool corruption_applies(Corruption c, unsigned depth, unsigned long long nkeys);

// Copies src to dst and applies c to the copy.
Error make_corrupt_copy(const std::string &src, const std::string &dst, Corruption c);

}  // namespace oracle
