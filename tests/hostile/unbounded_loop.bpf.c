/* Loops for as long as the data says, with no bound the verifier can see. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	__u64 i = 0, sum = 0;

	if (chase_is_start(ctx))
		return chase_read(ctx, 512, 512);
	while (chase_blk_u8(ctx, i) != 0x5a) {
		sum += chase_blk_u8(ctx, i);
		i++;
	}
	*(__u64 *)ctx->scratch = sum;
	return CHASE_DONE;
}
