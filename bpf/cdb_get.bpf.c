/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Lookup in a cdb file (layout: include/chase/cdb.h).
 *
 *   hop 0    hash the key; ask for the header entry of its bucket (or, when
 *            the adapter gave the bucket's table from its copy of the
 *            header, go straight to the table)
 *   header   the bucket's table (pos, slots); none: absent
 *   slots    probe from (h >> 8) % slots: an empty slot ends the search,
 *            a slot with the same hash names a candidate record
 *   record   compare the key; a match is reported (or skipped, for the
 *            n-th record of a key), then the probe goes on if more are wanted
 *   value    the first match's value, when it was not in the record's block
 *
 * A value up to CDB_VALUE_INLINE bytes comes back in the scratch area; the
 * place of every match is reported too, so the adapter can pread a larger one.
 */
#include "chase/sdk.h"
#include "chase/cdb.h"

#define KEY_OFF __builtin_offsetof(struct cdb_get_scratch, key)
#define VALUE_OFF __builtin_offsetof(struct cdb_get_scratch, value)

CHASE_INLINE int fail(struct cdb_get_scratch *s, __u32 why, int err)
{
	s->why = why;
	return err;
}

static long hash_step(__u32 i, void *data)
{
	struct chase_ctx *ctx = data;
	struct cdb_get_scratch *s = (void *)ctx->scratch;
	volatile __u32 *h = &s->hash;

	*h = ((*h << 5) + *h) ^ ctx->scratch[chase_idx(KEY_OFF + i, CHASE_SCRATCH_SIZE)];
	return 0;
}

/* Read the block holding the next slot to probe. */
CHASE_INLINE int read_slot(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	s->phase = CDB_PH_SLOTS;
	return chase_read(ctx, (__u64)s->tpos + (__u64)s->slot * CDB_SLOT_SIZE, CHASE_BLOCK_SIZE);
}

/* Nothing more to find: the answer is what was collected. */
CHASE_INLINE int finish(struct cdb_get_scratch *s)
{
	s->more = 0;
	return s->count ? CHASE_DONE : -ENOENT;
}

/* Go on probing after the slot just used, or stop when every slot is seen. */
CHASE_INLINE int next_slot(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	if (s->probed >= s->tlen)
		return finish(s);
	if (s->count && ctx->hop->hop >= CDB_HOP_BUDGET) {
		s->more = 1; /* resume at (slot, probed) */
		return CHASE_DONE;
	}
	return read_slot(ctx, s);
}

/* The key's bucket table (tpos, tlen) is known: start probing it. */
CHASE_INLINE int use_table(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	if (s->tlen == 0)
		return -ENOENT;
	if (s->tpos < CDB_HEADER_SIZE || s->tlen > (__u32)-1 / CDB_SLOT_SIZE ||
	    (__u64)s->tpos + (__u64)s->tlen * CDB_SLOT_SIZE > chase_file_size(ctx))
		return fail(s, CDB_WHY_TABLE, -EUCLEAN);
	if (s->flags & CDB_RESUME) {
		if (s->slot >= s->tlen || s->probed > s->tlen)
			return fail(s, CDB_WHY_QUERY, -EINVAL);
		return next_slot(ctx, s);
	}
	s->slot = (s->hash >> 8) % s->tlen;
	s->probed = 0;
	return read_slot(ctx, s);
}

CHASE_INLINE int visit_header(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	__u64 entry = (s->hash & 255) * 8;
	__u64 at = entry - chase_block_pos(ctx);

	if (!chase_blk_has(ctx, entry, 8))
		return fail(s, CDB_WHY_HEADER, -EUCLEAN);
	s->tpos = chase_blk_u32(ctx, at);
	s->tlen = chase_blk_u32(ctx, at + 4);
	return use_table(ctx, s);
}

struct probe {
	const struct chase_ctx *ctx;
	__u64 base; /* block offset of the first slot to look at */
	__u32 hash;
};

/* Stop at an empty slot or a slot with our hash. */
static long probe_step(__u32 k, void *data)
{
	struct probe *p = data;
	__u64 off = p->base + (__u64)k * CDB_SLOT_SIZE;

	if (chase_blk_le32u(p->ctx, off + 4) == 0)
		return 1;
	return chase_blk_le32u(p->ctx, off) == p->hash;
}

CHASE_INLINE int visit_slots(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	__u64 first = (__u64)s->tpos + (__u64)s->slot * CDB_SLOT_SIZE;
	struct probe p = { .ctx = ctx, .hash = s->hash };
	__u32 cnt, k, pos;

	if (!chase_blk_has(ctx, first, CDB_SLOT_SIZE))
		return fail(s, CDB_WHY_TABLE, -EUCLEAN);
	p.base = first - chase_block_pos(ctx);
	/* Slots of this block, up to the table's end (the probe wraps there)
	 * and up to the number still to probe. */
	cnt = (chase_block_pos(ctx) + ctx->hop->len - first) / CDB_SLOT_SIZE;
	if (cnt > s->tlen - s->slot)
		cnt = s->tlen - s->slot;
	if (cnt > s->tlen - s->probed)
		cnt = s->tlen - s->probed;
	k = chase_loop(cnt, probe_step, &p);
	if (k == 0)
		return fail(s, CDB_WHY_TABLE, -EUCLEAN);
	k--; /* the last slot looked at */
	pos = chase_blk_le32u(ctx, p.base + (__u64)k * CDB_SLOT_SIZE + 4);
	if (pos == 0)
		return finish(s);
	s->probed += k + 1;
	s->slot += k + 1;
	if (s->slot >= s->tlen)
		s->slot = 0;
	if (chase_blk_le32u(ctx, p.base + (__u64)k * CDB_SLOT_SIZE) != s->hash)
		return next_slot(ctx, s); /* the block ran out before a stop */
	if (pos < CDB_HEADER_SIZE || (__u64)pos + 8 > chase_file_size(ctx))
		return fail(s, CDB_WHY_RECORD, -EUCLEAN);
	s->rpos = pos;
	s->phase = CDB_PH_RECORD;
	return chase_read(ctx, pos, CHASE_BLOCK_SIZE);
}

CHASE_INLINE int visit_record(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	__u64 r = s->rpos;
	__u32 at, klen, vlen, n;
	__u64 voff;

	if (!chase_blk_has(ctx, r, 8))
		return fail(s, CDB_WHY_RECORD, -EUCLEAN);
	at = r - chase_block_pos(ctx);
	klen = chase_blk_le32u(ctx, at);
	vlen = chase_blk_le32u(ctx, at + 4);
	if (klen != s->klen)
		return next_slot(ctx, s);
	voff = r + 8 + klen;
	if (voff + vlen > chase_file_size(ctx) || !chase_blk_has(ctx, r + 8, klen))
		return fail(s, CDB_WHY_VALUE, -EUCLEAN);
	if (chase_blk_scratch_cmp(ctx, at + 8, KEY_OFF, klen))
		return next_slot(ctx, s);
	if (s->seen++ < s->skip)
		return next_slot(ctx, s);
	n = s->count;
	s->m[chase_idx(n, CDB_MAX_MATCHES)].voff = voff;
	s->m[chase_idx(n, CDB_MAX_MATCHES)].vlen = vlen;
	s->count = n + 1;
	if (n == 0 && vlen <= CDB_VALUE_INLINE) {
		if (chase_blk_has(ctx, voff, vlen)) {
			chase_blk_copy(ctx, voff - chase_block_pos(ctx), VALUE_OFF, vlen);
			s->inline_value = 1;
		} else if (s->limit == 1) {
			s->phase = CDB_PH_VALUE;
			return chase_read(ctx, voff, CHASE_BLOCK_SIZE);
		}
	}
	if (s->count >= s->limit) {
		s->more = s->probed < s->tlen;
		return CHASE_DONE;
	}
	return next_slot(ctx, s);
}

/* The first match's value, read on its own. */
CHASE_INLINE int visit_value(struct chase_ctx *ctx, struct cdb_get_scratch *s)
{
	__u32 voff = s->m[0].voff, vlen = s->m[0].vlen;

	if (!chase_blk_has(ctx, voff, vlen) || vlen > CDB_VALUE_INLINE)
		return fail(s, CDB_WHY_VALUE, -EUCLEAN);
	chase_blk_copy(ctx, voff - chase_block_pos(ctx), VALUE_OFF, vlen);
	s->inline_value = 1;
	s->more = s->probed < s->tlen;
	return CHASE_DONE;
}

CHASE_FUNCTION(cdb_get)
{
	struct cdb_get_scratch *s = (void *)ctx->scratch;

	if (chase_is_start(ctx)) {
		if (s->klen == 0 || s->klen > CDB_MAX_KEY || s->limit == 0 ||
		    s->limit > CDB_MAX_MATCHES)
			return fail(s, CDB_WHY_QUERY, -EINVAL);
		if (chase_file_size(ctx) < CDB_HEADER_SIZE)
			return fail(s, CDB_WHY_HEADER, -EUCLEAN);
		s->why = CDB_WHY_NONE;
		s->count = 0;
		s->seen = 0;
		s->more = 0;
		s->inline_value = 0;
		s->hash = CDB_HASH_START;
		chase_loop(s->klen, hash_step, ctx);
		if (s->flags & CDB_GIVEN_TABLE) {
			if (s->given_hash != s->hash)
				return fail(s, CDB_WHY_QUERY, -EINVAL);
			return use_table(ctx, s);
		}
		s->phase = CDB_PH_HEADER;
		return chase_read(ctx, (s->hash & 255) * 8, 8);
	}
	switch (s->phase) {
	case CDB_PH_HEADER:
		return visit_header(ctx, s);
	case CDB_PH_SLOTS:
		return visit_slots(ctx, s);
	case CDB_PH_RECORD:
		return visit_record(ctx, s);
	case CDB_PH_VALUE:
		return visit_value(ctx, s);
	}
	return -EINVAL;
}
