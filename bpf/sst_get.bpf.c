/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Point lookup in one data block of a block-based SST table (layout:
 * include/chase/sst.h; the search: sst_search.h).
 *
 *   hop 0   ask for the data block the daemon chose from the table's index
 *           (and let through its filter), trailer included; or, when the
 *           filter already said the key is absent, end with -ENOENT
 *   hop 1   binary-search the restart points for the last one whose key is
 *           below the user key, then decode the entries after it until one
 *           is not below: equal means found (the newest version comes
 *           first), greater or the end of the block means absent
 *   hop 2+  only for a block larger than a hop: the same search over
 *           windows of it
 */
#include "sst_search.h"

CHASE_FUNCTION(sst_get)
{
	return sst_hop(ctx, 0);
}
