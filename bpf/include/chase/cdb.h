/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * cdb, the constant database (D. J. Bernstein's format, as tinycdb 0.78
 * writes it; checked byte by byte against files from Debian's tinycdb, see
 * bpf/FORMATS.md).  All integers are u32 little-endian, so a file is at most
 * 4 GiB.  There is no magic number.
 *
 *   0      header: 256 x (u32 pos, u32 slots)   one hash table per bucket
 *   2048   records, in insertion order:
 *            u32 klen, u32 vlen, key[klen], value[vlen]
 *   ...    the 256 hash tables, each an array of slots:
 *            u32 hash, u32 pos      pos = 0 marks an empty slot
 *
 *   hash(key): h = 5381; for each byte c: h = ((h << 5) + h) ^ c  (mod 2^32)
 *   lookup:    table = header[h & 255]; if slots == 0 the key is absent;
 *              probe slot (h >> 8) % slots, then the next ones (wrapping),
 *              at most "slots" of them, until an empty slot; a slot whose
 *              hash equals h points at a candidate record, compared by key.
 *
 * A key may have been added several times; its records are found in
 * insertion order by continuing the probe after a match (cdb_findnext).
 */
#ifndef CHASE_CDB_H
#define CHASE_CDB_H

#include "abi.h"

#define CDB_HEADER_SIZE 2048u
#define CDB_HASH_START 5381u
#define CDB_SLOT_SIZE 8u

#define CDB_MAX_KEY 1024u      /* keys this function looks up (the format has no limit) */
#define CDB_VALUE_INLINE 2048u /* values copied into the scratch area */
#define CDB_MAX_MATCHES 64u
/* A chain that has found something stops probing at this hop and leaves a
 * resume point (slot, probed), so a key with many records is listed in
 * several chains, each far inside the engine's hop cap. */
#define CDB_HOP_BUDGET 48u

enum cdb_why {
	CDB_WHY_NONE = 0,
	CDB_WHY_QUERY,       /* key empty or longer than CDB_MAX_KEY */
	CDB_WHY_HEADER,      /* the file is shorter than its header */
	CDB_WHY_TABLE,       /* a hash table lies outside the file */
	CDB_WHY_RECORD,      /* a slot points at a record outside the file */
	CDB_WHY_VALUE,       /* a record's value runs past the end of the file */
};

enum cdb_phase {
	CDB_PH_HEADER = 0, /* waiting for the header entry of the key's bucket */
	CDB_PH_SLOTS,      /* probing the bucket's hash table */
	CDB_PH_RECORD,     /* a candidate record: compare its key */
	CDB_PH_VALUE,      /* the first match's value, when it was not in the record's block */
};

/* Where a matching record's value is. */
struct cdb_match {
	__u32 voff;
	__u32 vlen;
};

/*
 * Lookup of one key: the first "limit" records of the key after skipping
 * "skip" of them (get: skip 0, limit 1).  All records of a key: repeated
 * calls, each resuming the probe at (slot, probed) where the last stopped.
 */
#define CDB_RESUME 1u
/* in: the caller read the header (it is 2 KiB, never changes and stays in
 * the page cache): tpos/tlen are the key's bucket table and given_hash the
 * key's hash, so the chain starts at the hash table, one read shorter. */
#define CDB_GIVEN_TABLE 2u

struct cdb_get_scratch {
	__u32 klen;  /* in */
	__u32 skip;  /* in: matching records to pass over */
	__u32 limit; /* in: matching records to report, 1..64 */
	__u32 flags; /* in: CDB_RESUME: probe from slot/probed as given */
	__u32 why;   /* out: enum cdb_why when the chain fails */
	__u32 phase; /* state */
	__u32 hash;  /* state: hash of the key */
	__u32 tpos;  /* in with CDB_GIVEN_TABLE, state: the bucket's hash table */
	__u32 tlen;  /* in with CDB_GIVEN_TABLE, state: its slots */
	__u32 slot;  /* in with CDB_RESUME, state, out: next slot to probe */
	__u32 probed;/* in with CDB_RESUME, state, out: slots probed */
	__u32 rpos;  /* state: candidate record */
	__u32 seen;  /* state: matching records found (skipped ones included) */
	__u32 count; /* out: matches in m[] */
	__u32 more;  /* out: 1 if the probe stopped at limit, more may follow */
	__u32 inline_value; /* out: value[] holds m[0]'s value */
	__u32 given_hash;   /* in with CDB_GIVEN_TABLE: the hash tpos/tlen belong to */
	__u32 pad;
	struct cdb_match m[CDB_MAX_MATCHES]; /* out */
	__u8 key[CDB_MAX_KEY];               /* in */
	__u8 value[CDB_VALUE_INLINE];        /* out */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct cdb_get_scratch) <= CHASE_SCRATCH_SIZE, "cdb scratch");
#endif

#endif /* CHASE_CDB_H */
