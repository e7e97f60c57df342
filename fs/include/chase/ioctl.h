/* chasefs ioctls: binary queries on an open data file under a chasefs mount.
 *
 *   int fd = open("/mnt/users.db", O_RDONLY);
 *   struct chase_ioc_get g = {.size = sizeof g, .key_len = 2};
 *   memcpy(g.data, "42", 2);
 *   if (ioctl(fd, CHASE_IOC_GET, &g) == 0)  ... g.data[0 .. g.value_len) ...
 *
 * FUSE passes ioctls of ordinary files "restricted": the argument is one
 * fixed-size struct copied in and out, at most 16383 bytes, so keys and
 * answers live inline.  Every struct starts with its own size, which the
 * daemon checks (EINVAL when it is not the size it knows).  Errors come back
 * as -1 and errno: ENOENT for an absent key, ENOTTY on a file that is not a
 * data file, EIO/EINVAL/... with the sentence in the user.chase.error
 * attribute.  Keys are in the format's text form (decimal for the chase
 * B+-tree, raw bytes for LMDB and cdb) and may hold any byte, NUL included.
 */
#ifndef CHASE_IOCTL_H
#define CHASE_IOCTL_H

#include <linux/ioctl.h>
#include <stdint.h>

#define CHASE_IOC_MAGIC 0xC4
/* Bytes of key(s) in, answer out: chase_ioc_get is exactly one page, so the
 * kernel copies one page each way per call (larger answers: the value_len
 * and CHASE_IOC_TRUNCATED tell; use F@KEY or user.chase.get.KEY then). */
#define CHASE_IOC_DATA_MAX 4080

/* Point lookup.  In: key in data[0 .. key_len).  Out: the value in
 * data[0 .. min(value_len, CHASE_IOC_DATA_MAX)); value_len is the value's
 * full length, and CHASE_IOC_TRUNCATED is set when it did not fit. */
struct chase_ioc_get {
    uint32_t size; /* sizeof(struct chase_ioc_get) */
    uint32_t key_len;
    uint32_t value_len;
    uint32_t flags;
    char data[CHASE_IOC_DATA_MAX];
};

/* Range scan.  In: lo in data[0 .. lo_len), hi right after it
 * (data[lo_len .. lo_len + hi_len)); an empty end is open.  max_records 0
 * means as many as fit.  With CHASE_IOC_LO_EXCLUSIVE the record equal to lo
 * is skipped (to continue after the last key of a previous call).  Out:
 * `count` records packed in data as {uint32 key_len, uint32 value_len, key,
 * value}, `out_len` bytes in all; CHASE_IOC_MORE when records were left out
 * because data was full. */
struct chase_ioc_range {
    uint32_t size; /* sizeof(struct chase_ioc_range) */
    uint32_t lo_len;
    uint32_t hi_len;
    uint32_t max_records;
    uint32_t flags;
    uint32_t count;
    uint32_t out_len;
    uint32_t reserved;
    char data[CHASE_IOC_DATA_MAX];
};

/* Filters of an aggregate, on each value read as a decimal number. */
enum chase_ioc_filter {
    CHASE_FILTER_NONE = 0,
    CHASE_FILTER_LT,
    CHASE_FILTER_LE,
    CHASE_FILTER_EQ,
    CHASE_FILTER_NE,
    CHASE_FILTER_GE,
    CHASE_FILTER_GT,
};

/* Count (and with want_sum, sum) of the records lo <= key <= hi that pass
 * the filter.  In: lo and hi as in chase_ioc_range.  Out: count, sum (mod
 * 2^64, overflow set if it wrapped), numeric (records with a numeric value). */
struct chase_ioc_agg {
    uint32_t size; /* sizeof(struct chase_ioc_agg) */
    uint32_t lo_len;
    uint32_t hi_len;
    uint32_t filter; /* enum chase_ioc_filter */
    uint64_t filter_arg;
    uint32_t want_sum;
    uint32_t overflow;
    uint64_t count;
    uint64_t sum;
    uint64_t numeric;
    char data[CHASE_IOC_DATA_MAX];
};

/* One hop of a traced lookup (chasectl trace). */
struct chase_ioc_hop {
    uint64_t offset; /* of the block read for this hop */
    uint32_t len;
    uint32_t hop;  /* 0 is the start call, which reads nothing */
    int32_t ret;   /* the function's return for this hop */
    uint32_t how;  /* CHASE_HOP_* bits (was reserved, always 0, before) */
    uint64_t t_ns; /* since the lookup started */
};

/* chase_ioc_hop.how: where the hop's block came from, what the daemon did. */
#define CHASE_HOP_READ 0x1u          /* read from the device for this hop */
#define CHASE_HOP_CACHE 0x2u         /* served from the daemon's block cache */
#define CHASE_HOP_MEMORY 0x4u        /* a window of a block the daemon holds */
#define CHASE_HOP_CHECKED 0x8u       /* checksum verified before the function ran */
#define CHASE_HOP_DECOMPRESSED 0x10u /* stored compressed, decompressed */

#define CHASE_IOC_TRACE_HOPS 256
#define CHASE_IOC_TRACE_KEY_MAX 1024
#define CHASE_IOC_TRACE_VALUE_MAX 1024

/* A point lookup that also returns its hops.  In: key.  Out: status (0, or
 * -errno of the lookup itself, e.g. -ENOENT: the trace is still returned),
 * the hops (nhops of them; CHASE_IOC_TRUNCATED if there were more) and the
 * value. */
struct chase_ioc_trace {
    uint32_t size; /* sizeof(struct chase_ioc_trace) */
    uint32_t key_len;
    int32_t status;
    uint32_t nhops;
    uint32_t value_len;
    uint32_t flags;
    char key[CHASE_IOC_TRACE_KEY_MAX];
    struct chase_ioc_hop hops[CHASE_IOC_TRACE_HOPS];
    char value[CHASE_IOC_TRACE_VALUE_MAX];
};

#define CHASE_IOC_TRUNCATED 0x1u    /* get: out */
#define CHASE_IOC_MORE 0x2u         /* range: out */
#define CHASE_IOC_LO_EXCLUSIVE 0x4u /* range: in */

#define CHASE_IOC_GET _IOWR(CHASE_IOC_MAGIC, 1, struct chase_ioc_get)
#define CHASE_IOC_RANGE _IOWR(CHASE_IOC_MAGIC, 2, struct chase_ioc_range)
#define CHASE_IOC_AGG _IOWR(CHASE_IOC_MAGIC, 3, struct chase_ioc_agg)
#define CHASE_IOC_TRACE _IOWR(CHASE_IOC_MAGIC, 4, struct chase_ioc_trace)

#endif /* CHASE_IOCTL_H */
