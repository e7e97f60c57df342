/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The steps lmdb_get and lmdb_range share (layout: include/chase/lmdb.h):
 *
 *   start      ask for both meta pages (page 0 at 0, page 1 at 4096)
 *   meta       check magic, version, page size; keep txnid and MAIN_DBI;
 *              after the second one, take the higher txnid (the snapshot)
 *   page       check a branch/leaf page against what was asked for: its own
 *              pgno, its type, lower/upper, the depth of the tree
 *   search     binary search of the node keys (memcmp, then length)
 *   descend    branch: the last node whose key <= the query (node 0 = -inf)
 *
 * Every failure sets w->why so the adapter can say which check failed.
 */
#ifndef CHASE_LMDB_WALK_H
#define CHASE_LMDB_WALK_H

#include "chase/sdk.h"
#include "chase/lmdb.h"

#ifndef ENOTDIR
#define ENOTDIR 20
#endif
#ifndef EISDIR
#define EISDIR 21
#endif

CHASE_INLINE int lmdb_fail(struct lmdb_walk *w, __u32 why, int err)
{
	w->why = why;
	return err;
}

/* Hop 0.  Returns 1 if the caller gave the snapshot (go on as after the
 * meta pages), else asks for both meta pages. */
CHASE_INLINE int lmdb_start(struct chase_ctx *ctx, struct lmdb_walk *w)
{
	w->phase = LMDB_PH_META;
	w->why = LMDB_WHY_NONE;
	if (chase_file_size(ctx) < 2 * LMDB_PAGE_SIZE)
		return lmdb_fail(w, LMDB_WHY_MAGIC, -EUCLEAN);
	if (w->given) {
		w->metas = 2;
		if (w->npages > chase_file_size(ctx) / LMDB_PAGE_SIZE)
			w->npages = chase_file_size(ctx) / LMDB_PAGE_SIZE;
		return 1;
	}
	w->metas = 0;
	chase_read(ctx, 0, LMDB_PAGE_SIZE);
	return chase_read(ctx, LMDB_PAGE_SIZE, LMDB_PAGE_SIZE);
}

/* A meta page arrived.  CHASE_CONTINUE while the other one is still on its
 * way, 1 once the snapshot is chosen, or an error. */
CHASE_INLINE int lmdb_meta(struct chase_ctx *ctx, struct lmdb_walk *w)
{
	__u32 slot = chase_block_pos(ctx) == LMDB_PAGE_SIZE;
	__u32 main = LMDB_META_DBS + LMDB_MAIN_DBI * LMDB_DB_SIZE;
	__u32 s = chase_idx(slot, 2);

	if (ctx->hop->len < LMDB_META_TXNID + 8)
		return lmdb_fail(w, LMDB_WHY_MAGIC, -EUCLEAN);
	if (chase_blk_u32(ctx, LMDB_META_MAGIC) != LMDB_MAGIC ||
	    !(chase_blk_u16(ctx, LMDB_PG_FLAGS) & LMDB_P_META) ||
	    chase_blk_u64(ctx, LMDB_PG_PGNO) != slot)
		return lmdb_fail(w, LMDB_WHY_MAGIC, -EUCLEAN);
	if (chase_blk_u32(ctx, LMDB_META_VERSION) != LMDB_VERSION)
		return lmdb_fail(w, LMDB_WHY_VERSION, -EOPNOTSUPP);
	if (chase_blk_u32(ctx, LMDB_META_DBS + LMDB_DB_PAD) != LMDB_PAGE_SIZE)
		return lmdb_fail(w, LMDB_WHY_PAGE_SIZE, -EOPNOTSUPP);
	w->meta_txnid[s] = chase_blk_u64(ctx, LMDB_META_TXNID);
	w->meta_root[s] = chase_blk_u64(ctx, main + LMDB_DB_ROOT);
	w->meta_dbinfo[s] = chase_blk_u16(ctx, main + LMDB_DB_FLAGS) |
			    (__u32)chase_blk_u16(ctx, main + LMDB_DB_DEPTH) << 16;
	w->metas++;
	if (w->metas < 2)
		return CHASE_CONTINUE;
	s = w->meta_txnid[1] > w->meta_txnid[0];
	w->meta_slot = s;
	s = chase_idx(s, 2);
	w->txnid = w->meta_txnid[s];
	w->root = w->meta_root[s];
	w->db_flags = w->meta_dbinfo[s] & 0xffff;
	w->depth = w->meta_dbinfo[s] >> 16;
	w->npages = chase_file_size(ctx) / LMDB_PAGE_SIZE;
	return 1;
}

/* Take a tree (MAIN_DBI or a named one) if its key order is ours. */
CHASE_INLINE int lmdb_use_db(struct lmdb_walk *w, __u64 root, __u32 flags, __u32 depth)
{
	if (flags & LMDB_DUPSORT)
		return lmdb_fail(w, LMDB_WHY_DUPSORT, -EOPNOTSUPP);
	if (flags & (LMDB_REVERSEKEY | LMDB_INTEGERKEY))
		return lmdb_fail(w, LMDB_WHY_KEY_ORDER, -EOPNOTSUPP);
	w->root = root;
	w->db_flags = flags;
	w->depth = depth;
	return 0;
}

CHASE_INLINE int lmdb_read_page(struct chase_ctx *ctx, struct lmdb_walk *w, __u64 pgno)
{
	if (pgno < 2 || pgno >= w->npages)
		return lmdb_fail(w, LMDB_WHY_PAGE_RANGE, -EUCLEAN);
	w->page = pgno;
	return chase_read(ctx, pgno * LMDB_PAGE_SIZE, LMDB_PAGE_SIZE);
}

/* Start a descent at w->root, which is on level "above" + 1 of its tree
 * (0 for the tree's own root). */
CHASE_INLINE int lmdb_enter_at(struct chase_ctx *ctx, struct lmdb_walk *w, __u32 above)
{
	if (w->root == LMDB_INVALID_PGNO)
		return lmdb_fail(w, LMDB_WHY_EMPTY, -ENOENT);
	if (above >= w->depth)
		return lmdb_fail(w, LMDB_WHY_QUERY, -EINVAL);
	w->level = above;
	return lmdb_read_page(ctx, w, w->root);
}

CHASE_INLINE int lmdb_enter(struct chase_ctx *ctx, struct lmdb_walk *w)
{
	return lmdb_enter_at(ctx, w, 0);
}

/* Check the page that just arrived; *leaf and *n describe it. */
CHASE_INLINE int lmdb_check_page(struct chase_ctx *ctx, struct lmdb_walk *w, int *leaf, __u32 *n)
{
	__u32 flags, lower, upper;

	if (ctx->hop->len < LMDB_PAGE_SIZE)
		return lmdb_fail(w, LMDB_WHY_PAGE_RANGE, -EUCLEAN);
	if (chase_blk_u64(ctx, LMDB_PG_PGNO) != w->page)
		return lmdb_fail(w, LMDB_WHY_PAGE_PGNO, -EUCLEAN);
	flags = chase_blk_u16(ctx, LMDB_PG_FLAGS);
	if (flags & (LMDB_P_OVERFLOW | LMDB_P_META | LMDB_P_LEAF2 | LMDB_P_SUBP))
		return lmdb_fail(w, LMDB_WHY_PAGE_TYPE, -EUCLEAN);
	flags &= LMDB_P_BRANCH | LMDB_P_LEAF;
	if (flags != LMDB_P_BRANCH && flags != LMDB_P_LEAF)
		return lmdb_fail(w, LMDB_WHY_PAGE_TYPE, -EUCLEAN);
	lower = chase_blk_u16(ctx, LMDB_PG_LOWER);
	upper = chase_blk_u16(ctx, LMDB_PG_UPPER);
	if (lower < LMDB_PG_PTRS || lower > upper || upper > LMDB_PAGE_SIZE || (lower & 1))
		return lmdb_fail(w, LMDB_WHY_PAGE_BOUNDS, -EUCLEAN);
	*n = (lower - LMDB_PG_PTRS) / 2;
	*leaf = flags == LMDB_P_LEAF;
	w->level++;
	if (w->level > LMDB_MAX_DEPTH || w->level > w->depth ||
	    (*leaf && w->level != w->depth))
		return lmdb_fail(w, LMDB_WHY_DEPTH, -EUCLEAN);
	if (!*leaf && *n == 0)
		return lmdb_fail(w, LMDB_WHY_PAGE_BOUNDS, -EUCLEAN);
	return 0;
}

CHASE_INLINE __u32 lmdb_ksize(const struct chase_ctx *ctx, __u32 node)
{
	return chase_blk_le16u(ctx, node + LMDB_NODE_KSIZE);
}

/* Offset of node i of n in the page, or 0 if it (or its key) leaves the page. */
CHASE_INLINE __u32 lmdb_node(const struct chase_ctx *ctx, __u32 i, __u32 n)
{
	__u32 p = chase_blk_u16(ctx, LMDB_PG_PTRS + 2 * i);

	if (p < LMDB_PG_PTRS + 2 * n || p + LMDB_NODESIZE > LMDB_PAGE_SIZE)
		return 0;
	if (p + LMDB_NODESIZE + lmdb_ksize(ctx, p) > LMDB_PAGE_SIZE)
		return 0;
	return p;
}

/* Node key vs the query key at scratch offset q (qlen bytes). */
CHASE_INLINE int lmdb_cmp(const struct chase_ctx *ctx, __u32 node, __u32 q, __u32 qlen)
{
	__u32 klen = lmdb_ksize(ctx, node);
	__u32 m = klen < qlen ? klen : qlen;
	int c = 0;

	if (m)
		c = chase_blk_scratch_cmp(ctx, node + LMDB_NODESIZE, q, m);
	if (c)
		return c;
	return klen < qlen ? -1 : klen > qlen;
}

/* First i in [lo, n) whose key is > q (upper) or >= q (!upper); n if none.
 * *bad is set when a probed node is out of its page. */
CHASE_INLINE __u32 lmdb_bound(const struct chase_ctx *ctx, struct lmdb_walk *w, __u32 lo, __u32 n,
			      __u32 q, __u32 qlen, int upper, int *bad)
{
	volatile __u32 *vlo = &w->blo, *vhi = &w->bhi;

	*vlo = lo;
	*vhi = n;
	CHASE_FOR(step, 12) /* n <= (4096 - 16) / 2 = 2040 < 2^11 */
	{
		__u32 l = *vlo, h = *vhi, mid, node;
		int c;

		if (l >= h)
			break;
		mid = l + (h - l) / 2;
		node = lmdb_node(ctx, mid, n);
		if (!node) {
			*bad = 1;
			break;
		}
		c = lmdb_cmp(ctx, node, q, qlen);
		if (upper ? c <= 0 : c < 0)
			*vlo = mid + 1;
		else
			*vhi = mid;
	}
	return *vlo;
}

CHASE_INLINE __u64 lmdb_child(const struct chase_ctx *ctx, __u32 node)
{
	return (__u64)chase_blk_le16u(ctx, node + LMDB_NODE_LO) |
	       (__u64)chase_blk_le16u(ctx, node + LMDB_NODE_HI) << 16 |
	       (__u64)chase_blk_le16u(ctx, node + LMDB_NODE_FLAGS) << 32;
}

/* Branch page: go down to the child that covers q. */
CHASE_INLINE int lmdb_descend(struct chase_ctx *ctx, struct lmdb_walk *w, __u32 q,
			      __u32 qlen, __u32 n, __u32 *taken)
{
	int bad = 0;
	__u32 i = lmdb_bound(ctx, w, 1, n, q, qlen, 1, &bad) - 1;
	__u32 node = lmdb_node(ctx, i, n);

	if (bad || !node)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	*taken = i;
	return lmdb_read_page(ctx, w, lmdb_child(ctx, node));
}

/* Leaf page: the node whose key equals q, 0 if none; < 0 on corruption. */
CHASE_INLINE int lmdb_find(struct chase_ctx *ctx, struct lmdb_walk *w, __u32 q, __u32 qlen,
			   __u32 n, __u32 *out)
{
	int bad = 0;
	__u32 i = lmdb_bound(ctx, w, 0, n, q, qlen, 0, &bad);
	__u32 node;

	*out = 0;
	if (bad)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	if (i >= n)
		return 0;
	node = lmdb_node(ctx, i, n);
	if (!node)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	if (lmdb_cmp(ctx, node, q, qlen) == 0)
		*out = node;
	return 0;
}

CHASE_INLINE __u32 lmdb_dsize(const struct chase_ctx *ctx, __u32 node)
{
	return chase_blk_le16u(ctx, node + LMDB_NODE_LO) |
	       (__u32)chase_blk_le16u(ctx, node + LMDB_NODE_HI) << 16;
}

/* A named database's record (F_SUBDATA leaf node in MAIN_DBI): take its tree. */
CHASE_INLINE int lmdb_open_subdb(struct chase_ctx *ctx, struct lmdb_walk *w, __u32 node)
{
	__u32 data = node + LMDB_NODESIZE + lmdb_ksize(ctx, node);

	if (!(chase_blk_le16u(ctx, node + LMDB_NODE_FLAGS) & LMDB_F_SUBDATA))
		return lmdb_fail(w, LMDB_WHY_NOT_SUBDB, -ENOTDIR);
	if (lmdb_dsize(ctx, node) != LMDB_DB_SIZE || data + LMDB_DB_SIZE > LMDB_PAGE_SIZE)
		return lmdb_fail(w, LMDB_WHY_NODE, -EUCLEAN);
	return lmdb_use_db(w, chase_blk_le64u(ctx, data + LMDB_DB_ROOT),
			   chase_blk_le16u(ctx, data + LMDB_DB_FLAGS),
			   chase_blk_le16u(ctx, data + LMDB_DB_DEPTH));
}

#endif /* CHASE_LMDB_WALK_H */
