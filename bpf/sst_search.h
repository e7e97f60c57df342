/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The search of one data block of a block-based SST table (layout:
 * include/chase/sst.h), shared by sst_get and sst_range.
 *
 * The search is one loop over the bytes of the entries, a step per byte,
 * so that the verifier sees one small body whatever the keys look like.  It
 * keeps the entry's whole key (prefix compression makes each key depend on
 * the one before) and m, the length of its user key's common prefix with
 * the key asked for: a byte shared with the previous key needs no second
 * look, so every key byte is touched once.
 *
 * A block that fits one hop is searched in one loop (search_block); a
 * larger one, which the daemon keeps in memory, in windows of it
 * (search_windows).
 */
#ifndef CHASE_SST_SEARCH_H
#define CHASE_SST_SEARCH_H

#include "chase/sdk.h"
#include "chase/sst.h"

#define KEY_OFF __builtin_offsetof(struct sst_get_scratch, key)
#define CUR_OFF __builtin_offsetof(struct sst_get_scratch, cur)
/* A bound on the steps of one search: 11 probes of at most a key's bytes
 * each (at most 1023 restarts fit a block), a step per byte of the block,
 * and a step per shared byte re-compared (at most a key per entry). */
#define SEARCH_STEPS (1u << 20)

CHASE_INLINE int fail(struct sst_get_scratch *s, __u32 why, int err)
{
	s->why = why;
	return err;
}

CHASE_INLINE __u8 scratch_u8(const struct chase_ctx *ctx, __u32 off)
{
	return ctx->scratch[chase_idx(off, CHASE_SCRATCH_SIZE)];
}

/* A varint32 at pos (below end); returns 0 or an SST_WHY_*. */
CHASE_INLINE __u32 get_varint(const struct chase_ctx *ctx, __u32 base, __u32 *pos, __u32 end,
			      __u32 *out)
{
	__u32 v = 0;

	CHASE_FOR(i, 5)
	{
		__u8 b;

		if (*pos >= end)
			return SST_WHY_ENTRY;
		b = chase_blk_u8(ctx, base + *pos);
		*pos += 1;
		v |= (__u32)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return SST_WHY_VARINT;
}

/*
 * The search is one loop whose steps are a state machine: first the binary
 * search over the restart points (one step picks a restart and decodes its
 * entry header, then one step per key byte compared), then the scan of the
 * entries after the chosen restart (one step per key byte, or per value).
 */
enum { PH_PROBE, PH_PROBE_AT, PH_CMP, PH_SHARED, PH_NONSHARED, PH_EXTEND, PH_VLEN, PH_KEY };
enum { SCAN_RUNNING, SCAN_FOUND, SCAN_ABSENT, SCAN_BAD, SCAN_MORE };

/* The loop's body reaches its state through the context. */
#define STATE(ctx) (&((struct sst_get_scratch *)(ctx)->scratch)->search)

CHASE_INLINE long scan_bad(struct sst_search *st, __u32 why)
{
	st->result = SCAN_BAD;
	st->why = why;
	return 1;
}

/* Entry offset n of sst_range's list, as four byte stores (the list
 * reuses key[], whose alignment the verifier cannot see). */
CHASE_INLINE void put_out(const struct chase_ctx *ctx, __u32 n, __u32 off)
{
	CHASE_FOR(i, 4)
		ctx->scratch[chase_idx(KEY_OFF + 4 * n + i, CHASE_SCRATCH_SIZE)] = off >> (8 * i);
}

/* sst_range's verdict on an entry whose key is whole in cur (c: its user
 * key against the first key).  Each user key's first entry is its newest
 * version: listed if a value, hidden if a deletion; the older versions
 * after it are never listed. */
CHASE_INLINE long range_entry(const struct chase_ctx *ctx, int c, __u32 ulen, __u32 len)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u32 ulen_prev = st->klen_prev >= SST_SEQ_BYTES ? st->klen_prev - SST_SEQ_BYTES : 0;
	int same = st->klen_prev && ulen == ulen_prev && st->eq >= ulen;

	if (!st->emitting && (c > 0 || (c == 0 && !(s->flags & SST_F_LO_EXCL))))
		st->emitting = 1;
	if (st->emitting && !same) {
		__u8 type = scratch_u8(ctx, CUR_OFF + ulen);

		if (type == SST_TYPE_VALUE) {
			if (s->out_count >= SST_RANGE_MAX_OUT) {
				s->out_full = 1;
				st->result = SCAN_FOUND;
				return 1;
			}
			put_out(ctx, s->out_count, st->entry_start);
			s->out_count++;
		} else if (type != SST_TYPE_DELETION && type != SST_TYPE_SINGLE_DELETION) {
			s->trailer = type;
			return scan_bad(st, SST_WHY_TYPE);
		}
	}
	st->pos += st->vlen;
	st->entry_start = st->pos;
	st->klen_prev = len;
	st->phase = PH_SHARED;
	return 0;
}

/* The entry's key is whole in cur: compare, and stop or skip its value. */
CHASE_INLINE long key_done(const struct chase_ctx *ctx)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u32 len = st->shared + st->nonshared, ulen = len, m = st->m;
	int c;

	if (s->flags & SST_F_INTERNAL)
		ulen -= SST_SEQ_BYTES;
	if (m > ulen)
		m = ulen;
	st->m = m;
	if (st->vlen > st->end - st->pos)
		return scan_bad(st, SST_WHY_ENTRY);
	if (m < ulen && m < s->klen) {
		__u8 a = scratch_u8(ctx, CUR_OFF + m), b = scratch_u8(ctx, KEY_OFF + m);

		c = a < b ? -1 : 1;
	} else {
		c = ulen < s->klen ? -1 : ulen > s->klen;
	}
	s->entries++;
	if (s->flags & SST_F_RANGE)
		return range_entry(ctx, c, ulen, len);
	if (c < 0) {
		st->pos += st->vlen;
		st->entry_start = st->pos;
		st->klen_prev = len;
		st->phase = PH_SHARED;
		return 0;
	}
	if (c > 0) {
		st->result = SCAN_ABSENT;
		return 1;
	}
	s->vpos = st->pos;
	s->vlen = st->vlen;
	s->trailer = 0;
	if (s->flags & SST_F_INTERNAL)
		CHASE_FOR(i, SST_SEQ_BYTES)
			s->trailer |= (__u64)scratch_u8(ctx, CUR_OFF + ulen + i) << (8 * i);
	st->result = SCAN_FOUND;
	return 1;
}

CHASE_INLINE long varint_done(const struct chase_ctx *ctx, __u32 v)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;

	switch (st->phase) {
	case PH_SHARED:
		if (v > st->klen_prev)
			return scan_bad(st, SST_WHY_ORDER);
		st->shared = v;
		st->phase = PH_NONSHARED;
		return 0;
	case PH_NONSHARED:
		st->nonshared = v;
		if (v > SST_KEY_AREA || st->shared + v > SST_KEY_AREA)
			return scan_bad(st, SST_WHY_LONG_KEY);
		if ((s->flags & SST_F_INTERNAL) && st->shared + v < SST_SEQ_BYTES)
			return scan_bad(st, SST_WHY_SHORT_KEY);
		if (st->m > st->shared)
			st->m = st->shared;
		st->p = st->shared;
		st->eq = st->shared;
		/* Bytes taken over from the previous key past m may still match
		 * (its user key was a prefix of the key asked for, and its
		 * trailer's bytes now continue this entry's user key). */
		st->phase = st->m < st->shared ? PH_EXTEND : PH_VLEN;
		return 0;
	default:
		st->vlen = v;
		st->phase = PH_KEY;
		if (!st->nonshared)
			return key_done(ctx);
		return 0;
	}
}

CHASE_INLINE __u32 restart_at(const struct chase_ctx *ctx, __u32 i)
{
	const struct sst_search *st = STATE(ctx);

	return chase_blk_le32u(ctx, st->base + st->end + 4 * i);
}

/* Pick the next restart to compare, or start the scan when the search is
 * over. */
/* Decode the header of restart st->mid's entry at r, then compare its key
 * byte by byte (PH_CMP).  The entry must lie in this hop (st->lim). */
CHASE_INLINE long probe_at(const struct chase_ctx *ctx, __u32 r)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u32 pos = r, shared = 0, nonshared = 0, vlen = 0, why;

	why = get_varint(ctx, st->base, &pos, st->lim, &shared);
	if (!why)
		why = get_varint(ctx, st->base, &pos, st->lim, &nonshared);
	if (!why)
		why = get_varint(ctx, st->base, &pos, st->lim, &vlen);
	if (!why && nonshared > st->lim - pos)
		why = SST_WHY_ENTRY;
	if (why && s->windowed && r > st->win_lo && st->lim < st->end) {
		/* The entry may go on past this window: read one at it. */
		st->pos = r;
		st->phase = PH_PROBE_AT;
		return 1;
	}
	if (why)
		return scan_bad(st, why);
	if (shared)
		return scan_bad(st, SST_WHY_ORDER);
	st->probe_r = r + 1;
	st->ulen = nonshared;
	if (s->flags & SST_F_INTERNAL) {
		if (st->ulen < SST_SEQ_BYTES)
			return scan_bad(st, SST_WHY_SHORT_KEY);
		st->ulen -= SST_SEQ_BYTES;
	}
	st->key_at = pos;
	st->cmp_pos = 0;
	st->cmp_len = st->ulen < s->klen ? st->ulen : s->klen;
	st->phase = PH_CMP;
	return 0;
}

/* The scan starts at restart entry r. */
CHASE_INLINE long scan_from(struct sst_search *st, __u32 r)
{
	st->pos = r;
	st->entry_start = r;
	st->phase = PH_SHARED;
	st->acc = 0;
	st->shift = 0;
	return 0;
}

/* Pick the next restart of a windowed search and go on in this hop when it
 * holds what that needs (the restart's slot, then its entry), or stop for
 * the window that does: the tail (phase PH_PROBE), a window at the entry
 * (PH_PROBE_AT, pos), or one where the scan starts (SCAN_MORE, pos). */
CHASE_INLINE long probe_window(const struct chase_ctx *ctx)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	int scan = st->lo >= st->hi;
	__u32 i = scan ? (st->lo ? st->lo - 1 : 0) : st->lo + (st->hi - st->lo) / 2;
	__u32 slot = st->end + 4 * i, r;

	if (scan && st->probe_r && i == st->mid) {
		r = st->probe_r - 1; /* the entry probed last: no slot to read */
	} else {
		if (slot < st->win_lo || slot > st->win_hi - 4)
			return 1;
		r = chase_blk_le32u(ctx, st->base + slot);
	}
	if (r >= st->end)
		return scan_bad(st, SST_WHY_RESTARTS);
	if (scan) {
		scan_from(st, r);
		if (r >= st->win_lo && r < st->win_hi)
			return 0;
		st->result = SCAN_MORE;
		return 1;
	}
	st->mid = i;
	if (r < st->win_lo || r >= st->win_hi) {
		st->pos = r;
		st->phase = PH_PROBE_AT;
		return 1;
	}
	return probe_at(ctx, r);
}

/* Pick the next restart to compare (or, when the search is over, start the
 * scan). */
CHASE_INLINE long probe(const struct chase_ctx *ctx)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u32 r;

	if (s->windowed)
		return probe_window(ctx);
	if (st->lo >= st->hi) {
		r = restart_at(ctx, st->lo ? st->lo - 1 : 0);
		if (r >= st->end)
			return scan_bad(st, SST_WHY_RESTARTS);
		st->pos = r;
		st->entry_start = r;
		st->phase = PH_SHARED;
		return 0;
	}
	st->mid = st->lo + (st->hi - st->lo) / 2;
	r = restart_at(ctx, st->mid);
	if (r >= st->end)
		return scan_bad(st, SST_WHY_RESTARTS);
	return probe_at(ctx, r);
}

/* One byte of the restart key against the key asked for. */
CHASE_INLINE long compare_byte(const struct chase_ctx *ctx)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	int c;

	if (st->cmp_pos < st->cmp_len) {
		__u8 a = chase_blk_u8(ctx, st->base + st->key_at + st->cmp_pos);
		__u8 b = scratch_u8(ctx, KEY_OFF + st->cmp_pos);

		if (a == b) {
			st->cmp_pos++;
			return 0;
		}
		c = a < b ? -1 : 1;
	} else {
		c = st->ulen < s->klen ? -1 : st->ulen > s->klen;
	}
	if (c < 0)
		st->lo = st->mid + 1;
	else
		st->hi = st->mid;
	st->phase = PH_PROBE;
	return 0;
}

/* One byte of the shared prefix past m against the key asked for. */
CHASE_INLINE long extend(const struct chase_ctx *ctx)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u32 ulen = st->shared + st->nonshared, m = st->m;

	if (s->flags & SST_F_INTERNAL)
		ulen -= SST_SEQ_BYTES;
	if (m < st->shared && m < ulen && m < s->klen &&
	    scratch_u8(ctx, CUR_OFF + m) == scratch_u8(ctx, KEY_OFF + m)) {
		st->m = m + 1;
		return 0;
	}
	st->phase = PH_VLEN;
	return 0;
}

static long scan_step(__u32 i, void *data)
{
	const struct chase_ctx *ctx = data;
	struct sst_get_scratch *s = (void *)ctx->scratch;
	struct sst_search *st = &s->search;
	__u8 b;

	if (st->phase == PH_PROBE)
		return probe(ctx);
	if (st->phase == PH_PROBE_AT)
		return probe_at(ctx, st->pos);
	if (st->phase == PH_CMP)
		return compare_byte(ctx);
	if (st->phase == PH_EXTEND)
		return extend(ctx);
	if (st->pos >= st->lim) {
		/* The hop ends here: the block too, or only this window. */
		if (st->phase == PH_SHARED && st->pos >= st->end) {
			st->result = SCAN_ABSENT;
			return 1;
		}
		if (st->lim >= st->end)
			return scan_bad(st, SST_WHY_ENTRY);
		st->result = SCAN_MORE;
		return 1;
	}
	b = chase_blk_u8(ctx, st->base + st->pos);
	st->pos++;
	if (st->phase != PH_KEY) {
		st->acc |= (__u32)(b & 0x7f) << st->shift;
		if (b & 0x80) {
			st->shift += 7;
			if (st->shift > 28)
				return scan_bad(st, SST_WHY_VARINT);
			return 0;
		}
		{
			__u32 v = st->acc;

			st->acc = 0;
			st->shift = 0;
			return varint_done(ctx, v);
		}
	}
	{
		__u32 p = st->p;
		__u32 ulen = st->shared + st->nonshared;

		if (s->flags & SST_F_INTERNAL)
			ulen -= SST_SEQ_BYTES;
		/* A restart point shares nothing even with its own key's
		 * previous version: compare with the byte it replaces. */
		if (p == st->eq && p + SST_SEQ_BYTES < st->klen_prev &&
		    scratch_u8(ctx, CUR_OFF + p) == b)
			st->eq = p + 1;
		ctx->scratch[chase_idx(CUR_OFF + p, CHASE_SCRATCH_SIZE)] = b;
		if (p == st->m && p < ulen && p < s->klen &&
		    b == scratch_u8(ctx, KEY_OFF + p))
			st->m = p + 1;
		st->p = p + 1;
		if (st->p == st->shared + st->nonshared)
			return key_done(ctx);
	}
	return 0;
}

/* What the scan found, as the chain's result.  The hop holds the block's
 * bytes [h0, hend), block offset x at base + x in the hop. */
CHASE_INLINE int scan_result(struct chase_ctx *ctx, struct sst_get_scratch *s, __u32 base,
			     __u32 h0, __u32 hend)
{
	struct sst_search *st = &s->search;

	if (s->flags & SST_F_RANGE) {
		/* Stopped with a full list, or at the end of the block. */
		if (st->result == SCAN_FOUND || st->result == SCAN_ABSENT)
			return CHASE_DONE;
		if (st->result == SCAN_BAD)
			return fail(s, st->why, st->why == SST_WHY_TYPE ? -EOPNOTSUPP : -EUCLEAN);
		return fail(s, SST_WHY_ENTRY, -EUCLEAN);
	}
	switch (st->result) {
	case SCAN_FOUND:
		switch (s->trailer & 0xff) {
		case SST_TYPE_VALUE:
			/* The key is found: cur[] is free for the value.  A value
			 * too long for it, or not in this hop, is taken by the
			 * adapter from the block. */
			if (s->vlen <= SST_KEY_AREA && s->vpos >= h0 && s->vpos <= hend &&
			    s->vlen <= hend - s->vpos) {
				chase_blk_copy(ctx, base + s->vpos, CUR_OFF, s->vlen);
				s->inline_value = 1;
			}
			return CHASE_DONE;
		case SST_TYPE_DELETION:
		case SST_TYPE_SINGLE_DELETION:
			return fail(s, SST_WHY_DELETED, -ENOENT);
		default:
			return fail(s, SST_WHY_TYPE, -EOPNOTSUPP);
		}
	case SCAN_ABSENT:
		return -ENOENT;
	case SCAN_BAD:
		return fail(s, st->why, -EUCLEAN);
	default:
		return fail(s, SST_WHY_ENTRY, -EUCLEAN);
	}
}

/* Restart count and data end of a block of n bytes whose last bytes this
 * hop holds at n - 4 - h0; 0 or an errno (s->why set). */
CHASE_INLINE int read_restarts(struct chase_ctx *ctx, struct sst_get_scratch *s, __u32 n,
			       __u32 h0, __u32 *nrestarts)
{
	if (n < 4)
		return fail(s, SST_WHY_RESTARTS, -EUCLEAN);
	*nrestarts = chase_blk_le32u(ctx, n - 4 - h0);
	if (*nrestarts & 0x80000000u)
		return fail(s, SST_WHY_HASH_INDEX, -EOPNOTSUPP);
	if (*nrestarts == 0 || *nrestarts > (n - 4) / 4)
		return fail(s, SST_WHY_RESTARTS, -EUCLEAN);
	return 0;
}

/* The block is in this hop: find the key in one loop. */
CHASE_INLINE int search_block(struct chase_ctx *ctx, struct sst_get_scratch *s)
{
	__u64 pos = chase_block_pos(ctx);
	__u32 base, n = s->blk_size, nrestarts, data_end;
	struct sst_search *st = &s->search;
	int r;

	if (s->blk_off < pos || s->blk_off - pos + n + SST_TRAILER > ctx->hop->len)
		return fail(s, SST_WHY_PARTIAL, -EOPNOTSUPP);
	base = s->blk_off - pos;
	if (chase_blk_u8(ctx, base + n) != 0)
		return fail(s, SST_WHY_COMPRESSED, -EOPNOTSUPP);
	r = read_restarts(ctx, s, n, -base, &nrestarts);
	if (r)
		return r;
	data_end = n - 4 - 4 * nrestarts;

	__builtin_memset(st, 0, sizeof(*st));
	st->base = base;
	st->end = data_end;
	st->lim = data_end;
	st->hi = nrestarts;
	st->phase = PH_PROBE;
	chase_loop(SEARCH_STEPS, scan_step, ctx);
	return scan_result(ctx, s, base, 0, n);
}

/*
 * A block larger than a hop, in windows the daemon serves from memory (only
 * the block's one read went to the device).  Each hop goes as far as its
 * window lets it: the tail window holds the restart array and the entries
 * at the block's end, so probes whose entries lie there, and a scan that
 * starts there, need no other window; a probe elsewhere reads a window at
 * its entry and, unless the scan then starts at that entry, the tail again.
 */
CHASE_INLINE int search_windows(struct chase_ctx *ctx, struct sst_get_scratch *s)
{
	struct sst_search *st = &s->search;
	__u64 wb = s->win_base, at = chase_block_pos(ctx);
	__u32 n = s->blk_size, h0, hend, nrestarts;
	__u32 tail = n > CHASE_BLOCK_SIZE ? n - CHASE_BLOCK_SIZE : 0;
	int err;

	if (at < wb || at - wb > n || ctx->hop->len > n - (at - wb))
		return fail(s, SST_WHY_WINDOW, -EPROTO);
	h0 = at - wb;
	hend = h0 + ctx->hop->len;
	switch (s->stage) {
	case SST_STAGE_FIRST:
		if (h0 != tail || hend != n)
			return fail(s, SST_WHY_WINDOW, -EPROTO);
		err = read_restarts(ctx, s, n, h0, &nrestarts);
		if (err)
			return err;
		if (4 * nrestarts + 4 > hend - h0) /* over 1023 restarts */
			return fail(s, SST_WHY_RESTARTS, -EOPNOTSUPP);
		__builtin_memset(st, 0, sizeof(*st));
		st->end = n - 4 - 4 * nrestarts;
		st->hi = nrestarts;
		st->phase = PH_PROBE;
		break;
	case SST_STAGE_TAIL:
		if (h0 != tail || st->phase != PH_PROBE)
			return fail(s, SST_WHY_WINDOW, -EPROTO);
		break;
	case SST_STAGE_PROBE:
		/* The probed restart's entry starts this window. */
		if (h0 != st->pos || st->phase != PH_PROBE_AT)
			return fail(s, SST_WHY_WINDOW, -EPROTO);
		break;
	default:
		/* The scan goes on where the last window ended, mid-entry if
		 * need be. */
		if (h0 != st->pos)
			return fail(s, SST_WHY_WINDOW, -EPROTO);
		break;
	}
	st->base = -h0;
	st->lim = hend < st->end ? hend : st->end;
	st->win_lo = h0;
	st->win_hi = hend;
	st->result = SCAN_RUNNING;
	chase_loop(SEARCH_STEPS, scan_step, ctx);
	if (st->result == SCAN_RUNNING && st->phase == PH_PROBE) {
		s->stage = SST_STAGE_TAIL;
		return chase_read(ctx, wb + tail, 0);
	}
	if (st->result == SCAN_RUNNING && st->phase == PH_PROBE_AT) {
		s->stage = SST_STAGE_PROBE;
		return chase_read(ctx, wb + st->pos, 0);
	}
	if (st->result == SCAN_MORE) {
		s->stage = SST_STAGE_SCAN;
		return chase_read(ctx, wb + st->pos, 0);
	}
	return scan_result(ctx, s, -h0, h0, hend);
}

/*
 * One hop of sst_get (mode 0) or sst_range (mode SST_F_RANGE): the start
 * call asks for the data block the daemon chose (or ends at once when the
 * filter ruled the key out); later hops search it, whole or in windows.
 */
CHASE_INLINE int sst_hop(struct chase_ctx *ctx, __u32 mode)
{
	struct sst_get_scratch *s = (void *)ctx->scratch;

	if (chase_is_start(ctx)) {
		s->why = SST_WHY_NONE;
		s->vpos = s->vlen = s->entries = s->inline_value = 0;
		s->out_count = s->out_full = 0;
		s->trailer = 0;
		if (s->klen > SST_MAX_KEY || (s->flags & SST_F_RANGE) != mode)
			return fail(s, SST_WHY_QUERY, -EINVAL);
		if (s->flags & SST_F_ABSENT)
			return -ENOENT;
		return chase_read(ctx, s->blk_off, s->blk_size + SST_TRAILER);
	}
	if (s->windowed)
		return search_windows(ctx, s);
	return search_block(ctx, s);
}

#endif /* CHASE_SST_SEARCH_H */
