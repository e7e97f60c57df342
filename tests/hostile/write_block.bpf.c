/* Writes into the block it was handed (blocks are read-only). */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	if (chase_is_start(ctx))
		return chase_read(ctx, 512, 512);
	((__u8 *)ctx->block)[0] = 0xff;
	return CHASE_DONE;
}
