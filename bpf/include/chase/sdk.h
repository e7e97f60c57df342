/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The storage-function SDK.  A function is written once:
 *
 *	CHASE_FUNCTION(bptree_get)
 *	{
 *		if (chase_is_start(ctx))
 *			return chase_read(ctx, root, 512);
 *		...
 *	}
 *
 * and built for three targets by defining one macro:
 *
 *   CHASE_TARGET_NATIVE   plain C in the host program: chase_native_<name>()
 *   CHASE_TARGET_SYSCALL  a BPF_PROG_TYPE_SYSCALL program <name> that runs a
 *                         batch of hops (struct chase_batch_args) with bpf_loop
 *   CHASE_TARGET_KERNEL   a program of the patched kernel's chase type
 *
 * Everything the verifier needs to hear (masked offsets, bounded loops,
 * loops that must not nest) lives here, so a function reads as its
 * algorithm.  Rules for function authors:
 *   - read the block only through chase_blk_*() and the scratch through a
 *     struct pointer; index scratch arrays with chase_idx();
 *   - loops are bounded by a constant (CHASE_FOR) or go through chase_loop();
 *   - return CHASE_DONE, chase_read()'s result, or -errno.
 */
#ifndef CHASE_SDK_H
#define CHASE_SDK_H

#include "abi.h"

#if !defined(CHASE_TARGET_NATIVE) && !defined(CHASE_TARGET_SYSCALL) && \
	!defined(CHASE_TARGET_KERNEL)
#error "define one of CHASE_TARGET_NATIVE, CHASE_TARGET_SYSCALL, CHASE_TARGET_KERNEL"
#endif

#ifdef CHASE_TARGET_NATIVE
#include <errno.h>
#include <stddef.h>
#define CHASE_INLINE static inline __attribute__((always_inline))
/* The host compiler needs no persuading; the barrier costs nothing. */
#define chase_opaque(v) __asm__ volatile("" : "+r"(v))
#else
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define CHASE_INLINE static __always_inline
/* Hide a value's history from clang so that a mask applied afterwards is
 * really emitted and the verifier sees the bound on the same register. */
#define chase_opaque(v) asm volatile("" : "+r"(v))
#ifndef ENOENT
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define EINVAL 22
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENODATA 61
#define EPROTO 71
#define EOVERFLOW 75
#define EOPNOTSUPP 95
#define EUCLEAN 117
#endif
#endif

/* ---- bounded access ---------------------------------------------------- */

/* An index into an array of n elements, n a power of two: the verifier sees
 * a bound it can check even when the caller has already range-checked i. */
#define chase_idx(i, n)                                                   \
	({                                                                \
		__u64 __i = (i);                                          \
		chase_opaque(__i);                                        \
		__i & ((n) - 1);                                          \
	})

/*
 * Make v unknown to the verifier, not only to clang.  Without CAP_PERFMON
 * (how user-supplied functions load) the verifier's Spectre rules refuse an
 * instruction that adds a known constant to a pointer on one path and a
 * variable on another -- which inlining and bpf_loop produce all the time.
 * A value that went through memory the verifier does not track (the hop
 * record) is an unknown scalar on every path; the mask that follows gives
 * the bound back.
 */
CHASE_INLINE __u64 chase_unknown(const struct chase_ctx *ctx, __u64 v)
{
	volatile __u64 *slot = &ctx->hop->sdk_private;

	*slot = v;
	return *slot;
}

CHASE_INLINE __u32 chase_blk_off(const struct chase_ctx *ctx, __u64 off)
{
	return chase_unknown(ctx, off) & (CHASE_BLOCK_SIZE - 1);
}

CHASE_INLINE __u8 chase_blk_u8(const struct chase_ctx *ctx, __u64 off)
{
	return ctx->block[chase_blk_off(ctx, off)];
}

/* Naturally aligned little-endian loads (the common case for binary
 * formats that align their fields). */
CHASE_INLINE __u64 chase_blk_u64(const struct chase_ctx *ctx, __u64 off)
{
	return *(const __u64 *)(ctx->block + (chase_unknown(ctx, off) & (CHASE_BLOCK_SIZE - 8)));
}

CHASE_INLINE __u32 chase_blk_u32(const struct chase_ctx *ctx, __u64 off)
{
	return *(const __u32 *)(ctx->block + (chase_unknown(ctx, off) & (CHASE_BLOCK_SIZE - 4)));
}

CHASE_INLINE __u16 chase_blk_u16(const struct chase_ctx *ctx, __u64 off)
{
	return *(const __u16 *)(ctx->block + (chase_unknown(ctx, off) & (CHASE_BLOCK_SIZE - 2)));
}

/* Unaligned little-endian loads, byte by byte. */
CHASE_INLINE __u32 chase_blk_le32u(const struct chase_ctx *ctx, __u64 off)
{
	return (__u32)chase_blk_u8(ctx, off) | (__u32)chase_blk_u8(ctx, off + 1) << 8 |
	       (__u32)chase_blk_u8(ctx, off + 2) << 16 |
	       (__u32)chase_blk_u8(ctx, off + 3) << 24;
}

CHASE_INLINE __u16 chase_blk_le16u(const struct chase_ctx *ctx, __u64 off)
{
	return (__u16)(chase_blk_u8(ctx, off) | chase_blk_u8(ctx, off + 1) << 8);
}

/* Does the block hold [off, off + n) of the file? */
CHASE_INLINE int chase_blk_has(const struct chase_ctx *ctx, __u64 off, __u64 n)
{
	return off >= ctx->hop->offset && off + n <= ctx->hop->offset + ctx->hop->len;
}

/* ---- the hop ----------------------------------------------------------- */

CHASE_INLINE int chase_is_start(const struct chase_ctx *ctx)
{
	return ctx->hop->hop == 0;
}

CHASE_INLINE __u64 chase_file_size(const struct chase_ctx *ctx)
{
	return ctx->hop->file_size;
}

/* File offset of the block's first byte. */
CHASE_INLINE __u64 chase_block_pos(const struct chase_ctx *ctx)
{
	return ctx->hop->offset;
}

/* Ask for [off, off + len) next.  Returns CHASE_CONTINUE, so a function can
 * end with "return chase_read(ctx, child, 512);". */
CHASE_INLINE int chase_read(struct chase_ctx *ctx, __u64 off, __u32 len)
{
	__u32 n = ctx->hop->n_next;

	if (n >= CHASE_MAX_FANOUT)
		return -E2BIG;
	n = chase_idx(n, CHASE_MAX_FANOUT);
	ctx->hop->next_off[n] = off;
	ctx->hop->next_len[n] = len;
	ctx->hop->n_next = n + 1;
	return CHASE_CONTINUE;
}

/* ---- loops --------------------------------------------------------------- */

/* A constant-bounded loop; "i" is visible in the body. */
#define CHASE_FOR(i, max) for (__u32 i = 0; i < (max); i++)

/*
 * chase_loop(n, fn, data): call fn(i, data) for i in [0, n) until it returns
 * nonzero.  In BPF this is bpf_loop(), so the body is verified once however
 * large n is, and loops inside it do not multiply the verifier's states.
 */
#ifdef CHASE_TARGET_NATIVE
CHASE_INLINE long chase_loop(__u32 n, long (*fn)(__u32, void *), void *data)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (fn(i, data))
			return i + 1;
	return n;
}
#else
#define chase_loop(n, fn, data) bpf_loop((n), (fn), (data), 0)
#endif

/* ---- search helpers ------------------------------------------------------ */

/*
 * The steps of a binary search run as a chase_loop (bpf_loop): the verifier
 * checks one step once, instead of every path through a nest of branches.
 * Entries are u64 at off, off + stride, ... within the block, at most 32.
 */
struct chase_bsearch {
	const struct chase_ctx *ctx;
	__u32 off, stride;
	__u32 lo, hi;
	__u64 key;
	int mode; /* 0: count nonzero prefix, 1: entries <= key, 2: entries < key */
};

static long chase_bsearch_step(__u32 i, void *data)
{
	struct chase_bsearch *b = data;
	__u32 mid;
	__u64 v;
	int go_right;

	if (b->lo >= b->hi)
		return 1;
	mid = (b->lo + b->hi) / 2;
	v = chase_blk_u64(b->ctx, b->off + (__u64)chase_idx(mid, 32) * b->stride);
	if (b->mode == 0)
		go_right = v != 0;
	else if (b->mode == 1)
		go_right = v <= b->key;
	else
		go_right = v < b->key;
	if (go_right)
		b->lo = mid + 1;
	else
		b->hi = mid;
	return 0;
}

CHASE_INLINE __u32 chase__bsearch(const struct chase_ctx *ctx, __u32 off, __u32 stride,
				  __u32 n, __u64 key, int mode)
{
	struct chase_bsearch b = {
		.ctx = ctx, .off = off, .stride = stride, .lo = 0, .hi = n, .key = key, .mode = mode
	};

	if (b.hi > 32)
		b.hi = 32;
	chase_loop(6, chase_bsearch_step, &b);
	return b.lo;
}

/* Number of leading nonzero u64 entries (at most max <= 32): the used part
 * of a partly filled node whose unused entries are zero. */
CHASE_INLINE __u32 chase_count_nonzero_u64(const struct chase_ctx *ctx, __u32 off,
					   __u32 stride, __u32 max)
{
	return chase__bsearch(ctx, off, stride, max, 0, 0);
}

/* Number of the n sorted keys that are <= key (n <= 32): the last key <= key
 * is at the result minus one; 0 means key is below all of them. */
CHASE_INLINE __u32 chase_upper_bound_u64(const struct chase_ctx *ctx, __u32 off,
					 __u32 stride, __u32 n, __u64 key)
{
	return chase__bsearch(ctx, off, stride, n, key, 1);
}

/* Number of the n sorted keys that are < key (the lower bound). */
CHASE_INLINE __u32 chase_lower_bound_u64(const struct chase_ctx *ctx, __u32 off,
					 __u32 stride, __u32 n, __u64 key)
{
	return chase__bsearch(ctx, off, stride, n, key, 2);
}

/*
 * Compare n bytes of the block at boff with n bytes of mem (a scratch
 * field), memcmp-style; n <= 4096.  Runs as a chase_loop so it can sit
 * inside a search loop.
 */
struct chase_cmp_state {
	const struct chase_ctx *ctx;
	const __u8 *mem;
	__u64 boff;
	__u32 mem_size_mask; /* mem's size minus one, a power of two */
	int result;
};

static long chase_cmp_step(__u32 i, void *data)
{
	struct chase_cmp_state *st = data;
	__u8 a = chase_blk_u8(st->ctx, st->boff + i);
	__u8 b = st->mem[chase_idx(i, 4096) & st->mem_size_mask];

	if (a != b) {
		st->result = a < b ? -1 : 1;
		return 1;
	}
	return 0;
}

CHASE_INLINE int chase_blk_memcmp(const struct chase_ctx *ctx, __u64 boff, const __u8 *mem,
				  __u32 mem_size, __u32 n)
{
	struct chase_cmp_state st = {
		.ctx = ctx, .mem = mem, .boff = boff, .mem_size_mask = mem_size - 1, .result = 0
	};

	chase_loop(n, chase_cmp_step, &st);
	return st.result;
}

/*
 * Compare n bytes of the block at boff with n bytes of the scratch area at
 * soff, memcmp-style.  Like chase_blk_memcmp, but the scratch side is an
 * offset masked to the scratch area, so the verifier needs no bound on a
 * pointer that travelled through the loop state.
 */
struct chase_scmp_state {
	const struct chase_ctx *ctx;
	__u64 boff;
	__u32 soff;
	int result;
};

static long chase_scmp_step(__u32 i, void *data)
{
	struct chase_scmp_state *st = data;
	__u8 a = chase_blk_u8(st->ctx, st->boff + i);
	__u8 b = st->ctx->scratch[chase_idx(st->soff + i, CHASE_SCRATCH_SIZE)];

	if (a != b) {
		st->result = a < b ? -1 : 1;
		return 1;
	}
	return 0;
}

CHASE_INLINE int chase_blk_scratch_cmp(const struct chase_ctx *ctx, __u64 boff, __u32 soff,
				       __u32 n)
{
	struct chase_scmp_state st = { .ctx = ctx, .boff = boff, .soff = soff, .result = 0 };

	chase_loop(n, chase_scmp_step, &st);
	return st.result;
}

/*
 * Copy n bytes of the block at boff into the scratch area at soff, one byte
 * per chase_loop step (so it can follow a search loop without nesting).
 * Both offsets wrap at 4096: callers check that the ranges are in bounds,
 * the masks only keep the verifier (and a buggy caller) inside the regions.
 */
struct chase_copy_state {
	const struct chase_ctx *ctx;
	__u64 boff;
	__u32 soff;
};

static long chase_copy_step(__u32 i, void *data)
{
	struct chase_copy_state *st = data;

	st->ctx->scratch[chase_idx(st->soff + i, CHASE_SCRATCH_SIZE)] =
		chase_blk_u8(st->ctx, st->boff + i);
	return 0;
}

CHASE_INLINE void chase_blk_copy(const struct chase_ctx *ctx, __u64 boff, __u32 soff, __u32 n)
{
	struct chase_copy_state st = { .ctx = ctx, .boff = boff, .soff = soff };

	chase_loop(n, chase_copy_step, &st);
}

/* Unaligned little-endian 64-bit load (two 32-bit halves). */
CHASE_INLINE __u64 chase_blk_le64u(const struct chase_ctx *ctx, __u64 off)
{
	return (__u64)chase_blk_le32u(ctx, off) | (__u64)chase_blk_le32u(ctx, off + 4) << 32;
}

/* ---- decimal text ------------------------------------------------------ */

/* Parse the leading decimal digits of a NUL-padded field in the block (at
 * most 20 digits).  Returns the value; *ok is 0 if there were no digits. */
CHASE_INLINE __u64 chase_blk_parse_u64(const struct chase_ctx *ctx, __u64 off, __u32 max,
				       int *ok)
{
	__u64 v = 0;
	int digits = 0, stop = 0;

	CHASE_FOR(i, 20)
	{
		__u8 c;

		if (stop || i >= max)
			break;
		c = chase_blk_u8(ctx, off + i);
		if (c < '0' || c > '9') {
			stop = 1;
		} else {
			v = v * 10 + (c - '0');
			digits++;
		}
	}
	*ok = digits > 0;
	return v;
}

/* ---- target glue ----------------------------------------------------------- */

#if defined(CHASE_TARGET_NATIVE)

#define CHASE_FUNCTION(name)                                          \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx);         \
	int chase_native_##name(struct chase_ctx *ctx)                \
	{                                                             \
		return name##__body(ctx);                             \
	}                                                             \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx)

#elif defined(CHASE_TARGET_SYSCALL)

/* The engine resizes these before loading (max_entries 1 is a placeholder). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[CHASE_BLOCK_SIZE]);
} chase_blocks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[CHASE_SCRATCH_SIZE]);
} chase_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chase_hop);
} chase_hops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct chase_batch_entry);
} chase_batch SEC(".maps");

/* Look up batch entry i and the three regions it names; 0 if all exist. */
CHASE_INLINE int chase__bind(__u32 i, struct chase_ctx *ctx)
{
	struct chase_batch_entry *e = bpf_map_lookup_elem(&chase_batch, &i);
	__u32 slot, chain;

	if (!e)
		return -1;
	slot = e->slot;
	chain = e->chain;
	ctx->block = bpf_map_lookup_elem(&chase_blocks, &slot);
	ctx->hop = bpf_map_lookup_elem(&chase_hops, &slot);
	ctx->scratch = bpf_map_lookup_elem(&chase_scratch, &chain);
	if (!ctx->block || !ctx->hop || !ctx->scratch)
		return -1;
	return 0;
}

#define CHASE_FUNCTION(name)                                          \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx);         \
	static long name##__hop(__u32 i, void *unused)                \
	{                                                             \
		struct chase_ctx ctx;                                 \
		if (chase__bind(i, &ctx))                             \
			return 1;                                     \
		ctx.hop->ret = name##__body(&ctx);                    \
		return 0;                                             \
	}                                                             \
	SEC("syscall")                                                \
	int name(struct chase_batch_args *args)                       \
	{                                                             \
		__u32 n = args->n;                                    \
		if (n > CHASE_MAX_BATCH)                              \
			return -E2BIG;                                \
		bpf_loop(n, name##__hop, 0, 0);                       \
		return 0;                                             \
	}                                                             \
	char _license[] SEC("license") = "Dual MIT/GPL";              \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx)

#elif defined(CHASE_TARGET_KERNEL)

#define CHASE_FUNCTION(name)                                          \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx);         \
	SEC("chase")                                                  \
	int name(struct chase_kern_ctx *kctx)                         \
	{                                                             \
		struct chase_ctx ctx = {                              \
			.block = kctx->block,                         \
			.scratch = kctx->scratch,                     \
			.hop = kctx->hop,                             \
		};                                                    \
		return name##__body(&ctx);                            \
	}                                                             \
	char _license[] SEC("license") = "Dual MIT/GPL";              \
	CHASE_INLINE int name##__body(struct chase_ctx *ctx)

#endif

#endif /* CHASE_SDK_H */
