/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * LMDB (liblmdb 0.9.x) data.mdb, as the library writes it on a 64-bit
 * little-endian machine.  Checked byte by byte against files written by
 * Debian's liblmdb 0.9.24 (see bpf/FORMATS.md).  All integers little-endian.
 *
 * The file is an array of pages; page n starts at n * psize.  Pages 0 and 1
 * are the two meta pages; the one with the higher txnid is the current
 * snapshot (a commit rewrites the older one, so the other stays intact).
 *
 *   page header (16 bytes, every page except overflow continuation pages)
 *     0   u64 pgno          the page's own number (checked on every hop)
 *     8   u16 pad           (ksize of LEAF2 pages)
 *     10  u16 flags         P_BRANCH 0x01  P_LEAF 0x02  P_OVERFLOW 0x04
 *                           P_META 0x08    P_DIRTY 0x10 P_LEAF2 0x20  P_SUBP 0x40
 *     12  u16 lower         end of the ptrs array   } overflow pages: u32 pages,
 *     14  u16 upper         start of the nodes      } the run's length in pages
 *     16  u16 ptrs[n]       n = (lower - 16) / 2, offsets of nodes from the
 *                           page start, in key order
 *     ... free space ...
 *     upper .. psize        nodes, in any order
 *
 *   meta page body (at 16)
 *     16  u32 magic 0xBEEFC0DE
 *     20  u32 version 1
 *     24  u64 address, 32 u64 mapsize
 *     40  MDB_db dbs[0]     FREE_DBI; its md_pad holds the page size
 *     88  MDB_db dbs[1]     MAIN_DBI
 *     136 u64 last_pg
 *     144 u64 txnid
 *
 *   MDB_db (48 bytes)
 *     0 u32 pad   4 u16 flags   6 u16 depth   8 u64 branch_pages
 *     16 u64 leaf_pages   24 u64 overflow_pages   32 u64 entries
 *     40 u64 root            ~0 (P_INVALID) when the tree is empty
 *
 *   node (at ptrs[i], 8 bytes + key + data)
 *     0   u16 lo   2 u16 hi   4 u16 flags   6 u16 ksize   8 key[ksize]
 *     branch: child pgno = lo | hi << 16 | flags << 32; no data; the key of
 *             node 0 is ignored (it stands for "everything below node 1")
 *     leaf:   data size = lo | hi << 16; data follows the key:
 *             F_BIGDATA 0x01  data is a u64 pgno of an overflow run; the
 *                             value is at pgno * psize + 16
 *             F_SUBDATA 0x02  data is an MDB_db (a named database's record)
 *             F_DUPDATA 0x04  data is a sub-page of duplicates (MDB_DUPSORT)
 *
 * Default key order (no MDB_REVERSEKEY / MDB_INTEGERKEY): memcmp over the
 * shorter length, then the shorter key first.
 */
#ifndef CHASE_LMDB_H
#define CHASE_LMDB_H

#include "abi.h"

#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_VERSION 1u
#define LMDB_PAGE_SIZE 4096u /* the only page size these functions read */
#define LMDB_PAGEHDRSZ 16u
#define LMDB_INVALID_PGNO (~0ull)

#define LMDB_PG_PGNO 0u
#define LMDB_PG_FLAGS 10u
#define LMDB_PG_LOWER 12u
#define LMDB_PG_UPPER 14u
#define LMDB_PG_PAGES 12u
#define LMDB_PG_PTRS 16u

#define LMDB_P_BRANCH 0x01u
#define LMDB_P_LEAF 0x02u
#define LMDB_P_OVERFLOW 0x04u
#define LMDB_P_META 0x08u
#define LMDB_P_LEAF2 0x20u
#define LMDB_P_SUBP 0x40u

#define LMDB_META_MAGIC 16u
#define LMDB_META_VERSION 20u
#define LMDB_META_DBS 40u
#define LMDB_META_LAST_PG 136u
#define LMDB_META_TXNID 144u
#define LMDB_DB_SIZE 48u
#define LMDB_FREE_DBI 0u
#define LMDB_MAIN_DBI 1u

#define LMDB_DB_PAD 0u
#define LMDB_DB_FLAGS 4u
#define LMDB_DB_DEPTH 6u
#define LMDB_DB_ENTRIES 32u
#define LMDB_DB_ROOT 40u

#define LMDB_NODE_LO 0u
#define LMDB_NODE_HI 2u
#define LMDB_NODE_FLAGS 4u
#define LMDB_NODE_KSIZE 6u
#define LMDB_NODESIZE 8u

#define LMDB_F_BIGDATA 0x01u
#define LMDB_F_SUBDATA 0x02u
#define LMDB_F_DUPDATA 0x04u

/* MDB_db.flags that change the key order or the value layout. */
#define LMDB_REVERSEKEY 0x02u
#define LMDB_DUPSORT 0x04u
#define LMDB_INTEGERKEY 0x08u
#define LMDB_DUPFIXED 0x10u
#define LMDB_INTEGERDUP 0x20u
#define LMDB_REVERSEDUP 0x40u

#define LMDB_MAX_KEY 511u    /* mdb_env_get_maxkeysize() of liblmdb 0.9 */
#define LMDB_KEY_BUF 512u
#define LMDB_MAX_DEPTH 16u   /* far above any real tree (4 KiB pages) */
/* A leaf node is inline when 8 + ksize + dsize <= nodemax = 2038 for 4 KiB
 * pages, so an inline value is at most 2029 bytes. */
#define LMDB_INLINE_MAX 2048u

/* Why a chain failed, in more words than its errno (the adapter turns this
 * into the message). */
enum lmdb_why {
	LMDB_WHY_NONE = 0,
	LMDB_WHY_MAGIC,       /* a meta page lacks 0xBEEFC0DE: not an LMDB file */
	LMDB_WHY_VERSION,     /* meta version is not 1 */
	LMDB_WHY_PAGE_SIZE,   /* page size is not 4096 */
	LMDB_WHY_DUPSORT,     /* the database was opened with MDB_DUPSORT */
	LMDB_WHY_KEY_ORDER,   /* MDB_REVERSEKEY or MDB_INTEGERKEY */
	LMDB_WHY_PAGE_RANGE,  /* a page number points past the end of the file */
	LMDB_WHY_PAGE_PGNO,   /* a page's header names another page number */
	LMDB_WHY_PAGE_TYPE,   /* a page is neither branch nor leaf where one must be */
	LMDB_WHY_PAGE_BOUNDS, /* lower/upper/ptrs out of the page */
	LMDB_WHY_DEPTH,       /* deeper than the database's recorded depth */
	LMDB_WHY_NODE,        /* a node or its key/data runs out of its page */
	LMDB_WHY_NOT_SUBDB,   /* the named database is a plain key */
	LMDB_WHY_IS_SUBDB,    /* the key names a sub-database, not a value */
	LMDB_WHY_NO_SUBDB,    /* no such named database */
	LMDB_WHY_DUPDATA,     /* a duplicate-data node outside a DUPSORT db */
	LMDB_WHY_BIG_RANGE,   /* an overflow value runs past the end of the file */
	LMDB_WHY_QUERY,       /* the query itself is malformed */
	LMDB_WHY_EMPTY,       /* the database is empty */
};

/* Walk state shared by lmdb_get and lmdb_range (first member of both). */
struct lmdb_walk {
	__u32 why;           /* out: enum lmdb_why when the chain fails */
	__u32 phase;         /* state: enum lmdb_phase */
	__u64 txnid;         /* out: the snapshot the answer comes from */
	__u32 meta_slot;     /* out: meta page (0/1) that holds txnid */
	__u32 metas;         /* state: meta pages seen */
	__u64 meta_txnid[2]; /* state */
	__u64 meta_root[2];  /* state: MAIN_DBI root of each meta */
	__u32 meta_dbinfo[2];/* state: MAIN_DBI flags | depth << 16 */
	__u64 npages;        /* state: pages in the file (file_size / psize) */
	__u64 root;          /* state: root of the tree being walked */
	__u64 page;          /* state: pgno of the page asked for */
	__u32 depth;         /* state: md_depth of that tree */
	__u32 level;         /* state: pages of the tree read on this descent */
	__u32 db_flags;      /* state: md_flags of that tree */
	/* in: 1 if the caller read the meta pages itself and filled txnid,
	 * meta_slot, root, db_flags, depth and npages (MAIN_DBI of the newer
	 * meta); the chain then starts at the root, two reads shorter. */
	__u32 given;
	/* in (with given): branch levels the caller already descended, so that
	 * root is the page on level skip_levels + 1 on the key's path (main
	 * database lookups only; 0 = start at the real root) */
	__u32 skip_levels;
	__u32 pad;
	/* state: bounds of the binary search in progress.  They live here, not
	 * in registers, so the verifier sees them as unknown on every step and
	 * does not explore each of the 2^11 paths through the search. */
	__u32 blo, bhi;
};

enum lmdb_phase {
	LMDB_PH_META = 0, /* waiting for the two meta pages */
	LMDB_PH_DBNAME,   /* descending the main tree to a named database */
	LMDB_PH_KEY,      /* descending the tree to the key */
	LMDB_PH_NEXT,     /* range: climbing back to a parent for the next leaf */
	LMDB_PH_DOWN,     /* range: descending to the leftmost leaf of a subtree */
};

/* ---- lmdb_get ----------------------------------------------------------- */

#define LMDB_GET_BIG 1u /* out flag: value is in an overflow run (voff, vlen) */

struct lmdb_get_scratch {
	struct lmdb_walk w;
	__u16 klen;  /* in: key length, 1..511 */
	__u16 dblen; /* in: named database, 0 = the main database */
	__u32 flags; /* out: LMDB_GET_BIG */
	__u32 vlen;  /* out: value length */
	__u32 pad;
	__u64 voff;  /* out: file offset of an overflow value (after its header) */
	__u64 vpage; /* out: first page of that overflow run */
	__u8 key[LMDB_KEY_BUF];
	__u8 dbname[LMDB_KEY_BUF];
	__u8 value[LMDB_INLINE_MAX]; /* out: the value unless LMDB_GET_BIG */
};

/* ---- lmdb_range ----------------------------------------------------------- */

#define LMDB_R_LO_OPEN 0x1u /* no lower bound */
#define LMDB_R_LO_EXCL 0x2u /* lower bound is exclusive (resuming after it) */
#define LMDB_R_HI_OPEN 0x4u /* no upper bound */

struct lmdb_level {
	__u64 pgno;
	__u16 idx; /* child taken */
	__u16 n;   /* nodes of that branch page */
	__u32 pad;
};

/*
 * One output record in lmdb_range_scratch.out, 8-byte aligned:
 *   0 u16 klen  2 u16 flags (LMDB_GET_BIG)  4 u32 vlen  8 u64 voff
 *   16 key[klen]  then value[vlen] unless BIG; padded to 8
 */
#define LMDB_REC_HDR 16u
#define LMDB_RANGE_OUT 2112u
/* Stop taking leaves once the chain has used this many hops, far inside
 * the engine's cap; the adapter resumes after the last key. */
#define LMDB_SCAN_HOP_BUDGET 40u

/* The leaf's records being copied out, one byte per loop step (state in
 * the scratch area, so the verifier checks the step once). */
struct lmdb_emit {
	__u32 i, end;   /* next node of the leaf, and the first past hi */
	__u32 n;        /* nodes of the leaf */
	__u32 pos, plen;/* byte of the current record's payload, its length */
	__u32 klen;     /* key part of the payload */
	__u32 srck, srcv; /* block offsets of the key and the inline value */
	__u32 dst;      /* out[] offset of the current record's payload, ~0 = none */
	__u32 stop;     /* why emitting stopped: enum lmdb_emit_stop */
};

enum lmdb_emit_stop {
	LMDB_EMIT_RUN = 0,
	LMDB_EMIT_LEAF_DONE, /* every node up to end is out */
	LMDB_EMIT_FULL,      /* out[] or the limit is full: resume after the last key */
	LMDB_EMIT_CORRUPT,   /* a node leaves its page */
};

struct lmdb_range_scratch {
	struct lmdb_walk w;
	__u16 lo_len, hi_len, dblen, flags; /* in */
	__u32 limit;   /* in: records wanted (0 = as many as fit) */
	__u32 count;   /* out: records in out[] */
	__u32 used;    /* out: bytes of out[] used */
	__u32 more;    /* out: stopped before the end of the range */
	__u32 nstack;  /* state: branch levels above the current leaf */
	__u32 pad;
	struct lmdb_emit e;
	struct lmdb_level stack[LMDB_MAX_DEPTH];
	__u8 lo[LMDB_KEY_BUF];
	__u8 hi[LMDB_KEY_BUF];
	__u8 dbname[LMDB_KEY_BUF];
	__u8 out[LMDB_RANGE_OUT];
};

#ifndef __cplusplus
_Static_assert(sizeof(struct lmdb_get_scratch) <= CHASE_SCRATCH_SIZE, "get scratch");
_Static_assert(sizeof(struct lmdb_range_scratch) <= CHASE_SCRATCH_SIZE, "range scratch");
_Static_assert(__builtin_offsetof(struct lmdb_range_scratch, out) % 8 == 0, "records aligned");
#endif

#endif /* CHASE_LMDB_H */
