/* Verifiable, but asks for a block past the end of the file. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	return chase_read(ctx, chase_file_size(ctx) + 4096, 512);
}
