/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The storage-function ABI: what one hop of a chain looks like to the
 * function, to every engine in user space and to the kernel path.
 *
 * A chain is a sequence of calls ("hops") of one storage function over one
 * file.  Hop 0 is the start call: no block, the function reads its query from
 * the scratch area and names the first read(s).  Every later hop delivers one
 * block that the function asked for.  The function answers CHASE_CONTINUE
 * (with at least one next read), CHASE_DONE, or a negative errno.
 *
 *   per chain   scratch   4096 bytes, read-write, query in / state / answer out
 *   per hop     block     up to 4096 bytes, read-only
 *               hop       struct chase_hop: where the block came from, and the
 *                         next read(s) the function asks for
 *
 * Alignment.  Engines read with O_DIRECT, so a read of [off, off + len) is
 * served from the 512-byte boundary at or below off: hop->offset is that
 * boundary and hop->len the number of valid bytes (at most 4096, fewer at
 * the end of the file).  A function finds its bytes at (off - hop->offset).
 * Asking for a length of 0 means "as much as fits" (4096).  Chains whose
 * blocks the daemon prepares (compressed, checksummed or larger than a hop;
 * bpf/README.md) get exactly the bytes asked for: hop->offset is then off
 * itself, so (off - hop->offset) still finds them.
 *
 * Engines enforce: at most CHASE_MAX_FANOUT next reads per hop, every next
 * offset inside [0, file_size), and a hop cap (CHASE_DEFAULT_HOP_CAP unless
 * the request sets another), so a corrupt file or a buggy function can
 * neither loop forever nor read outside its file.
 *
 * This header is plain C with fixed-size types so that BPF programs, the
 * C++ library and the kernel patch share it byte for byte.
 */
#ifndef CHASE_ABI_H
#define CHASE_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define CHASE_BLOCK_SIZE 4096u
#define CHASE_SCRATCH_SIZE 4096u
#define CHASE_IO_ALIGN 512u
#define CHASE_MAX_FANOUT 16u
#define CHASE_DEFAULT_HOP_CAP 64u

/* Return values of a storage function; anything negative is -errno. */
#define CHASE_CONTINUE 0
#define CHASE_DONE 1

/*
 * Errors the engines themselves end a chain with, so an application can
 * tell a broken chain from a missing key (-ENOENT, returned by functions).
 */
#define CHASE_E_HOPCAP 40   /* ELOOP: hop cap reached */
#define CHASE_E_RANGE 34    /* ERANGE: next read outside the file */
#define CHASE_E_FANOUT 7    /* E2BIG: more than CHASE_MAX_FANOUT next reads */
#define CHASE_E_PROTO 71    /* EPROTO: CONTINUE without a next read */
#define CHASE_E_CORRUPT 117 /* EUCLEAN: the function found a corrupt structure */

/* One hop, as the function sees it.  Fields marked "in" are set by the
 * engine before the call; the function writes only the "out" fields. */
struct chase_hop {
	__u64 offset;    /* in: file offset of block[0] (512-aligned) */
	__u64 file_size; /* in: size of the file the chain runs over */
	__u32 len;       /* in: valid bytes in the block, 0 on the start call */
	__u32 hop;       /* in: 0 for the start call, then 1, 2, ... */
	__s32 ret;       /* out (syscall target): the function's return value */
	__u32 n_next;    /* out: number of next reads */
	__u64 next_off[CHASE_MAX_FANOUT];
	__u32 next_len[CHASE_MAX_FANOUT];
	__u64 sdk_private; /* the SDK's own use (see chase_unknown()) */
};

/* What a function gets on each hop, whatever the target (the native
 * target's entry point chase_native_<name> takes exactly this). */
struct chase_ctx {
	const __u8 *block;
	__u8 *scratch;
	struct chase_hop *hop;
};

/*
 * The syscall target.  One BPF_PROG_RUN runs the function on a batch of
 * completed hops: ctx_in is struct chase_batch_args, entry i of the batch
 * map says which block/hop slot and which chain's scratch to use.
 */
struct chase_batch_entry {
	__u32 slot;  /* index into the block and hop maps */
	__u32 chain; /* index into the scratch map */
};

struct chase_batch_args {
	__u32 n; /* entries of the batch map to run */
	__u32 pad;
};

#define CHASE_MAX_BATCH 1024u

/* Map names every syscall-target object carries (the engine sizes and
 * mmaps them; they are BPF_F_MMAPABLE arrays, blocks are BPF_F_RDONLY_PROG). */
#define CHASE_MAP_BLOCKS "chase_blocks"
#define CHASE_MAP_SCRATCH "chase_scratch"
#define CHASE_MAP_HOPS "chase_hops"
#define CHASE_MAP_BATCH "chase_batch"

/*
 * The kernel target.  The context of a BPF_PROG_TYPE_CHASE program; the
 * patched verifier types block, scratch and hop as bounded memory regions
 * of CHASE_BLOCK_SIZE, CHASE_SCRATCH_SIZE and sizeof(struct chase_hop).
 */
struct chase_kern_ctx {
	__u8 *block;
	__u8 *scratch;
	struct chase_hop *hop;
};

#endif /* CHASE_ABI_H */
