/* Reads past the end of the 4096-byte block. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	if (chase_is_start(ctx))
		return chase_read(ctx, 512, 512);
	*(__u64 *)ctx->scratch = *(const __u64 *)(ctx->block + CHASE_BLOCK_SIZE);
	return CHASE_DONE;
}
