/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Point lookup in a chase B+-tree (BPF-KV layout): root to leaf, then the
 * value block; for a batch, the next key starts again at the root.
 */
#include "chase/sdk.h"
#include "chase/bptree.h"

/* Move on to the next key of the batch, or finish. */
CHASE_INLINE int next_key(struct chase_ctx *ctx, struct bpt_get_scratch *s)
{
	s->voff = 0;
	s->cur++;
	if (s->cur < s->nkeys)
		return chase_read(ctx, BPT_ROOT_OFF, BPT_NODE_SIZE);
	if (s->nkeys == 1 && !s->found[0])
		return -ENOENT;
	return CHASE_DONE;
}

/* A node arrived: descend, or in a leaf find the key and fetch its value. */
CHASE_INLINE int visit_node(struct chase_ctx *ctx, struct bpt_get_scratch *s,
				      __u64 key)
{
	/* Nodes are 512-aligned, so a node read lands at block[0]. */
	__u64 type = chase_blk_u64(ctx, BPT_OFF_TYPE);
	__u32 n = chase_count_nonzero_u64(ctx, BPT_OFF_PTRS, 8, BPT_FANOUT);
	__u32 i;

	if (ctx->hop->len < BPT_NODE_SIZE)
		return -EUCLEAN;
	if (type == BPT_INNER) {
		__u64 child;

		i = chase_upper_bound_u64(ctx, BPT_OFF_KEYS, 8, n, key);
		if (i == 0) /* below the smallest key in this subtree */
			return next_key(ctx, s);
		child = chase_blk_u64(ctx, BPT_OFF_PTRS + (i - 1) * 8);
		if (!bpt_node_ok(&s->bounds, child))
			return -EUCLEAN;
		return chase_read(ctx, child, BPT_NODE_SIZE);
	}
	if (type != BPT_LEAF)
		return -EUCLEAN;
	i = chase_lower_bound_u64(ctx, BPT_OFF_KEYS, 8, n, key);
	if (i >= n || chase_blk_u64(ctx, BPT_OFF_KEYS + i * 8) != key)
		return next_key(ctx, s);
	s->voff = chase_blk_u64(ctx, BPT_OFF_PTRS + i * 8);
	if (!bpt_value_ok(&s->bounds, s->voff))
		return -EUCLEAN;
	return chase_read(ctx, s->voff, BPT_VALUE_SIZE);
}

/* The value block arrived: copy the value out. */
CHASE_INLINE int visit_value(struct chase_ctx *ctx, struct bpt_get_scratch *s)
{
	__u32 at = s->voff - chase_block_pos(ctx);
	__u64 *dst = (__u64 *)s->values[chase_idx(s->cur, BPT_GET_MAX)];

	if (!chase_blk_has(ctx, s->voff, BPT_VALUE_SIZE))
		return -EUCLEAN;
	CHASE_FOR(w, BPT_VALUE_SIZE / 8)
		dst[w] = chase_blk_u64(ctx, at + w * 8);
	s->found[chase_idx(s->cur, BPT_GET_MAX)] = 1;
	return next_key(ctx, s);
}

CHASE_FUNCTION(bptree_get)
{
	struct bpt_get_scratch *s = (void *)ctx->scratch;

	if (chase_is_start(ctx)) {
		if (s->nkeys == 0 || s->nkeys > BPT_GET_MAX)
			return -EINVAL;
		s->cur = 0;
		s->voff = 0;
		return chase_read(ctx, BPT_ROOT_OFF, BPT_NODE_SIZE);
	}
	if (s->cur >= BPT_GET_MAX)
		return -EINVAL;
	if (s->voff)
		return visit_value(ctx, s);
	return visit_node(ctx, s, s->keys[chase_idx(s->cur, BPT_GET_MAX)]);
}
