/* Verifiable, but every hop asks for two reads, so the rounds double. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	chase_read(ctx, 0, 512);
	return chase_read(ctx, 512, 512);
}
