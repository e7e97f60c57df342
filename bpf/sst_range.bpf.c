/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The visible entries of one data block of a block-based SST table, from a
 * first key on (layout: include/chase/sst.h; the search: sst_search.h).
 *
 *   hop 0   ask for the data block the daemon chose for the first key
 *   hop 1+  search the block for the first key as sst_get does, then go on
 *           decoding: each user key's newest entry is listed if it is a
 *           value and hidden if it is a deletion, older versions never
 *           listed.  The list is of entry offsets in the block, in key[]
 *           (the first key is not needed past the search); it ends at the
 *           block's end or when key[] is full (out_full).
 *
 * The daemon turns the offsets into records from the block it prepared,
 * stops at the range's upper end, and resumes with the last key it saw
 * (SST_F_LO_EXCL): in the same block when the list was full, else in the
 * next one.  A resumed range also skips the older versions of the last key
 * seen, wherever they lie.
 */
#include "sst_search.h"

CHASE_FUNCTION(sst_range)
{
	return sst_hop(ctx, SST_F_RANGE);
}
