/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The leaf walk shared by range scans and aggregates over a chase B+-tree.
 *
 *   descend from the root to the leaf holding lo (or jump to resume_leaf)
 *   per leaf:  take entries lo..hi into the pending list,
 *              fetch their values with up to 16 reads in flight (fan-out),
 *              hand each record to the including function,
 *              then follow the sibling link, or stop and leave a resume point.
 *
 * The including file defines, before including this header:
 *   SCAN_SCRATCH                      its scratch struct, with a "scan" member
 *   scan_capacity(s)                  records it can still take (<= 32)
 *   scan_needs_values(s)              whether records need their values
 *   scan_take(ctx, s, j, at)          record j is complete; its value is at
 *                                     block offset "at" (ignored without values)
 *   scan_commit(s, n)                 the leaf's n pending records are all taken
 */
#ifndef CHASE_BPTREE_SCAN_H
#define CHASE_BPTREE_SCAN_H

#include "chase/sdk.h"
#include "chase/bptree.h"

#define SCAN_PEND_MAX (BPT_FANOUT + 1) /* 32, a power of two for masking */

struct scan_iter {
	struct chase_ctx *ctx;
	SCAN_SCRATCH *s;
	__u64 window; /* start of the last value read asked for, ~0 = none */
	__u32 reads;  /* value reads asked for */
	__u32 base;   /* first leaf entry to collect */
	__u32 cap;    /* records the function can still take */
};

/* Ask for a 4 KiB window of the log at each value not yet covered. */
static long scan_request_one(__u32 j, void *data)
{
	struct scan_iter *it = data;
	struct bpt_scan_state *st = &it->s->scan;
	__u64 v = st->pend_voff[chase_idx(j, SCAN_PEND_MAX)];

	if (j >= st->npending)
		return 1;
	if (!v || (it->window != ~0ull && v >= it->window &&
		   v + BPT_VALUE_SIZE <= it->window + CHASE_BLOCK_SIZE))
		return 0;
	if (it->reads >= CHASE_MAX_FANOUT)
		return 1; /* the rest go out when these are back */
	it->window = v & ~(__u64)(CHASE_IO_ALIGN - 1);
	it->reads++;
	chase_read(it->ctx, it->window, CHASE_BLOCK_SIZE);
	return 0;
}

CHASE_INLINE int scan_request_values(struct chase_ctx *ctx, SCAN_SCRATCH *s)
{
	struct scan_iter it = { .ctx = ctx, .s = s, .window = ~0ull, .reads = 0 };

	chase_loop(SCAN_PEND_MAX, scan_request_one, &it);
	s->scan.outstanding = it.reads;
	s->scan.round_done = s->scan.pend_done;
	return CHASE_CONTINUE;
}

/* A value window arrived: complete every pending record it holds. */
static long scan_fill_one(__u32 j, void *data)
{
	struct scan_iter *it = data;
	struct bpt_scan_state *st = &it->s->scan;
	__u32 jj = chase_idx(j, SCAN_PEND_MAX);
	__u64 v = st->pend_voff[jj];

	if (j >= st->npending)
		return 1;
	if (!v || !chase_blk_has(it->ctx, v, BPT_VALUE_SIZE))
		return 0;
	scan_take(it->ctx, it->s, jj, v - chase_block_pos(it->ctx));
	st->pend_voff[jj] = 0;
	st->pend_done++;
	return 0;
}

/* After a leaf's records are taken: the next leaf, or stop. */
CHASE_INLINE int scan_advance(struct chase_ctx *ctx, SCAN_SCRATCH *s)
{
	struct bpt_scan_state *st = &s->scan;

	scan_commit(s, st->npending);
	st->npending = 0;
	st->pend_done = 0;
	if (st->leaf_end)
		return CHASE_DONE;
	if (scan_capacity(s) == 0 || ctx->hop->hop >= BPT_SCAN_HOP_BUDGET) {
		st->more = 1;
		st->resume_leaf = st->next_leaf;
		st->resume_idx = 0;
		return CHASE_DONE;
	}
	return chase_read(ctx, st->next_leaf, BPT_NODE_SIZE);
}

CHASE_INLINE int scan_visit_value(struct chase_ctx *ctx, SCAN_SCRATCH *s)
{
	struct scan_iter it = { .ctx = ctx, .s = s };

	chase_loop(SCAN_PEND_MAX, scan_fill_one, &it);
	if (--s->scan.outstanding > 0)
		return CHASE_CONTINUE;
	if (s->scan.pend_done < s->scan.npending) {
		/* More windows than one fan-out; but a round that completed
		 * nothing means a value lies past the end of the file. */
		if (s->scan.pend_done == s->scan.round_done)
			return -EUCLEAN;
		return scan_request_values(ctx, s);
	}
	return scan_advance(ctx, s);
}

/* Take entries [i0, n) of the leaf while they are <= hi and wanted. */
static long scan_collect_one(__u32 j, void *data)
{
	struct scan_iter *it = data;
	struct bpt_scan_state *st = &it->s->scan;
	__u32 i = chase_idx(it->base + j, SCAN_PEND_MAX);
	__u64 key = chase_blk_u64(it->ctx, BPT_OFF_KEYS + i * 8);
	__u64 voff = chase_blk_u64(it->ctx, BPT_OFF_PTRS + i * 8);
	__u32 np = st->npending;

	if (key > st->hi) {
		st->leaf_end = 1;
		return 1;
	}
	if (np >= it->cap) {
		st->more = 1;
		st->leaf_end = 1;
		st->resume_leaf = chase_block_pos(it->ctx);
		st->resume_idx = i;
		return 1;
	}
	if (!bpt_value_ok(&st->bounds, voff)) {
		st->pend_done = ~0u; /* flag corruption to the caller */
		return 1;
	}
	st->pend_key[chase_idx(np, SCAN_PEND_MAX)] = key;
	st->pend_voff[chase_idx(np, SCAN_PEND_MAX)] = voff;
	st->npending = np + 1;
	return 0;
}

static long scan_take_keys_only(__u32 j, void *data)
{
	struct scan_iter *it = data;

	if (j >= it->s->scan.npending)
		return 1;
	scan_take(it->ctx, it->s, chase_idx(j, SCAN_PEND_MAX), 0);
	return 0;
}

CHASE_INLINE int scan_visit_leaf(struct chase_ctx *ctx, SCAN_SCRATCH *s, __u32 n)
{
	struct bpt_scan_state *st = &s->scan;
	struct scan_iter it = { .ctx = ctx, .s = s };
	__u32 i0;

	if (chase_block_pos(ctx) == st->resume_leaf)
		i0 = st->resume_idx;
	else
		i0 = chase_lower_bound_u64(ctx, BPT_OFF_KEYS, 8, n, st->lo);
	st->more = 0;
	st->npending = 0;
	st->pend_done = 0;
	st->leaf_end = 0;
	st->next_leaf = chase_blk_u64(ctx, BPT_OFF_NEXT);
	if (st->next_leaf && !bpt_node_ok(&st->bounds, st->next_leaf))
		return -EUCLEAN;
	it.cap = scan_capacity(s);
	it.base = i0;
	if (i0 < n)
		chase_loop(n - i0, scan_collect_one, &it);
	if (st->pend_done == ~0u)
		return -EUCLEAN;
	if (!st->leaf_end && st->next_leaf == 0)
		st->leaf_end = 1;
	if (st->npending && scan_needs_values(s))
		return scan_request_values(ctx, s);
	chase_loop(SCAN_PEND_MAX, scan_take_keys_only, &it);
	return scan_advance(ctx, s);
}

CHASE_INLINE int scan_visit_inner(struct chase_ctx *ctx, SCAN_SCRATCH *s, __u32 n)
{
	__u32 i = chase_upper_bound_u64(ctx, BPT_OFF_KEYS, 8, n, s->scan.lo);
	__u64 child = chase_blk_u64(ctx, BPT_OFF_PTRS + (i ? i - 1 : 0) * 8);

	if (n == 0 || !bpt_node_ok(&s->scan.bounds, child))
		return -EUCLEAN;
	return chase_read(ctx, child, BPT_NODE_SIZE);
}

CHASE_INLINE int scan_step(struct chase_ctx *ctx, SCAN_SCRATCH *s)
{
	struct bpt_scan_state *st = &s->scan;
	__u64 type;
	__u32 n;

	if (chase_is_start(ctx)) {
		st->outstanding = 0;
		st->npending = 0;
		st->more = 0;
		if (st->lo > st->hi)
			return CHASE_DONE;
		if (st->resume_leaf)
			return bpt_node_ok(&st->bounds, st->resume_leaf) ?
				       chase_read(ctx, st->resume_leaf, BPT_NODE_SIZE) :
				       -EINVAL;
		return chase_read(ctx, BPT_ROOT_OFF, BPT_NODE_SIZE);
	}
	if (st->outstanding)
		return scan_visit_value(ctx, s);
	if (ctx->hop->len < BPT_NODE_SIZE)
		return -EUCLEAN;
	type = chase_blk_u64(ctx, BPT_OFF_TYPE);
	n = chase_count_nonzero_u64(ctx, BPT_OFF_PTRS, 8, BPT_FANOUT);
	if (type == BPT_INNER)
		return scan_visit_inner(ctx, s, n);
	if (type == BPT_LEAF)
		return scan_visit_leaf(ctx, s, n);
	return -EUCLEAN;
}

#endif /* CHASE_BPTREE_SCAN_H */
