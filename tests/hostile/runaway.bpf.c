/* Verifiable, but never finishes: reads the first block again and again. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	return chase_read(ctx, 0, 512);
}
