/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Block-based SST tables (RocksDB, LevelDB): the data block the storage
 * function searches, and its scratch area.
 *
 * A data block is a run of prefix-compressed entries followed by an array
 * of restart points and their count:
 *
 *   entry      varint32 shared | varint32 non_shared | varint32 value_len |
 *              key bytes [shared, shared + non_shared) | value
 *   restarts   fixed32 offset[n] (entries whose shared is 0)
 *   count      fixed32 n (bit 31 set: a hash index follows; refused)
 *   trailer    1 byte compression type, fixed32 checksum (after the block)
 *
 * Keys in data blocks are internal keys: the user key followed by a
 * fixed64 little-endian (sequence << 8 | type).  Within a user key the
 * newest version comes first, so a lookup takes the first entry whose
 * user key is the one asked for.
 *
 * The daemon keeps the table's index and filter in memory and names the
 * data block (blk_off, blk_size); the function reads it.  The engine hands
 * the function the block as the table means it: checksum verified and, if
 * the table stored it compressed, decompressed.  A block that fits one hop
 * arrives whole, with a trailer of type 0; a larger one is searched in
 * windows the daemon serves from memory (fs/lib/sst/README.md).
 */
#ifndef CHASE_SST_H
#define CHASE_SST_H

#include "chase/abi.h"

#define SST_TRAILER 5u
#define SST_SEQ_BYTES 8u
#define SST_KEY_AREA 1936u /* room for a user key and its 8-byte trailer */
#define SST_MAX_KEY (SST_KEY_AREA - SST_SEQ_BYTES)

/* Internal key types a lookup meets (RocksDB dbformat.h numbering). */
#define SST_TYPE_DELETION 0x0
#define SST_TYPE_VALUE 0x1
#define SST_TYPE_MERGE 0x2
#define SST_TYPE_SINGLE_DELETION 0x7

/* flags (in) */
#define SST_F_INTERNAL 1u /* keys carry the 8-byte sequence/type trailer */
#define SST_F_ABSENT 2u   /* the table's filter rules the key out: no read */
#define SST_F_RANGE 4u    /* sst_range: list the visible entries from key on */
#define SST_F_LO_EXCL 8u  /* sst_range: ... from after key (a resumed range) */

/* sst_range lists entries as their offsets in the block, in key[] once the
 * search for the first key is over. */
#define SST_RANGE_MAX_OUT (SST_KEY_AREA / 4)

/* why (out): what the function found wrong, for the adapter's message. */
#define SST_WHY_NONE 0
#define SST_WHY_QUERY 1      /* key empty or too long */
#define SST_WHY_PARTIAL 2    /* the hop does not hold the whole block */
#define SST_WHY_COMPRESSED 3 /* the block is compressed: the engine must prepare it */
#define SST_WHY_RESTARTS 4   /* restart count or array outside the block */
#define SST_WHY_HASH_INDEX 5 /* a data-block hash index (not read) */
#define SST_WHY_ENTRY 6      /* an entry runs past the entries' end */
#define SST_WHY_VARINT 7     /* a varint longer than 5 bytes */
#define SST_WHY_LONG_KEY 8   /* a key in the block is longer than SST_KEY_AREA */
#define SST_WHY_SHORT_KEY 9  /* an internal key shorter than its trailer */
#define SST_WHY_DELETED 10   /* found: a deletion (-ENOENT) */
#define SST_WHY_TYPE 11      /* found: a type not read (merge, blob, ...) */
#define SST_WHY_ORDER 12     /* shared prefix longer than the previous key */
#define SST_WHY_WINDOW 13    /* a window does not hold what it was read for */

/* Stages of a search over windows (a block larger than a hop). */
#define SST_STAGE_FIRST 0 /* the tail window, restart count not read yet */
#define SST_STAGE_TAIL 1  /* the tail window: pick the next restart to probe */
#define SST_STAGE_PROBE 2 /* a window at the probed restart's entry */
#define SST_STAGE_SCAN 3  /* a window at the next entry to decode */

/* The search's state between steps of its loop.  It lives in the scratch
 * area rather than on the stack: the verifier tracks stack values exactly
 * and would walk the loop's states one by one. */
struct sst_search {
	__u32 base, pos, end;
	__u32 lim;         /* bytes of the block this hop holds end here */
	__u32 entry_start; /* where the entry being decoded begins */
	__u32 lo, hi, mid;
	__u32 key_at, ulen, cmp_pos, cmp_len;
	__u32 phase, acc, shift;
	__u32 shared, nonshared, vlen;
	__u32 klen_prev; /* whole key length of the previous entry */
	__u32 p;         /* next key byte to fill */
	__u32 m;         /* common prefix of the entry's user key and the key */
	__u32 result, why;
	__u32 emitting; /* sst_range: past the first key, listing */
	__u32 eq;       /* sst_range: bytes the entry's key has in common
			 * with the previous one (shared, or more after a
			 * restart point) */
	__u32 win_lo, win_hi; /* windowed: the block's bytes this hop holds */
	__u32 probe_r;        /* windowed: 1 + where restart mid's entry is, or 0 */
};

struct sst_get_scratch {
	__u64 blk_off;  /* in: the data block's offset in the file */
	__u32 blk_size; /* in: its size without the trailer (the engine's
			 * preparation rewrites it for a decompressed block) */
	__u32 klen;     /* in: user key length */
	__u32 flags;    /* in: SST_F_* */
	__u32 why;      /* out: SST_WHY_* */
	__u32 vpos;     /* out: the value's offset in the block */
	__u32 vlen;     /* out: its length */
	__u64 trailer;  /* out: sequence << 8 | type of the entry found */
	__u32 entries;  /* out: entries decoded by the scan (for traces) */
	__u32 inline_value; /* out: 1 if the value was copied into cur[] */
	/* Set by the engine's preparation: the block is larger than a hop, and
	 * its plain bytes [0, blk_size) are at win_base on, read a window of up
	 * to 4096 bytes at a time (no device read: the daemon holds them). */
	__u32 windowed;
	__u32 stage; /* SST_STAGE_*: what the last window asked for was */
	__u64 win_base;
	__u32 out_count; /* sst_range: entry offsets listed in key[] */
	__u32 out_full;  /* sst_range: 1 if it stopped because key[] is full */
	struct sst_search search;
	__u8 key[SST_KEY_AREA]; /* in: the user key */
	__u8 cur[SST_KEY_AREA]; /* the entry being decoded, whole */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct sst_get_scratch) <= CHASE_SCRATCH_SIZE, "sst scratch");
#endif

#endif /* CHASE_SST_H */
