/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Ordered range scan over an LMDB database (layout: include/chase/lmdb.h).
 *
 *   hop 0      ask for both meta pages; take the newer snapshot
 *   [dbname]   descend MAIN_DBI to the named database's record
 *   seek       descend to the leaf holding lo, remembering on a stack the
 *              branch page and child taken at every level
 *   leaf       copy out records lo..hi (key, inline value or the place of an
 *              overflow value) until out[] or the limit is full
 *   next leaf  LMDB leaves have no sibling links: re-read the parent from
 *              the stack, take its next child (climbing further when the
 *              parent is done) and descend to that subtree's leftmost leaf
 *
 * A call stops at a full out[], at the limit, or after LMDB_SCAN_HOP_BUDGET
 * hops; the adapter resumes with lo = the last key returned, exclusive (a
 * fresh descent, so each call reads one consistent snapshot).
 */
#include "chase/sdk.h"
#include "chase/lmdb.h"
#include "lmdb_walk.h"

#define OFF(f) __builtin_offsetof(struct lmdb_range_scratch, f)

/* One step of copying the leaf's records out: set up the next record, or
 * copy one payload byte.  Returns 1 to stop. */
static long emit_step(__u32 unused, void *data)
{
	struct chase_ctx *ctx = data;
	struct lmdb_range_scratch *s = (void *)ctx->scratch;
	volatile struct lmdb_emit *e = &s->e;
	__u32 pos = e->pos, node, nflags, dsize, need, big;

	if (pos < e->plen) {
		__u8 b = pos < e->klen ? chase_blk_u8(ctx, e->srck + pos) :
					  chase_blk_u8(ctx, e->srcv + pos - e->klen);

		ctx->scratch[chase_idx(OFF(out) + e->dst + pos, CHASE_SCRATCH_SIZE)] = b;
		e->pos = pos + 1;
		return 0;
	}
	if (e->dst != ~0u) { /* the record just copied is complete */
		s->used = (e->dst + e->plen + 7) & ~7u;
		s->count++;
		e->dst = ~0u;
	}
	if (e->i >= e->end) {
		e->stop = LMDB_EMIT_LEAF_DONE;
		return 1;
	}
	node = lmdb_node(ctx, e->i, e->n);
	if (!node) {
		e->stop = LMDB_EMIT_CORRUPT;
		return 1;
	}
	nflags = chase_blk_le16u(ctx, node + LMDB_NODE_FLAGS);
	dsize = lmdb_dsize(ctx, node);
	big = nflags & LMDB_F_BIGDATA;
	e->klen = lmdb_ksize(ctx, node);
	e->srck = node + LMDB_NODESIZE;
	e->srcv = e->srck + e->klen;
	if (nflags & (LMDB_F_SUBDATA | LMDB_F_DUPDATA) || e->klen > LMDB_MAX_KEY ||
	    (big ? e->srcv + 8 > LMDB_PAGE_SIZE :
		   dsize > LMDB_INLINE_MAX || e->srcv + dsize > LMDB_PAGE_SIZE)) {
		/* A named database's record or a duplicate sub-page is not a
		 * plain record; in a plain database that is corruption. */
		e->stop = LMDB_EMIT_CORRUPT;
		return 1;
	}
	need = LMDB_REC_HDR + e->klen + (big ? 0 : dsize);
	if ((s->limit && s->count >= s->limit) || s->used + need > LMDB_RANGE_OUT) {
		e->stop = LMDB_EMIT_FULL;
		return 1;
	}
	{
		__u64 voff = 0, pg;
		__u64 *hdr = (__u64 *)(ctx->scratch +
				       chase_idx((OFF(out) + s->used) / 8, CHASE_SCRATCH_SIZE / 8) * 8);

		if (big) {
			pg = chase_blk_le64u(ctx, e->srcv);
			if (pg < 2 || pg >= s->w.npages) {
				e->stop = LMDB_EMIT_CORRUPT;
				return 1;
			}
			voff = pg * LMDB_PAGE_SIZE + LMDB_PAGEHDRSZ;
		}
		hdr[0] = (__u64)e->klen | (__u64)(big ? LMDB_GET_BIG : 0) << 16 | (__u64)dsize << 32;
		hdr = (__u64 *)(ctx->scratch +
				chase_idx((OFF(out) + s->used) / 8 + 1, CHASE_SCRATCH_SIZE / 8) * 8);
		hdr[0] = voff;
	}
	e->dst = s->used + LMDB_REC_HDR;
	e->plen = e->klen + (big ? 0 : dsize);
	e->pos = 0;
	e->i = e->i + 1;
	return 0;
}

/* Read the branch page at the top of the stack again (for its next child). */
CHASE_INLINE int climb(struct chase_ctx *ctx, struct lmdb_range_scratch *s)
{
	struct lmdb_walk *w = &s->w;
	__u32 top;

	if (s->nstack == 0)
		return CHASE_DONE; /* the whole tree is done */
	if (ctx->hop->hop >= LMDB_SCAN_HOP_BUDGET) {
		s->more = 1;
		return CHASE_DONE;
	}
	top = chase_idx(s->nstack - 1, LMDB_MAX_DEPTH);
	w->level = s->nstack - 1;
	w->phase = LMDB_PH_NEXT;
	return lmdb_read_page(ctx, w, s->stack[top].pgno);
}

/* A leaf: its records from i0 that are <= hi go out. */
CHASE_INLINE int visit_leaf(struct chase_ctx *ctx, struct lmdb_range_scratch *s, __u32 n,
			    __u32 i0)
{
	struct lmdb_walk *w = &s->w;
	int bad = 0;
	__u32 end = n;

	if (!(s->flags & LMDB_R_HI_OPEN))
		end = lmdb_bound(ctx, w, 0, n, OFF(hi), s->hi_len, 1, &bad);
	if (bad)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	s->e.i = i0;
	s->e.end = end;
	s->e.n = n;
	s->e.pos = 0;
	s->e.plen = 0;
	s->e.dst = ~0u; /* no record in progress */
	s->e.stop = LMDB_EMIT_RUN;
	chase_loop(LMDB_RANGE_OUT + LMDB_RANGE_OUT / LMDB_REC_HDR + 2, emit_step, ctx);
	if (s->e.stop == LMDB_EMIT_CORRUPT)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	if (s->e.stop == LMDB_EMIT_FULL) {
		s->more = 1;
		return CHASE_DONE;
	}
	if (s->e.stop != LMDB_EMIT_LEAF_DONE)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	if (end < n)
		return CHASE_DONE; /* passed hi */
	return climb(ctx, s);
}

CHASE_INLINE int push(struct lmdb_range_scratch *s, __u32 idx, __u32 n)
{
	__u32 d = s->nstack;

	if (d >= LMDB_MAX_DEPTH)
		return lmdb_fail(&s->w, LMDB_WHY_DEPTH, -EUCLEAN);
	d = chase_idx(d, LMDB_MAX_DEPTH);
	s->stack[d].pgno = s->w.page;
	s->stack[d].idx = idx;
	s->stack[d].n = n;
	s->nstack++;
	return 0;
}

/* A branch page on the way down: to lo's child, or the leftmost. */
CHASE_INLINE int visit_branch(struct chase_ctx *ctx, struct lmdb_range_scratch *s, __u32 n)
{
	struct lmdb_walk *w = &s->w;
	__u32 idx = 0, node;
	int r;

	if (w->phase == LMDB_PH_KEY && !(s->flags & LMDB_R_LO_OPEN)) {
		int bad = 0;

		idx = lmdb_bound(ctx, w, 1, n, OFF(lo), s->lo_len, 1, &bad) - 1;
		if (bad)
			return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	}
	node = lmdb_node(ctx, idx, n);
	if (!node)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	r = push(s, idx, n);
	if (r)
		return r;
	return lmdb_read_page(ctx, w, lmdb_child(ctx, node));
}

/* The parent re-read: its next child, or climb further. */
CHASE_INLINE int visit_parent(struct chase_ctx *ctx, struct lmdb_range_scratch *s, __u32 n)
{
	struct lmdb_walk *w = &s->w;
	__u32 top = chase_idx(s->nstack - 1, LMDB_MAX_DEPTH);
	__u32 idx = s->stack[top].idx + 1, node;

	if (idx >= n) {
		s->nstack--;
		return climb(ctx, s);
	}
	node = lmdb_node(ctx, idx, n);
	if (!node)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	s->stack[top].idx = idx;
	s->stack[top].n = n;
	w->phase = LMDB_PH_DOWN;
	return lmdb_read_page(ctx, w, lmdb_child(ctx, node));
}

CHASE_INLINE int visit_dbname(struct chase_ctx *ctx, struct lmdb_range_scratch *s, int leaf,
			      __u32 n)
{
	struct lmdb_walk *w = &s->w;
	__u32 node, taken;
	int r;

	if (!leaf)
		return lmdb_descend(ctx, w, OFF(dbname), s->dblen, n, &taken);
	r = lmdb_find(ctx, w, OFF(dbname), s->dblen, n, &node);
	if (r)
		return r;
	if (!node)
		return lmdb_fail(w, LMDB_WHY_NO_SUBDB, -ENOENT);
	r = lmdb_open_subdb(ctx, w, node);
	if (r)
		return r;
	w->phase = LMDB_PH_KEY;
	if (w->root == LMDB_INVALID_PGNO)
		return CHASE_DONE; /* an empty database: no records */
	return lmdb_enter(ctx, w);
}

CHASE_FUNCTION(lmdb_range)
{
	struct lmdb_range_scratch *s = (void *)ctx->scratch;
	struct lmdb_walk *w = &s->w;
	__u32 n, i0 = 0;
	int leaf, r;

	if (chase_is_start(ctx)) {
		s->count = 0;
		s->used = 0;
		s->more = 0;
		s->nstack = 0;
		if (s->lo_len > LMDB_MAX_KEY || s->hi_len > LMDB_MAX_KEY || s->dblen > LMDB_MAX_KEY)
			return lmdb_fail(w, LMDB_WHY_QUERY, -EINVAL);
		r = lmdb_start(ctx, w);
		if (r != 1)
			return r;
	} else if (w->phase == LMDB_PH_META) {
		r = lmdb_meta(ctx, w);
		if (r != 1)
			return r;
	}
	if (w->phase == LMDB_PH_META) { /* the snapshot is chosen */
		r = lmdb_use_db(w, w->root, w->db_flags, w->depth);
		if (r)
			return r;
		w->phase = s->dblen ? LMDB_PH_DBNAME : LMDB_PH_KEY;
		if (w->root == LMDB_INVALID_PGNO)
			return s->dblen ? lmdb_fail(w, LMDB_WHY_NO_SUBDB, -ENOENT) : CHASE_DONE;
		return lmdb_enter(ctx, w);
	}
	r = lmdb_check_page(ctx, w, &leaf, &n);
	if (r)
		return r;
	if (w->phase == LMDB_PH_DBNAME)
		return visit_dbname(ctx, s, leaf, n);
	if (w->phase == LMDB_PH_NEXT) {
		if (leaf)
			return lmdb_fail(w, LMDB_WHY_PAGE_TYPE, -EUCLEAN);
		return visit_parent(ctx, s, n);
	}
	if (!leaf)
		return visit_branch(ctx, s, n);
	if (w->phase == LMDB_PH_KEY && !(s->flags & LMDB_R_LO_OPEN)) {
		int bad = 0;

		i0 = lmdb_bound(ctx, w, 0, n, OFF(lo), s->lo_len, !!(s->flags & LMDB_R_LO_EXCL),
				&bad);
		if (bad)
			return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	}
	return visit_leaf(ctx, s, n, i0);
}
