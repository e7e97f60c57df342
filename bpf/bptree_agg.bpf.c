/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Aggregates over a range of a chase B+-tree: count, and sum of the values
 * read as decimal numbers, over the records that pass a filter on that
 * number.  A plain count reads no values.  Each call covers as many leaves
 * as fit in its hop budget and leaves a resume point; the caller adds up.
 */
#include "chase/sdk.h"
#include "chase/bptree.h"

#define SCAN_SCRATCH struct bpt_agg_scratch

CHASE_INLINE __u32 scan_capacity(struct bpt_agg_scratch *s)
{
	return BPT_SCAN_MAX;
}

CHASE_INLINE int scan_needs_values(struct bpt_agg_scratch *s)
{
	return s->need_values;
}

CHASE_INLINE int passes(__u32 op, __u64 v, __u64 arg)
{
	switch (op) {
	case BPT_F_LT: return v < arg;
	case BPT_F_LE: return v <= arg;
	case BPT_F_EQ: return v == arg;
	case BPT_F_NE: return v != arg;
	case BPT_F_GE: return v >= arg;
	case BPT_F_GT: return v > arg;
	default: return 1;
	}
}

CHASE_INLINE void scan_take(struct chase_ctx *ctx, struct bpt_agg_scratch *s, __u32 j,
			    __u32 at)
{
	__u64 v;
	int numeric;

	if (!s->need_values) {
		s->count++;
		return;
	}
	v = chase_blk_parse_u64(ctx, at, BPT_VALUE_SIZE, &numeric);
	if (s->op != BPT_F_NONE && !numeric)
		return;
	if (!passes(s->op, v, s->arg))
		return;
	s->count++;
	if (numeric) {
		s->numeric++;
		if (s->sum + v < s->sum)
			s->overflow = 1;
		s->sum += v;
	}
}

CHASE_INLINE void scan_commit(struct bpt_agg_scratch *s, __u32 n)
{
}

#include "bptree_scan.h"

CHASE_FUNCTION(bptree_agg)
{
	struct bpt_agg_scratch *s = (void *)ctx->scratch;

	if (chase_is_start(ctx) && s->op > BPT_F_GT)
		return -EINVAL;
	return scan_step(ctx, s);
}
