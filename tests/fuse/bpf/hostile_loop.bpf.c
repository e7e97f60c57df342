/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* A hostile bptree_get for the mount tests: it reads the root node forever.
 * The verifier accepts it (every hop is a valid read); the engine's hop cap
 * must end the chain with an error, never hang the daemon. */
#include "chase/sdk.h"
#include "chase/bptree.h"

CHASE_FUNCTION(bptree_get)
{
	return chase_read(ctx, BPT_ROOT_OFF, BPT_NODE_SIZE);
}
