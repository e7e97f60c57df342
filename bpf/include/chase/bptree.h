/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The chase B+-tree: XRP's BPF-KV node layout behind a one-block superblock.
 *
 *   0      superblock (512 bytes, struct bpt_super, magic "CHASEBPT")
 *   512    root node
 *          ... the index, written level by level from the root down;
 *          level l holds ceil(n / 31^(depth - l)) nodes
 *   log    the value log: 64-byte values, 8 per 512-byte block, in key order
 *
 *   node (512 bytes, BPF-KV's struct _Node):
 *     0    u64 next        offset of the right sibling on the same level, 0 if last
 *     8    u64 type        0 = inner, 1 = leaf
 *     16   u64 key[31]     sorted ascending
 *     264  u64 ptr[31]     inner: child node offset; leaf: value offset in the log
 *
 * An inner key is the smallest key of its child's subtree.  A node that is
 * not full ends with ptr == 0 entries (offset 0 is the superblock, so no real
 * pointer is 0); BPF-KV's own files are always full and read the same way.
 * A value is NUL-padded text of at most 63 bytes.
 *
 * All integers are little-endian.  A lookup reads depth nodes plus one value
 * block, exactly as in the XRP paper's evaluation.
 */
#ifndef CHASE_BPTREE_H
#define CHASE_BPTREE_H

#include "abi.h"

#ifndef CHASE_INLINE_HDR
#define CHASE_INLINE_HDR static inline __attribute__((always_inline))
#endif

#define BPT_MAGIC 0x5450424553414843ull /* "CHASEBPT" little-endian */
#define BPT_VERSION 1
#define BPT_NODE_SIZE 512u
#define BPT_FANOUT 31u
#define BPT_VALUE_SIZE 64u
#define BPT_ROOT_OFF 512u
#define BPT_MAX_DEPTH 8u

#define BPT_INNER 0
#define BPT_LEAF 1

#define BPT_OFF_NEXT 0u
#define BPT_OFF_TYPE 8u
#define BPT_OFF_KEYS 16u
#define BPT_OFF_PTRS 264u

struct bpt_super {
	__u64 magic;
	__u32 version;
	__u32 node_size;
	__u32 depth; /* index levels; 1 = the root is the only leaf */
	__u32 value_size;
	__u64 nkeys;
	__u64 root_off;
	__u64 log_off;
	__u64 log_size;
	__u64 level_off[BPT_MAX_DEPTH];   /* first node of each level, root first */
	__u64 level_nodes[BPT_MAX_DEPTH]; /* nodes on each level */
	__u32 reserved;
	__u32 crc32; /* zlib crc32(0, super, offsetof(crc32)): of the bytes before this field */
};

/* ---- scratch layouts: the query goes in, the answer comes out ---------- */

/* Where pointers may lead, copied from the superblock by the caller so a
 * function can refuse a corrupt pointer without reading the superblock:
 * nodes lie in [BPT_ROOT_OFF, log_off), values in [log_off, log_end). */
struct bpt_bounds {
	__u64 log_off;
	__u64 log_end;
};

CHASE_INLINE_HDR int bpt_node_ok(const struct bpt_bounds *b, __u64 off)
{
	return off >= BPT_ROOT_OFF && off < b->log_off && off % BPT_NODE_SIZE == 0;
}

CHASE_INLINE_HDR int bpt_value_ok(const struct bpt_bounds *b, __u64 off)
{
	return off >= b->log_off && off + BPT_VALUE_SIZE <= b->log_end &&
	       off % BPT_VALUE_SIZE == 0;
}

#define BPT_GET_MAX 32u

/* Point lookup of up to 32 keys, one after the other.  A single missing
 * key ends the chain with -ENOENT; in a batch, found[i] says. */
struct bpt_get_scratch {
	struct bpt_bounds bounds;    /* in */
	__u32 nkeys;                 /* in */
	__u32 cur;                   /* state: key being looked up */
	__u64 voff;                  /* state: value being fetched, 0 = walking nodes */
	__u64 keys[BPT_GET_MAX];     /* in */
	__u8 found[BPT_GET_MAX];     /* out */
	__u8 values[BPT_GET_MAX][BPT_VALUE_SIZE]; /* out, NUL-padded */
};

#define BPT_SCAN_MAX 32u
/* A scan stops taking new leaves once the chain has used this many hops,
 * so that one call stays far inside the engine's hop cap; the caller
 * resumes it from (resume_leaf, resume_idx). */
#define BPT_SCAN_HOP_BUDGET 32u

enum bpt_filter_op {
	BPT_F_NONE = 0,
	BPT_F_LT,
	BPT_F_LE,
	BPT_F_EQ,
	BPT_F_NE,
	BPT_F_GE,
	BPT_F_GT,
};

/* State shared by range and aggregate scans (the walk over the leaves). */
struct bpt_scan_state {
	struct bpt_bounds bounds; /* in */
	__u64 lo, hi;        /* in: inclusive key bounds */
	__u64 resume_leaf;   /* in/out: leaf to start at, 0 = descend from the root */
	__u32 resume_idx;    /* in/out: entry of that leaf to start at */
	__u32 more;          /* out: 1 if the scan stopped before hi */
	__u64 next_leaf;     /* state: sibling of the leaf being gathered */
	__u32 npending;      /* state: records of this leaf waiting for values */
	__u32 outstanding;   /* state: value reads in flight */
	__u32 pend_done;     /* state: pending records whose value arrived */
	__u32 leaf_end;      /* state: 1 if the leaf ran past hi */
	__u32 round_done;    /* state: pend_done when the last value reads went out */
	__u32 pad;
	__u64 pend_key[BPT_FANOUT + 1];
	__u64 pend_voff[BPT_FANOUT + 1];
};

struct bpt_record {
	__u64 key;
	__u8 value[BPT_VALUE_SIZE];
};

struct bpt_range_scratch {
	struct bpt_scan_state scan;
	__u32 limit;  /* in: records wanted, 1..32 */
	__u32 count;  /* out */
	struct bpt_record rec[BPT_SCAN_MAX];
};

struct bpt_agg_scratch {
	struct bpt_scan_state scan;
	__u32 op;       /* in: enum bpt_filter_op on the value's number */
	__u32 need_values; /* in: 0 for a plain count (no value reads) */
	__u64 arg;      /* in: the filter's operand */
	__u64 count;    /* out: records in range that pass the filter */
	__u64 sum;      /* out: sum of their numeric values (mod 2^64) */
	__u64 numeric;  /* out: records whose value is a number */
	__u64 overflow; /* out: 1 if sum wrapped */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct bpt_super) <= BPT_NODE_SIZE, "superblock fits a node");
_Static_assert(sizeof(struct bpt_get_scratch) <= CHASE_SCRATCH_SIZE, "get scratch");
_Static_assert(sizeof(struct bpt_range_scratch) <= CHASE_SCRATCH_SIZE, "range scratch");
_Static_assert(sizeof(struct bpt_agg_scratch) <= CHASE_SCRATCH_SIZE, "agg scratch");
#endif

#endif /* CHASE_BPTREE_H */
