/* Stores a kernel address into the scratch area, i.e. into the answer. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	if (chase_is_start(ctx))
		return chase_read(ctx, 512, 512);
	*(__u64 *)ctx->scratch = (__u64)ctx->block;
	return CHASE_DONE;
}
