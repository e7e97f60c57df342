/* Calls bpf_trace_printk, which is not on the allow-list either. */
#include "chase/sdk.h"

CHASE_FUNCTION(bptree_get)
{
	bpf_printk("hop %u", ctx->hop->hop);
	return CHASE_DONE;
}
