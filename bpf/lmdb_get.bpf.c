/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Point lookup in an LMDB environment file (layout: include/chase/lmdb.h).
 *
 *   hop 0      ask for both meta pages (or, when the adapter has read them
 *              and filled in the snapshot, go straight to its root)
 *   hops 1-2   pick the snapshot with the higher txnid
 *   [dbname]   descend MAIN_DBI to the named database's record, take its tree
 *   key        descend branch pages to the leaf, find the key
 *
 * An inline value (at most 2029 bytes with 4 KiB pages) is copied into the
 * scratch area.  A value in an overflow run is larger than the scratch area
 * can hold, so the function returns its place (voff, vlen, vpage) and the
 * adapter reads it with one pread, checking the run's page header.
 */
#include "chase/sdk.h"
#include "chase/lmdb.h"
#include "lmdb_walk.h"

/* The leaf node of the key: hand out its value. */
CHASE_INLINE int take_value(struct chase_ctx *ctx, struct lmdb_get_scratch *s, __u32 node)
{
	struct lmdb_walk *w = &s->w;
	__u32 nflags = chase_blk_le16u(ctx, node + LMDB_NODE_FLAGS);
	__u32 dsize = lmdb_dsize(ctx, node);
	__u32 data = node + LMDB_NODESIZE + lmdb_ksize(ctx, node);

	if (nflags & LMDB_F_SUBDATA)
		return lmdb_fail(w, LMDB_WHY_IS_SUBDB, -EISDIR);
	if (nflags & LMDB_F_DUPDATA)
		return lmdb_fail(w, LMDB_WHY_DUPDATA, -EOPNOTSUPP);
	s->vlen = dsize;
	if (nflags & LMDB_F_BIGDATA) {
		__u64 pg;

		if (data + 8 > LMDB_PAGE_SIZE)
			return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
		pg = chase_blk_le64u(ctx, data);
		if (pg < 2 || pg >= w->npages ||
		    pg * LMDB_PAGE_SIZE + LMDB_PAGEHDRSZ + dsize > chase_file_size(ctx))
			return lmdb_fail(w, LMDB_WHY_BIG_RANGE, -EUCLEAN);
		s->flags = LMDB_GET_BIG;
		s->vpage = pg;
		s->voff = pg * LMDB_PAGE_SIZE + LMDB_PAGEHDRSZ;
		return CHASE_DONE;
	}
	if (dsize > LMDB_INLINE_MAX || data + dsize > LMDB_PAGE_SIZE)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	chase_blk_copy(ctx, data, __builtin_offsetof(struct lmdb_get_scratch, value), dsize);
	return CHASE_DONE;
}

/* A leaf of MAIN_DBI arrived while looking for the named database. */
CHASE_INLINE int visit_dbname_leaf(struct chase_ctx *ctx, struct lmdb_get_scratch *s, __u32 n)
{
	struct lmdb_walk *w = &s->w;
	__u32 node;
	int r = lmdb_find(ctx, w, __builtin_offsetof(struct lmdb_get_scratch, dbname), s->dblen, n,
			   &node);

	if (r)
		return r;
	if (!node)
		return lmdb_fail(w, LMDB_WHY_NO_SUBDB, -ENOENT);
	r = lmdb_open_subdb(ctx, w, node);
	if (r)
		return r;
	w->phase = LMDB_PH_KEY;
	return lmdb_enter(ctx, w);
}

/* The snapshot is known: descend MAIN_DBI (to the key or the named database). */
CHASE_INLINE int snapshot_chosen(struct chase_ctx *ctx, struct lmdb_get_scratch *s)
{
	struct lmdb_walk *w = &s->w;
	int r = lmdb_use_db(w, w->root, w->db_flags, w->depth);

	if (r)
		return r;
	w->phase = s->dblen ? LMDB_PH_DBNAME : LMDB_PH_KEY;
	/* The adapter may have walked the upper branch levels of MAIN_DBI
	 * through the page cache already (they are few and hot). */
	return lmdb_enter_at(ctx, w, w->given && !s->dblen ? w->skip_levels : 0);
}

CHASE_FUNCTION(lmdb_get)
{
	struct lmdb_get_scratch *s = (void *)ctx->scratch;
	struct lmdb_walk *w = &s->w;
	__u32 q;
	__u32 qlen, n, node, taken;
	int leaf, r;

	if (chase_is_start(ctx)) {
		s->flags = 0;
		s->vlen = 0;
		if (s->klen == 0 || s->klen > LMDB_MAX_KEY || s->dblen > LMDB_MAX_KEY)
			return lmdb_fail(w, LMDB_WHY_QUERY, -EINVAL);
		r = lmdb_start(ctx, w);
		if (r != 1)
			return r;
		return snapshot_chosen(ctx, s);
	}
	if (w->phase == LMDB_PH_META) {
		r = lmdb_meta(ctx, w);
		if (r != 1)
			return r;
		return snapshot_chosen(ctx, s);
	}
	r = lmdb_check_page(ctx, w, &leaf, &n);
	if (r)
		return r;
	if (w->phase == LMDB_PH_DBNAME) {
		q = __builtin_offsetof(struct lmdb_get_scratch, dbname);
		qlen = s->dblen;
	} else {
		q = __builtin_offsetof(struct lmdb_get_scratch, key);
		qlen = s->klen;
	}
	if (!leaf)
		return lmdb_descend(ctx, w, q, qlen, n, &taken);
	if (w->phase == LMDB_PH_DBNAME)
		return visit_dbname_leaf(ctx, s, n);
	r = lmdb_find(ctx, w, q, qlen, n, &node);
	if (r)
		return r;
	if (!node)
		return -ENOENT;
	return take_value(ctx, s, node);
}
