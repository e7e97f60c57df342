/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* A hostile bptree_get for the mount tests: it asks for a block far past the
 * end of the file.  The engine must refuse the offset (it could belong to
 * another file's blocks) and fail the query. */
#include "chase/sdk.h"
#include "chase/bptree.h"

CHASE_FUNCTION(bptree_get)
{
	if (chase_is_start(ctx))
		return chase_read(ctx, BPT_ROOT_OFF, BPT_NODE_SIZE);
	return chase_read(ctx, 1ULL << 40, BPT_NODE_SIZE);
}
