/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Range scan over a chase B+-tree: records lo <= key <= hi, up to "limit"
 * per call, resumable from the leaf where the last call stopped (the scratch
 * area holds 32 records, as in XRP's range function).
 */
#include "chase/sdk.h"
#include "chase/bptree.h"

#define SCAN_SCRATCH struct bpt_range_scratch

CHASE_INLINE __u32 scan_capacity(struct bpt_range_scratch *s)
{
	__u32 want = s->limit < BPT_SCAN_MAX ? s->limit : BPT_SCAN_MAX;

	return s->count < want ? want - s->count : 0;
}

CHASE_INLINE int scan_needs_values(struct bpt_range_scratch *s)
{
	return 1;
}

CHASE_INLINE void scan_take(struct chase_ctx *ctx, struct bpt_range_scratch *s, __u32 j,
			    __u32 at)
{
	struct bpt_record *r = &s->rec[chase_idx(s->count + j, BPT_SCAN_MAX)];
	__u64 *dst = (__u64 *)r->value;

	r->key = s->scan.pend_key[chase_idx(j, BPT_SCAN_MAX)];
	CHASE_FOR(w, BPT_VALUE_SIZE / 8)
		dst[w] = chase_blk_u64(ctx, at + w * 8);
}

CHASE_INLINE void scan_commit(struct bpt_range_scratch *s, __u32 n)
{
	s->count += n;
}

#include "bptree_scan.h"

CHASE_FUNCTION(bptree_range)
{
	struct bpt_range_scratch *s = (void *)ctx->scratch;

	if (chase_is_start(ctx)) {
		if (s->limit == 0)
			return -EINVAL;
		s->count = 0;
	}
	return scan_step(ctx, s);
}
