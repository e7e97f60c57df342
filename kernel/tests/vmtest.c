// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * chase-vmtest: the kernel engine's tests, run inside the VM.
 *
 *   chase-vmtest DIR OBJDIR DEVNAME
 *
 * DIR holds the data files (bpt1.db .. bpt3.db made by chase-mkindex with
 * --levels N --stride 3, so key k exists iff k % 3 == 0 and k < 3 * 31^N,
 * and its value is k in decimal).  OBJDIR holds the kernel-target objects
 * (<fn>.kernel.bpf.o).  DEVNAME is the disk's name in /sys/block, for the
 * device-read counts.
 *
 * Every answer of the kernel engine (one pread on the tagged O_DIRECT fd)
 * is compared byte for byte, scratch and return code, with the user-space
 * oracle: the same storage function compiled natively, driven by a pread
 * loop that follows the engine rules of bpf/include/chase/abi.h.  That
 * loop is also the baseline for the counts.
 *
 * Output: one "CHASE-TEST name PASS|FAIL detail" line per test and
 * "CHASE-COUNT ..." lines; exit status 1 if anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <liburing.h>

#include "chase/abi.h"
#include "chase/bptree.h"

/* From the patched kernel's <linux/chase.h>. */
#define CHASE_PROG_TYPE 64
#define F_CHASE_ATTACH (1024 + 128)
struct chase_attach {
	__s32 prog_fd;
	__u32 hop_cap;
	__u32 flags;
	__u32 pad;
};

int chase_native_bptree_get(struct chase_ctx *ctx);
int chase_native_bptree_range(struct chase_ctx *ctx);
int chase_native_bptree_agg(struct chase_ctx *ctx);

static int failed;
static const char *datadir, *objdir, *devname;

static void report(const char *name, int ok, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("CHASE-TEST %s %s %s\n", name, ok ? "PASS" : "FAIL", detail);
	fflush(stdout);
	if (!ok)
		failed = 1;
}

/* ---- the oracle: native function + pread loop ---------------------------- */

struct counts {
	uint64_t lookups, syscalls, hops;
};

static uint8_t *alloc_block(void)
{
	void *p;

	if (posix_memalign(&p, 4096, CHASE_BLOCK_SIZE))
		abort();
	memset(p, 0, CHASE_BLOCK_SIZE);
	return p;
}

/* One call of a function: what it was given and what it said, as the
 * tracepoint chase:chase_hop reports it. */
struct hop_event {
	uint64_t offset;
	uint32_t hop, len, n_next;
	int ret;
};

/* When set, oracle_run() records every call here. */
static struct hop_event *oracle_events;
static size_t oracle_nevents, oracle_events_cap;

static int oracle_call(int (*fn)(struct chase_ctx *), struct chase_ctx *ctx)
{
	struct hop_event e = { .offset = ctx->hop->offset, .hop = ctx->hop->hop, .len = ctx->hop->len };

	e.ret = fn(ctx);
	e.n_next = ctx->hop->n_next;
	if (oracle_events && oracle_nevents < oracle_events_cap)
		oracle_events[oracle_nevents++] = e;
	return e.ret;
}

/* Run one chain in user space; CHASE_DONE or -errno, like the kernel. */
static int oracle_run(int fd, int (*fn)(struct chase_ctx *), uint8_t *scratch, unsigned hop_cap,
		      struct counts *cnt)
{
	static uint8_t *block;
	struct chase_hop hop;
	struct chase_ctx ctx = { 0 };
	uint64_t next_off[CHASE_MAX_FANOUT], round_off[CHASE_MAX_FANOUT];
	uint32_t next_len[CHASE_MAX_FANOUT], round_len[CHASE_MAX_FANOUT];
	unsigned n_next = 0, hops = 0, too_many = 0;
	int end = 0;
	struct stat st;

	if (!block)
		block = alloc_block();
	ctx.block = block;
	ctx.scratch = scratch;
	ctx.hop = &hop;

#define CALL_AND_COLLECT()                                                             \
	do {                                                                           \
		int r_ = oracle_call(fn, &ctx);                                        \
		if (r_ < 0) {                                                          \
			if (end >= 0)                                                  \
				end = r_;                                              \
		} else if (r_ == CHASE_DONE) {                                         \
			if (end == 0)                                                  \
				end = CHASE_DONE;                                      \
		} else if (r_ != CHASE_CONTINUE) {                                     \
			if (end >= 0)                                                  \
				end = -EPROTO;                                         \
		} else if (hop.n_next > CHASE_MAX_FANOUT) {                            \
			if (end >= 0)                                                  \
				end = -E2BIG;                                          \
		} else {                                                               \
			for (unsigned i_ = 0; i_ < hop.n_next; i_++) {                 \
				if (hop.next_off[i_] >= hop.file_size) {               \
					if (end >= 0)                                  \
						end = -ERANGE;                         \
					break;                                         \
				}                                                      \
				if (n_next == CHASE_MAX_FANOUT) {                      \
					too_many = 1;                                  \
					break;                                         \
				}                                                      \
				next_off[n_next] = hop.next_off[i_];                   \
				next_len[n_next++] = hop.next_len[i_];                 \
			}                                                              \
		}                                                                      \
	} while (0)

	fstat(fd, &st);
	memset(&hop, 0, sizeof(hop));
	memset(block, 0, CHASE_BLOCK_SIZE);
	hop.file_size = st.st_size;
	CALL_AND_COLLECT();
	for (;;) {
		unsigned n_round;

		if (end)
			return end;
		if (!n_next)
			return -EPROTO;
		if (too_many)
			return -E2BIG;
		if (hops + n_next > hop_cap)
			return -ELOOP;
		n_round = n_next;
		memcpy(round_off, next_off, sizeof(round_off));
		memcpy(round_len, next_len, sizeof(round_len));
		n_next = 0;
		for (unsigned i = 0; i < n_round; i++) {
			uint64_t pos = round_off[i] & ~(uint64_t)(CHASE_IO_ALIGN - 1);
			uint64_t want = round_off[i] - pos + (round_len[i] ? round_len[i] : CHASE_BLOCK_SIZE);
			uint32_t len = want > CHASE_BLOCK_SIZE ? CHASE_BLOCK_SIZE
							       : (want + CHASE_IO_ALIGN - 1) & ~(CHASE_IO_ALIGN - 1);
			ssize_t got = pread(fd, block, len, pos);

			if (cnt)
				cnt->syscalls++;
			if (got < 0)
				return -errno;
			if (got < CHASE_BLOCK_SIZE)
				memset(block + got, 0, CHASE_BLOCK_SIZE - got);
			hops++;
			if (cnt)
				cnt->hops++;
			fstat(fd, &st);
			memset(&hop, 0, sizeof(hop));
			hop.offset = pos;
			hop.len = got;
			hop.hop = hops;
			hop.file_size = st.st_size;
			CALL_AND_COLLECT();
		}
	}
#undef CALL_AND_COLLECT
}

/* ---- the kernel engine ------------------------------------------------------ */

static int attach(int fd, int prog_fd, unsigned hop_cap)
{
	struct chase_attach a = { .prog_fd = prog_fd, .hop_cap = hop_cap };

	return fcntl(fd, F_CHASE_ATTACH, &a) ? -errno : 0;
}

static int kernel_run(int fd, uint8_t *scratch, struct counts *cnt)
{
	ssize_t r = pread(fd, scratch, CHASE_SCRATCH_SIZE, 0);

	if (cnt)
		cnt->syscalls++;
	if (r == CHASE_SCRATCH_SIZE)
		return CHASE_DONE;
	if (r < 0)
		return -errno;
	return -EIO;
}

static char libbpf_log[65536];
static size_t libbpf_log_len;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_log_len < sizeof(libbpf_log) - 1)
		libbpf_log_len += vsnprintf(libbpf_log + libbpf_log_len,
					    sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
	if (libbpf_log_len >= sizeof(libbpf_log))
		libbpf_log_len = sizeof(libbpf_log) - 1;
	return 0;
}

/* Load <objdir>/<name>.kernel.bpf.o; the program's fd or -errno. */
static int load_function(const char *name)
{
	char path[512];
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	snprintf(path, sizeof(path), "%s/%s.kernel.bpf.o", objdir, name);
	libbpf_log_len = 0;
	libbpf_log[0] = 0;
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_type(prog, CHASE_PROG_TYPE);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n%s\n", name, strerror(-err), libbpf_log);
		return err;
	}
	prog = bpf_object__find_program_by_name(obj, name);
	return prog ? bpf_program__fd(prog) : -ENOENT;
}

/* Every storage function in objdir (all formats) loads as a chase program. */
static void test_load_all(void)
{
	char cmd[600], line[512];
	FILE *ls;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s", objdir);
	ls = popen(cmd, "r");
	while (ls && fgets(line, sizeof(line), ls)) {
		char *dot = strstr(line, ".kernel.bpf.o"), name[600];
		int fd;

		if (!dot)
			continue;
		*dot = 0;
		fd = load_function(line);
		snprintf(name, sizeof(name), "load-all-%s", line);
		report(name, fd >= 0, "%s", fd >= 0 ? "" : strerror(-fd));
		n++;
	}
	if (ls)
		pclose(ls);
	report("load-all-found-objects", n >= 3, "%d objects", n);
}

/* ---- raw programs -------------------------------------------------------------- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define MOVI(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOVR(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADDR(d, s) INSN(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define ANDI(d, i) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define LSHI(d, i) INSN(BPF_ALU64 | BPF_LSH | BPF_K, d, 0, 0, i)
#define JEQI(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JNEI(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* ctx offsets and struct chase_hop offsets */
#define CTX_BLOCK 0
#define CTX_SCRATCH 8
#define CTX_HOP 16
#define HOP_OFFSET 0
#define HOP_FILE_SIZE 8
#define HOP_LEN 16
#define HOP_HOP 20
#define HOP_N_NEXT 28
#define HOP_NEXT_OFF 32

static char verifier_log[1 << 16];

static int load_raw(const struct bpf_insn *insns, size_t n, char *log, size_t logsz)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = logsz, .log_level = 1);
	int fd;

	log[0] = 0;
	fd = bpf_prog_load(CHASE_PROG_TYPE, "raw", "GPL", insns, n, &opts);
	return fd < 0 ? -errno : fd;
}

/* The verifier's verdict: the last line of its log that is not a statistic. */
static const char *last_line(char *log)
{
	char *end = log + strlen(log), *p;

	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			*--end = 0;
		p = strrchr(log, '\n');
		p = p ? p + 1 : log;
		if (p == log || (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
				 strncmp(p, "stack depth", 11)))
			return p;
		end = p;
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct hostile {
	const char *name;
	const char *expect; /* substring of the verifier's log */
	struct bpf_insn insns[16];
	size_t n;
};

static void test_verifier(void)
{
	static const struct hostile cases[] = {
		{ "oob-block-read", "invalid access to memory",
		  { LDX(BPF_DW, 2, 1, CTX_BLOCK), LDX(BPF_B, 0, 2, 4096), EXIT() }, 3 },
		{ "oob-scratch-write", "invalid access to memory",
		  { LDX(BPF_DW, 2, 1, CTX_SCRATCH), ST(BPF_DW, 2, 4092, 0), MOVI(0, 1), EXIT() }, 4 },
		{ "oob-hop-read", "invalid access to memory",
		  { LDX(BPF_DW, 2, 1, CTX_HOP), LDX(BPF_W, 0, 2, sizeof(struct chase_hop)), EXIT() }, 3 },
		{ "unbounded-variable-offset", "unbounded min value",
		  { LDX(BPF_DW, 2, 1, CTX_BLOCK), LDX(BPF_DW, 3, 2, 0), ADDR(2, 3), LDX(BPF_B, 0, 2, 0),
		    EXIT() }, 5 },
		{ "write-to-block", "cannot write into",
		  { LDX(BPF_DW, 2, 1, CTX_BLOCK), ST(BPF_B, 2, 0, 1), MOVI(0, 1), EXIT() }, 4 },
		{ "write-to-ctx", "stores into R1 ctx is not allowed",
		  { ST(BPF_DW, 1, 0, 0), MOVI(0, 1), EXIT() }, 3 },
		{ "narrow-ctx-read", "invalid bpf_context access",
		  { LDX(BPF_W, 2, 1, CTX_BLOCK), MOVI(0, 1), EXIT() }, 3 },
		{ "ctx-read-past-end", "invalid bpf_context access",
		  { LDX(BPF_DW, 2, 1, 24), MOVI(0, 1), EXIT() }, 3 },
		{ "pointer-leak-into-scratch", "leaks addr",
		  { LDX(BPF_DW, 2, 1, CTX_BLOCK), LDX(BPF_DW, 3, 1, CTX_SCRATCH), STX(BPF_DW, 3, 2, 0),
		    MOVI(0, 1), EXIT() }, 5 },
		{ "stack-pointer-leak-into-hop", "leaks addr",
		  { LDX(BPF_DW, 3, 1, CTX_HOP), MOVR(2, 10), STX(BPF_DW, 3, 2, HOP_NEXT_OFF),
		    MOVI(0, 1), EXIT() }, 5 },
		{ "unbounded-loop", "infinite loop detected",
		  { LDX(BPF_DW, 3, 1, CTX_HOP), LDX(BPF_W, 2, 3, 16), JEQI(2, 0, 1), JA(-2), MOVI(0, 1),
		    EXIT() }, 6 },
		{ "write-into-ctx-pointer-field", "stores into R1 ctx is not allowed",
		  { ST(BPF_DW, 1, CTX_SCRATCH, 0), MOVI(0, 1), EXIT() }, 3 },
		{ "forbidden-helper-ktime", "unknown func",
		  { CALL(BPF_FUNC_ktime_get_ns), MOVI(0, 1), EXIT() }, 3 },
		{ "forbidden-helper-printk", "unknown func",
		  { CALL(BPF_FUNC_trace_printk), MOVI(0, 1), EXIT() }, 3 },
		{ "forbidden-helper-probe-read", "unknown func",
		  { CALL(BPF_FUNC_probe_read_kernel), MOVI(0, 1), EXIT() }, 3 },
		{ "no-return-value", "R0 !read_ok",
		  { EXIT() }, 1 },
	};
	static const struct bpf_insn good[] = {
		/* r0 = block[hop->len & 4095]; bounded by the mask: accepted */
		LDX(BPF_DW, 2, 1, CTX_BLOCK), LDX(BPF_DW, 3, 1, CTX_HOP), LDX(BPF_W, 4, 3, 16),
		ANDI(4, 4095), ADDR(2, 4), LDX(BPF_B, 0, 2, 0), MOVI(0, 1), EXIT(),
	};
	int fd;

	fd = load_raw(good, N(good), verifier_log, sizeof(verifier_log));
	report("verifier-accepts-bounded-program", fd >= 0, "%s",
	       fd >= 0 ? "" : last_line(verifier_log));
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < N(cases); i++) {
		char name[128];

		fd = load_raw(cases[i].insns, cases[i].n, verifier_log, sizeof(verifier_log));
		snprintf(name, sizeof(name), "verifier-refuses-%s", cases[i].name);
		if (fd >= 0) {
			close(fd);
			report(name, 0, "loaded");
			continue;
		}
		if (!strstr(verifier_log, cases[i].expect))
			fprintf(stderr, "%s: verifier log:\n%s\n", name, verifier_log);
		report(name, fd == -EACCES || fd == -EINVAL ? strstr(verifier_log, cases[i].expect) != NULL : 0,
		       "errno=%d: %s", -fd, last_line(verifier_log));
	}
}

/* ---- helpers for files ------------------------------------------------------------ */

static int open_direct(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	return open(path, O_RDONLY | O_DIRECT);
}

/* The pointer bounds a caller copies from the superblock into every query. */
static struct bpt_bounds bounds_of(int fd)
{
	struct bpt_bounds b = { 0, 0 };
	uint8_t *blk = alloc_block();
	struct bpt_super *sb = (void *)blk;

	if (pread(fd, blk, CHASE_BLOCK_SIZE, 0) >= (ssize_t)sizeof(*sb) && sb->magic == BPT_MAGIC) {
		b.log_off = sb->log_off;
		b.log_end = sb->log_off + sb->log_size;
	}
	free(blk);
	return b;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t nkeys_of_depth(int depth)
{
	uint64_t n = 1;

	while (depth--)
		n *= 31;
	return n;
}

static uint64_t chase_stat(const char *key);

/* Run one query on both engines; 1 if they agree (return code and scratch). */
static int compare_cap(int kfd, int ofd, int (*fn)(struct chase_ctx *), const void *query, size_t qlen,
		       unsigned cap, int *ret_out, uint8_t *answer_out, char *why, size_t whylen)
{
	uint8_t ks[CHASE_SCRATCH_SIZE], os[CHASE_SCRATCH_SIZE];
	int kr, orr;

	memset(ks, 0, sizeof(ks));
	memcpy(ks, query, qlen);
	memcpy(os, ks, sizeof(os));
	uint64_t h0 = chase_stat("hops"), h1;
	struct counts oc = { 0 };

	kr = kernel_run(kfd, ks, NULL);
	h1 = chase_stat("hops");
	orr = oracle_run(ofd, fn, os, cap, &oc);
	if (ret_out)
		*ret_out = kr;
	if (answer_out)
		memcpy(answer_out, ks, sizeof(ks));
	if (kr != orr) {
		snprintf(why, whylen, "kernel %d, oracle %d", kr, orr);
		return 0;
	}
	if (kr == CHASE_DONE && memcmp(ks, os, sizeof(ks))) {
		size_t at = 0;

		while (ks[at] == os[at])
			at++;
		if (getenv("CHASE_VMTEST_ONLY")) {
			for (size_t w = 0; w < 80; w++)
				fprintf(stderr, "scratch[%zu] kernel %llx oracle %llx\n", w * 8,
					((unsigned long long *)ks)[w], ((unsigned long long *)os)[w]);
			for (size_t w = 576 / 8; w < 4096 / 8; w++)
				if (((unsigned long long *)ks)[w] != ((unsigned long long *)os)[w])
					fprintf(stderr, "scratch[%zu] kernel %llx oracle %llx\n", w * 8,
						((unsigned long long *)ks)[w], ((unsigned long long *)os)[w]);
		}
		snprintf(why, whylen,
			 "scratch differs at byte %zu: kernel %02x oracle %02x (hops: kernel %llu oracle %llu)",
			 at, ks[at], os[at], (unsigned long long)(h1 - h0 - 1),
			 (unsigned long long)oc.hops);
		return 0;
	}
	return 1;
}

static int compare(int kfd, int ofd, int (*fn)(struct chase_ctx *), const void *query, size_t qlen,
		   int *ret_out, uint8_t *answer_out, char *why, size_t whylen)
{
	return compare_cap(kfd, ofd, fn, query, qlen, CHASE_DEFAULT_HOP_CAP, ret_out, answer_out, why,
			   whylen);
}

/* ---- B+-tree tests ------------------------------------------------------------------ */

static int prog_get, prog_range, prog_agg;

static void test_bptree_get(int depth)
{
	char name[64], path[64], why[128] = "";
	uint64_t nk = nkeys_of_depth(depth) * 3, tried = 0, found = 0, missing = 0;
	struct bpt_bounds b;
	int kfd, ofd, ok = 1, done = 0;

	snprintf(path, sizeof(path), "bpt%d.db", depth);
	snprintf(name, sizeof(name), "bptree-get-depth%d", depth);
	kfd = open_direct(path);
	ofd = open_direct(path);
	if (kfd < 0 || ofd < 0 || attach(kfd, prog_get, 0)) {
		report(name, 0, "open/attach %s: %s", path, strerror(errno));
		return;
	}
	b = bounds_of(ofd);
	for (uint64_t i = 0; i < 250 && ok; i++) {
		struct bpt_get_scratch q = { .bounds = b, .nkeys = 1 };
		uint8_t ans[CHASE_SCRATCH_SIZE];
		struct bpt_get_scratch *a = (void *)ans;
		int r;

		/* the edges, then random keys inside and just outside the range */
		if (i < 6)
			q.keys[0] = (uint64_t[]){ 0, 1, 3, nk - 3, nk - 2, nk }[i];
		else
			q.keys[0] = rnd() % (nk + 30);
		ok = compare(kfd, ofd, chase_native_bptree_get, &q, sizeof(q), &r, ans, why,
			     sizeof(why));
		tried++;
		if (!ok)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " key %llu",
				 (unsigned long long)q.keys[0]);
		else if (q.keys[0] % 3 == 0 && q.keys[0] < nk) {
			char want[32];

			snprintf(want, sizeof(want), "%llu", (unsigned long long)q.keys[0]);
			found++;
			if (r != CHASE_DONE || !a->found[0] || strcmp((char *)a->values[0], want)) {
				ok = 0;
				snprintf(why, sizeof(why), "key %s: ret %d value '%.63s'", want, r,
					 (char *)a->values[0]);
			}
		} else {
			missing++;
			if (r != -ENOENT) {
				ok = 0;
				snprintf(why, sizeof(why), "missing key %llu: ret %d",
					 (unsigned long long)q.keys[0], r);
			}
		}
	}
	report(name, ok, "%llu lookups (%llu found, %llu missing) %s", (unsigned long long)tried,
	       (unsigned long long)found, (unsigned long long)missing, ok ? "" : why);

	/* batches of up to 32 keys, some missing; the hop cap grows with the
	 * batch as libchase sets it */
	snprintf(name, sizeof(name), "bptree-get-batch-depth%d", depth);
	ok = 1;
	for (int bt = 0; bt < 20 && ok; bt++) {
		struct bpt_get_scratch q = { .bounds = b, .nkeys = 1 + rnd() % BPT_GET_MAX };
		int r;

		for (unsigned k = 0; k < q.nkeys; k++)
			q.keys[k] = rnd() % (nk + 30);
		if (attach(kfd, prog_get, CHASE_DEFAULT_HOP_CAP * q.nkeys)) {
			ok = 0;
			snprintf(why, sizeof(why), "attach: %s", strerror(errno));
			break;
		}
		ok = compare_cap(kfd, ofd, chase_native_bptree_get, &q, sizeof(q), CHASE_DEFAULT_HOP_CAP * q.nkeys,
				 &r, NULL, why, sizeof(why));
		done += r == CHASE_DONE;
	}
	report(name, ok && done > 0, "20 batches, %d answered %s", done, ok ? "" : why);
	close(kfd);
	close(ofd);
}

static void test_bptree_scans(int depth)
{
	char name[64], path[64], why[128] = "";
	uint64_t nk = nkeys_of_depth(depth) * 3;
	int kfd, ofd, ok = 1, afd, aofd, r, answered = 0, nonempty = 0;
	struct bpt_bounds b;

	snprintf(path, sizeof(path), "bpt%d.db", depth);
	kfd = open_direct(path);
	ofd = open_direct(path);
	afd = open_direct(path);
	aofd = open_direct(path);
	if (kfd < 0 || ofd < 0 || afd < 0 || attach(kfd, prog_range, 0) || attach(afd, prog_agg, 0)) {
		report("bptree-scan-open", 0, "%s: %s", path, strerror(errno));
		return;
	}
	b = bounds_of(ofd);
	for (int i = 0; i < 40 && ok; i++) {
		struct bpt_range_scratch q = { 0 };
		uint8_t ans[CHASE_SCRATCH_SIZE];
		uint64_t lo = rnd() % (nk + 10);

		q.scan.bounds = b;
		q.scan.lo = lo;
		q.scan.hi = lo + (i % 4 == 3 ? 3000 : rnd() % 200);
		q.limit = 1 + rnd() % BPT_SCAN_MAX;
		ok = compare(kfd, ofd, chase_native_bptree_range, &q, sizeof(q), &r, ans, why,
			     sizeof(why));
		answered += r == CHASE_DONE;
		nonempty += r == CHASE_DONE && ((struct bpt_range_scratch *)ans)->count > 0;
	}
	snprintf(name, sizeof(name), "bptree-range-depth%d", depth);
	report(name, ok && nonempty > 0, "40 ranges, %d answered, %d non-empty %s", answered, nonempty,
	       ok ? "" : why);

	ok = 1;
	answered = nonempty = 0;
	for (int i = 0; i < 40 && ok; i++) {
		struct bpt_agg_scratch q = { 0 };
		uint8_t ans[CHASE_SCRATCH_SIZE];
		uint64_t lo = rnd() % (nk + 10);

		q.scan.bounds = b;
		q.scan.lo = lo;
		q.scan.hi = lo + rnd() % 300;
		q.op = rnd() % (BPT_F_GT + 1);
		q.need_values = q.op != BPT_F_NONE || (rnd() & 1);
		q.arg = lo + rnd() % 300;
		ok = compare(afd, aofd, chase_native_bptree_agg, &q, sizeof(q), &r, ans, why,
			     sizeof(why));
		if (getenv("CHASE_VMTEST_ONLY"))
			fprintf(stderr, "agg d%d lo %llu hi %llu op %u nv %u: %d %s\n", depth,
				(unsigned long long)q.scan.lo, (unsigned long long)q.scan.hi, q.op,
				q.need_values, r, ok ? "" : why);
		answered += r == CHASE_DONE;
		nonempty += r == CHASE_DONE && ((struct bpt_agg_scratch *)ans)->count > 0;
	}
	snprintf(name, sizeof(name), "bptree-agg-depth%d", depth);
	report(name, ok && nonempty > 0, "40 aggregates, %d answered, %d non-empty %s", answered,
	       nonempty, ok ? "" : why);
	close(kfd);
	close(ofd);
	close(afd);
	close(aofd);
}

/* preadv with two halves and an io_uring read give the pread answer. */
static void test_read_paths(void)
{
	struct bpt_get_scratch q = { .nkeys = 1, .keys = { 300 } };
	uint8_t a[CHASE_SCRATCH_SIZE], b[CHASE_SCRATCH_SIZE], c[CHASE_SCRATCH_SIZE];
	struct iovec iov[2] = { { b, 2048 }, { b + 2048, 2048 } };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int fd = open_direct("bpt2.db"), ok;
	ssize_t r;

	if (fd < 0 || attach(fd, prog_get, 0)) {
		report("read-paths", 0, "open/attach: %s", strerror(errno));
		return;
	}
	{
		int ofd = open_direct("bpt2.db");

		q.bounds = bounds_of(ofd);
		close(ofd);
	}
	memset(a, 0, sizeof(a));
	memcpy(a, &q, sizeof(q));
	memcpy(b, a, sizeof(a));
	memcpy(c, a, sizeof(a));
	ok = kernel_run(fd, a, NULL) == CHASE_DONE && !strcmp((char *)((struct bpt_get_scratch *)a)->values[0], "300");
	report("read-pread", ok, "");
	r = preadv(fd, iov, 2, 0);
	report("read-preadv", r == CHASE_SCRATCH_SIZE && !memcmp(a, b, sizeof(a)), "ret %zd", r);
	if (io_uring_queue_init(4, &ring, 0)) {
		report("read-io-uring", 0, "io_uring_queue_init: %s", strerror(errno));
	} else {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_read(sqe, fd, c, CHASE_SCRATCH_SIZE, 0);
		io_uring_submit(&ring);
		r = io_uring_wait_cqe(&ring, &cqe) ? -1 : cqe->res;
		report("read-io-uring", r == CHASE_SCRATCH_SIZE && !memcmp(a, c, sizeof(a)), "res %zd", r);
		io_uring_queue_exit(&ring);
	}
	close(fd);
}

/* The tag's own errors, and detaching. */
static void test_attach_errors(void)
{
	char path[512];
	/* aligned: after the detach this is an ordinary O_DIRECT read */
	static uint8_t buf[CHASE_SCRATCH_SIZE] __attribute__((aligned(4096)));
	int fd, bfd, r;

	snprintf(path, sizeof(path), "%s/bpt1.db", datadir);
	bfd = open(path, O_RDONLY);
	r = attach(bfd, prog_get, 0);
	report("attach-needs-odirect", r == -EINVAL, "got %d", r);
	close(bfd);
	fd = open_direct("bpt1.db");
	r = attach(fd, 12345, 0);
	report("attach-bad-prog-fd", r == -EBADF, "got %d", r);
	r = attach(fd, fd, 0);
	report("attach-not-a-prog", r == -EINVAL, "got %d", r);
	r = attach(fd, prog_get, CHASE_DEFAULT_HOP_CAP * 1000);
	report("attach-hop-cap-too-big", r == -EINVAL, "got %d", r);
	{
		struct chase_attach a = { .prog_fd = prog_get, .flags = 1 };

		r = fcntl(fd, F_CHASE_ATTACH, &a) ? -errno : 0;
		report("attach-unknown-flags", r == -EINVAL, "got %d", r);
		r = fcntl(fd, F_CHASE_ATTACH, (void *)8) ? -errno : 0;
		report("attach-bad-pointer", r == -EFAULT, "got %d", r);
	}
	r = attach(fd, prog_get, 0);
	report("attach", r == 0, "got %d", r);
	memset(buf, 0, sizeof(buf));
	r = pread(fd, buf, 512, 0) < 0 ? -errno : 0;
	report("tagged-read-wrong-size", r == -EINVAL, "got %d", r);
	r = pread(fd, buf, sizeof(buf), 4096) < 0 ? -errno : 0;
	report("tagged-read-nonzero-offset", r == -EINVAL, "got %d", r);
	{
		struct bpt_get_scratch *q = (void *)buf;

		memset(buf, 0, sizeof(buf));
		q->nkeys = 0;
		r = kernel_run(fd, buf, NULL);
		report("function-error-passes-through", r == -EINVAL, "nkeys 0 -> %d", r);
	}
	r = attach(fd, -1, 0);
	{
		struct bpt_super *s = (void *)buf;
		ssize_t n;

		r = r ? r : ((n = pread(fd, buf, sizeof(buf), 0)) == sizeof(buf) ? 0 : -EIO);
		report("detach-reads-file-data", r == 0 && s->magic == BPT_MAGIC, "got %d", r);
	}
	close(fd);
}

/* Programs that misbehave at run time end with the documented errors. */
static void test_runtime_errors(void)
{
	/* r6 = hop; on hop 0 set next as below; later hops like the comment */
	static const struct bpf_insn erange[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), LDX(BPF_DW, 2, 6, HOP_FILE_SIZE),
		STX(BPF_DW, 6, 2, HOP_NEXT_OFF), ST(BPF_W, 6, HOP_N_NEXT, 1), MOVI(0, 0), EXIT(),
	};
	static const struct bpf_insn e2big[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), ST(BPF_W, 6, HOP_N_NEXT, 17), MOVI(0, 0), EXIT(),
	};
	static const struct bpf_insn eproto_none[] = { MOVI(0, 0), EXIT() };
	static const struct bpf_insn eproto_ret[] = { MOVI(0, 7), EXIT() };
	static const struct bpf_insn own_errno[] = { MOVI(0, -EUCLEAN), EXIT() };
	/* runaway: always ask for offset 0 again */
	static const struct bpf_insn runaway[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), ST(BPF_DW, 6, HOP_NEXT_OFF, 0), ST(BPF_W, 6, HOP_N_NEXT, 1),
		MOVI(0, 0), EXIT(),
	};
	/* fan-out: hop 0 asks for 8192, 0, 4096; hop h stores (offset, block[0])
	 * at scratch[16 * h]; hop 3 says done */
	static const struct bpf_insn fanout[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), LDX(BPF_DW, 7, 1, CTX_SCRATCH), LDX(BPF_DW, 8, 1, CTX_BLOCK),
		LDX(BPF_W, 2, 6, HOP_HOP), JNEI(2, 0, 6),
		ST(BPF_DW, 6, HOP_NEXT_OFF, 8192), ST(BPF_DW, 6, HOP_NEXT_OFF + 8, 0),
		ST(BPF_DW, 6, HOP_NEXT_OFF + 16, 4096), ST(BPF_W, 6, HOP_N_NEXT, 3), MOVI(0, 0), EXIT(),
		MOVR(3, 2), ANDI(3, 15), LSHI(3, 4), MOVR(4, 7), ADDR(4, 3),
		LDX(BPF_DW, 5, 6, HOP_OFFSET), STX(BPF_DW, 4, 5, 0), LDX(BPF_DW, 5, 8, 0), STX(BPF_DW, 4, 5, 8),
		MOVI(0, 0), JNEI(2, 3, 1), MOVI(0, 1), EXIT(),
	};
	static const struct {
		const char *name;
		const struct bpf_insn *insns;
		size_t n;
		unsigned cap;
		int want;
	} cases[] = {
		{ "next-offset-outside-file", erange, N(erange), 0, -ERANGE },
		{ "fan-out-over-16", e2big, N(e2big), 0, -E2BIG },
		{ "continue-without-read", eproto_none, N(eproto_none), 0, -EPROTO },
		{ "bad-return-value", eproto_ret, N(eproto_ret), 0, -EPROTO },
		{ "function-errno", own_errno, N(own_errno), 0, -EUCLEAN },
		{ "runaway-default-cap", runaway, N(runaway), 0, -ELOOP },
		{ "runaway-cap-5", runaway, N(runaway), 5, -ELOOP },
	};
	uint8_t buf[CHASE_SCRATCH_SIZE];

	for (size_t i = 0; i < N(cases); i++) {
		char name[96];
		int pfd = load_raw(cases[i].insns, cases[i].n, verifier_log, sizeof(verifier_log));
		int fd = open_direct("bpt1.db"), r;

		snprintf(name, sizeof(name), "runtime-%s", cases[i].name);
		if (pfd < 0 || fd < 0 || attach(fd, pfd, cases[i].cap)) {
			report(name, 0, "setup: %d %s", pfd, last_line(verifier_log));
			continue;
		}
		memset(buf, 0, sizeof(buf));
		r = kernel_run(fd, buf, NULL);
		report(name, r == cases[i].want, "want %d got %d", cases[i].want, r);
		close(fd);
		close(pfd);
	}

	{
		char path[512];
		uint64_t *blk = NULL, *s = (void *)buf;
		int pfd = load_raw(fanout, N(fanout), verifier_log, sizeof(verifier_log)), fd, r, ok;

		snprintf(path, sizeof(path), "%s/fan.dat", datadir);
		if (posix_memalign((void **)&blk, 4096, 3 * 4096))
			abort();
		memset(blk, 0, 3 * 4096);
		for (int b = 0; b < 3; b++)
			blk[b * 512] = 0xfa00 + b;
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		r = (fd >= 0 && pwrite(fd, blk, 3 * 4096, 0) == 3 * 4096 && !fsync(fd)) ? 0 : -1;
		if (fd >= 0)
			close(fd);
		fd = open(path, O_RDONLY | O_DIRECT);
		if (pfd < 0 || r || fd < 0 || attach(fd, pfd, 0)) {
			report("runtime-fan-out-order", 0, "setup: %d %s", pfd, last_line(verifier_log));
		} else {
			memset(buf, 0, sizeof(buf));
			r = kernel_run(fd, buf, NULL);
			ok = r == CHASE_DONE && s[2] == 8192 && s[3] == 0xfa02 && s[4] == 0 &&
			     s[5] == 0xfa00 && s[6] == 4096 && s[7] == 0xfa01;
			report("runtime-fan-out-order", ok, "ret %d: %llx@%llu %llx@%llu %llx@%llu", r,
			       (unsigned long long)s[3], (unsigned long long)s[2],
			       (unsigned long long)s[5], (unsigned long long)s[4],
			       (unsigned long long)s[7], (unsigned long long)s[6]);
		}
		if (fd >= 0)
			close(fd);
		if (pfd >= 0)
			close(pfd);
		free(blk);
	}
}

/* After the scratch area of a long read (patch 0011's struct chase_result). */
struct chase_result {
	__s32 ret;
	__u32 hops;
};

/* One chain with the long read: its length, or -errno; *res filled. */
static ssize_t long_read(int fd, uint8_t *scratch, struct chase_result *res)
{
	struct iovec iov[2] = { { scratch, CHASE_SCRATCH_SIZE }, { res, sizeof(*res) } };
	ssize_t n = preadv(fd, iov, 2, 0);

	return n < 0 ? -errno : n;
}

/*
 * A read with room for struct chase_result after the scratch area returns
 * the whole length whatever the chain's result, with the result and the
 * blocks the chain took: depth + 1 for a key that exists, depth for one
 * that does not, the cap for a runaway chain.
 */
static void test_long_read(void)
{
	static const struct bpf_insn runaway[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), ST(BPF_DW, 6, HOP_NEXT_OFF, 0), ST(BPF_W, 6, HOP_N_NEXT, 1),
		MOVI(0, 0), EXIT(),
	};
	const ssize_t full = CHASE_SCRATCH_SIZE + sizeof(struct chase_result);
	struct bpt_get_scratch q = { .nkeys = 1 };
	uint8_t a[CHASE_SCRATCH_SIZE], b[CHASE_SCRATCH_SIZE];
	struct chase_result res = { 0 };
	int fd = open_direct("bpt2.db"), ofd = open_direct("bpt2.db"), pfd, rfd;
	uint64_t h0, h1;
	ssize_t n;

	if (fd < 0 || ofd < 0 || attach(fd, prog_get, 0)) {
		report("long-read", 0, "open/attach: %s", strerror(errno));
		return;
	}
	q.bounds = bounds_of(ofd);
	close(ofd);

	q.keys[0] = 300;
	memset(a, 0, sizeof(a));
	memcpy(a, &q, sizeof(q));
	memcpy(b, a, sizeof(b));
	h0 = chase_stat("hops");
	n = long_read(fd, a, &res);
	h1 = chase_stat("hops");
	report("long-read-found", n == full && res.ret == CHASE_DONE && res.hops == 3 &&
					  h1 - h0 == 1 + res.hops && kernel_run(fd, b, NULL) == CHASE_DONE &&
					  !memcmp(a, b, sizeof(a)),
	       "ret %zd: result %d hops %u (counter +%llu)", n, res.ret, res.hops,
	       (unsigned long long)(h1 - h0));

	q.keys[0] = 301;
	memset(a, 0, sizeof(a));
	memcpy(a, &q, sizeof(q));
	n = long_read(fd, a, &res);
	report("long-read-function-error", n == full && res.ret == -ENOENT && res.hops == 2,
	       "ret %zd: result %d hops %u", n, res.ret, res.hops);

	{
		static uint8_t big[2 * CHASE_SCRATCH_SIZE];

		memcpy(big, a, sizeof(a));
		n = pread(fd, big, CHASE_SCRATCH_SIZE + 4, 0) < 0 ? -errno : 0;
	}
	report("long-read-other-length", n == -EINVAL, "got %zd", n);
	close(fd);

	pfd = load_raw(runaway, N(runaway), verifier_log, sizeof(verifier_log));
	rfd = open_direct("bpt1.db");
	if (pfd < 0 || rfd < 0 || attach(rfd, pfd, 5)) {
		report("long-read-hop-cap", 0, "setup: %d %s", pfd, last_line(verifier_log));
	} else {
		memset(a, 0, sizeof(a));
		n = long_read(rfd, a, &res);
		report("long-read-hop-cap", n == full && res.ret == -ELOOP && res.hops == 5,
		       "ret %zd: result %d hops %u", n, res.ret, res.hops);
	}
	if (rfd >= 0)
		close(rfd);
	if (pfd >= 0)
		close(pfd);
}

/*
 * A tagged block device (the process-context path on any device): read
 * the ext4 superblock at disk offset 1024 and return its magic.
 */
static void test_block_device(void)
{
	static const struct bpf_insn magic[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), LDX(BPF_DW, 7, 1, CTX_SCRATCH), LDX(BPF_DW, 8, 1, CTX_BLOCK),
		LDX(BPF_W, 2, 6, HOP_HOP), JNEI(2, 0, 4),
		ST(BPF_DW, 6, HOP_NEXT_OFF, 1024), ST(BPF_W, 6, HOP_N_NEXT, 1), MOVI(0, 0), EXIT(),
		LDX(BPF_H, 3, 8, 0x38), STX(BPF_H, 7, 3, 0), MOVI(0, 1), EXIT(),
	};
	char path[64];
	uint8_t buf[CHASE_SCRATCH_SIZE] = { 0 };
	int pfd = load_raw(magic, N(magic), verifier_log, sizeof(verifier_log)), fd, r;

	snprintf(path, sizeof(path), "/dev/%s", devname);
	fd = open(path, O_RDONLY | O_DIRECT);
	if (pfd < 0 || fd < 0 || attach(fd, pfd, 0)) {
		report("block-device-chain", 0, "setup: %d %s %s", pfd, last_line(verifier_log),
		       strerror(errno));
	} else {
		r = kernel_run(fd, buf, NULL);
		report("block-device-chain", r == CHASE_DONE && buf[0] == 0x53 && buf[1] == 0xef,
		       "ret %d magic %02x%02x", r, buf[1], buf[0]);
	}
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
}

/* A corrupt tree ends with the function's EUCLEAN on both engines. */
static void test_corrupt(void)
{
	char src[512], dst[512], why[128] = "";
	static uint8_t buf[1 << 20] __attribute__((aligned(4096)));
	int in, out, kfd, ofd, ok = 1, r = 0, errs = 0;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/bpt2.db", datadir);
	snprintf(dst, sizeof(dst), "%s/corrupt.db", datadir);
	in = open(src, O_RDONLY);
	out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	/* the root's type field: neither inner nor leaf */
	if (out >= 0)
		pwrite(out, "\x07\0\0\0\0\0\0\0", 8, BPT_ROOT_OFF + BPT_OFF_TYPE);
	if (out >= 0)
		fsync(out);
	close(in);
	close(out);
	kfd = open(dst, O_RDONLY | O_DIRECT);
	ofd = open(dst, O_RDONLY | O_DIRECT);
	if (kfd < 0 || ofd < 0 || attach(kfd, prog_get, 0)) {
		report("corrupt-tree", 0, "setup: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 50 && ok; i++) {
		struct bpt_get_scratch q = { .bounds = bounds_of(ofd), .nkeys = 1, .keys = { rnd() % 3000 } };

		ok = compare(kfd, ofd, chase_native_bptree_get, &q, sizeof(q), &r, NULL, why, sizeof(why));
		errs += r == -EUCLEAN;
	}
	report("corrupt-tree", ok && errs == 50, "%d of 50 EUCLEAN %s", errs, why);
	close(kfd);
	close(ofd);
	unlink(dst);
}

/*
 * Chains while another process truncates, punches holes in, appends to and
 * rewrites the file, and a third fills freed blocks with a marker.  Every
 * answer must be the right value or a clean error; a value that is neither
 * the right one nor zeroes (a hole) would be stale data.
 */
static void test_concurrency(void)
{
	char src[512], path[512], junk[512];
	static uint8_t orig[4 << 20] __attribute__((aligned(4096)));
	int in, fd, kfd;
	ssize_t size;
	pid_t writer, filler;
	unsigned good = 0, zero = 0, errs = 0, bad = 0, lookups = 0;
	char why[160] = "";

	snprintf(src, sizeof(src), "%s/bpt2.db", datadir);
	snprintf(path, sizeof(path), "%s/busy.db", datadir);
	snprintf(junk, sizeof(junk), "%s/junk", datadir);
	in = open(src, O_RDONLY);
	size = in >= 0 ? read(in, orig, sizeof(orig)) : -1;
	close(in);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (size <= 0 || fd < 0 || pwrite(fd, orig, size, 0) != size) {
		report("concurrent-modification", 0, "setup failed");
		return;
	}
	fsync(fd);
	close(fd);

	writer = fork();
	if (writer == 0) {
		int w = open(path, O_RDWR);

		for (unsigned i = 0;; i++) {
			off_t at = (rnd() % (size / 4096)) * 4096;

			switch (i % 4) {
			case 0:
				ftruncate(w, at);
				break;
			case 1:
				fallocate(w, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, 8192);
				break;
			case 2:
				pwrite(w, "appended garbage", 16, size);
				break;
			case 3:
				break;
			}
			usleep(rnd() % 3000);
			pwrite(w, orig, size, 0);
			ftruncate(w, size);
			usleep(rnd() % 3000);
		}
	}
	filler = fork();
	if (filler == 0) {
		static uint8_t mark[65536];

		memset(mark, 'S', sizeof(mark));
		for (;;) {
			int j = open(junk, O_RDWR | O_CREAT | O_TRUNC, 0644);

			for (int k = 0; k < 16; k++)
				write(j, mark, sizeof(mark));
			fsync(j);
			close(j);
			unlink(junk);
		}
	}
	kfd = open(path, O_RDONLY | O_DIRECT);
	if (kfd < 0 || attach(kfd, prog_get, 0)) {
		report("concurrent-modification", 0, "attach: %s", strerror(errno));
	} else {
		struct bpt_bounds b;
		int ofd = open(src, O_RDONLY | O_DIRECT);

		b = bounds_of(ofd);
		close(ofd);
		for (lookups = 0; lookups < 500; lookups++) {
			struct bpt_get_scratch q = { .bounds = b, .nkeys = 1, .keys = { (rnd() % 961) * 3 } };
			uint8_t ans[CHASE_SCRATCH_SIZE];
			struct bpt_get_scratch *a = (void *)ans;
			char want[32];
			int r;

			memset(ans, 0, sizeof(ans));
			memcpy(ans, &q, sizeof(q));
			r = kernel_run(kfd, ans, NULL);
			snprintf(want, sizeof(want), "%llu", (unsigned long long)q.keys[0]);
			if (r == CHASE_DONE && !strcmp((char *)a->values[0], want)) {
				good++;
			} else if (r == CHASE_DONE && a->values[0][0] == 0) {
				zero++;
			} else if (r == -ENOENT || r == -EUCLEAN || r == -ERANGE || r == -EPROTO ||
				   r == -ELOOP || r == -E2BIG || r == -EINVAL) {
				errs++;
			} else {
				if (!bad)
					snprintf(why, sizeof(why), "key %s: ret %d value '%.40s'", want, r,
						 (char *)a->values[0]);
				bad++;
			}
		}
		close(kfd);
	}
	kill(writer, SIGKILL);
	kill(filler, SIGKILL);
	waitpid(writer, NULL, 0);
	waitpid(filler, NULL, 0);
	unlink(path);
	unlink(junk);
	report("concurrent-modification", bad == 0 && good > 0,
	       "%u lookups: %u right, %u zero (hole), %u clean errors, %u bad %s", lookups, good, zero,
	       errs, bad, why);
}

/* ---- the tracepoint chase:chase_hop -------------------------------------------------- */

#define TRACEFS "/sys/kernel/tracing"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -EIO;
}

static int trace_enable(int on)
{
	return write_file(TRACEFS "/events/chase/chase_hop/enable", on ? "1" : "0");
}

/*
 * The chase_hop events in the trace buffer: all of them counted in *total,
 * those of the file (dev, ino) stored in ev, in the order they happened.
 * Lines look like
 *   <task>-<pid> [cpu] flags ts: chase_hop: dev 259,0 ino 12 hop 1 offset 4096 len 4096 ret 0 n_next 1
 */
static size_t trace_events(dev_t dev, ino_t ino, struct hop_event *ev, size_t cap, size_t *total)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen(TRACEFS "/trace", "r");

	*total = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " chase_hop: ");
		unsigned maj, min, hop, len, n_next;
		unsigned long long offset;
		unsigned long i;
		int ret;

		if (line[0] == '#' || !p)
			continue;
		++*total;
		if (sscanf(p, " chase_hop: dev %u,%u ino %lu hop %u offset %llu len %u ret %d n_next %u",
			   &maj, &min, &i, &hop, &offset, &len, &ret, &n_next) != 8)
			continue;
		if (maj != major(dev) || min != minor(dev) || i != ino || n == cap)
			continue;
		ev[n++] = (struct hop_event){ .offset = offset, .hop = hop, .len = len, .n_next = n_next, .ret = ret };
	}
	if (f)
		fclose(f);
	return n;
}

static void describe_event(char *out, size_t len, const char *who, const struct hop_event *e)
{
	snprintf(out, len, "%s: hop %u offset %llu len %u ret %d n_next %u", who, e->hop,
		 (unsigned long long)e->offset, e->len, e->ret, e->n_next);
}

/*
 * With chase:chase_hop enabled, point lookups of known depth on the kernel
 * engine give exactly the events of the oracle's calls: the start call
 * (hop 0, no block), then one event per block read, depth + 1 blocks for a
 * key that exists (the nodes and the value block), depth for one that does
 * not (the leaf says so).  Disabled, no events, and the counters go on.
 */
static void test_tracepoint(void)
{
	enum { FOUND = 12, MISSING = 6 };
	static struct hop_event want[3][(FOUND + MISSING) * 8], got[(FOUND + MISSING) * 8];
	size_t nwant[3] = { 0 }, total, enabled_events = 0;
	uint64_t h0, h1, h2, c1, c2;
	struct stat st[3];
	int kfd[3], ofd[3], setup = 1;
	char whys[3][256] = { "", "", "" };

	if (access(TRACEFS "/events", F_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	report("trace-event-exists", !access(TRACEFS "/events/chase/chase_hop/enable", F_OK), "%s",
	       access(TRACEFS "/events", F_OK) ? "no tracefs" : "");
	if (access(TRACEFS "/events/chase/chase_hop/enable", F_OK))
		return;
	write_file(TRACEFS "/trace_clock", "global"); /* one order across CPUs */
	write_file(TRACEFS "/trace", "");	       /* empties the buffer */
	for (int d = 0; d < 3; d++) {
		char path[32];

		snprintf(path, sizeof(path), "bpt%d.db", d + 1);
		kfd[d] = open_direct(path);
		ofd[d] = open_direct(path);
		if (kfd[d] < 0 || ofd[d] < 0 || fstat(kfd[d], &st[d]) || attach(kfd[d], prog_get, 0))
			setup = 0;
	}
	if (!setup || trace_enable(1)) {
		report("trace-enable", 0, "%s", strerror(errno));
		return;
	}
	h0 = chase_stat("hops");
	for (int d = 0; d < 3; d++) {
		uint64_t nk = nkeys_of_depth(d + 1);
		struct bpt_bounds b = bounds_of(ofd[d]);

		for (int i = 0; i < FOUND + MISSING; i++) {
			uint8_t ks[CHASE_SCRATCH_SIZE] = { 0 }, os[CHASE_SCRATCH_SIZE];
			struct bpt_get_scratch *q = (void *)ks;
			int kr, orr;

			q->bounds = b;
			q->nkeys = 1;
			q->keys[0] = (rnd() % nk) * 3 + (i < FOUND ? 0 : 1);
			memcpy(os, ks, sizeof(os));
			oracle_events = want[d] + nwant[d];
			oracle_nevents = 0;
			oracle_events_cap = N(want[d]) - nwant[d];
			orr = oracle_run(ofd[d], chase_native_bptree_get, os, CHASE_DEFAULT_HOP_CAP, NULL);
			nwant[d] += oracle_nevents;
			oracle_events = NULL;
			kr = kernel_run(kfd[d], ks, NULL);
			if (kr != orr || kr != (i < FOUND ? CHASE_DONE : -ENOENT))
				snprintf(whys[d], sizeof(whys[d]), "key %llu: kernel %d oracle %d",
					 (unsigned long long)q->keys[0], kr, orr);
		}
	}
	h1 = chase_stat("hops");
	trace_enable(0);

	for (int d = 0; d < 3; d++) {
		char *why = whys[d];
		int depth = d + 1, ok = !why[0];
		size_t n = trace_events(st[d].st_dev, st[d].st_ino, got, N(got), &total);
		size_t blocks = 0, starts = 0, want_blocks = FOUND * (depth + 1) + MISSING * depth;
		char name[64];

		enabled_events = total;
		for (size_t i = 0; i < n; i++) {
			const struct hop_event *e = &got[i];

			if (e->hop == 0) {
				starts++;
				ok &= e->offset == 0 && e->len == 0;
			} else {
				blocks++;
				/* the hops of a chain are numbered 1, 2, ... after its start call */
				ok &= i > 0 && e->hop == got[i - 1].hop + 1;
				ok &= e->offset % 512 == 0 && e->len > 0 && e->len <= 4096 &&
				      e->offset + e->len <= (uint64_t)st[d].st_size;
			}
			if (ok && (i >= nwant[d] || memcmp(e, &want[d][i], sizeof(*e)))) {
				ok = 0;
				describe_event(why, sizeof(whys[d]) / 2, "kernel", e);
				if (i < nwant[d])
					describe_event(why + strlen(why), sizeof(whys[d]) / 2, " oracle",
						       &want[d][i]);
			}
		}
		ok &= n == nwant[d] && starts == FOUND + MISSING && blocks == want_blocks;
		snprintf(name, sizeof(name), "trace-hops-depth%d", depth);
		report(name, ok,
		       "%d found + %d missing lookups: %zu events (%zu start calls, %zu blocks; want %d + %zu), oracle %zu %s",
		       FOUND, MISSING, n, starts, blocks, FOUND + MISSING, want_blocks, nwant[d], why);
	}
	/* every call of a storage function was an event, and nothing else */
	report("trace-events-equal-hop-counter", enabled_events == h1 - h0,
	       "%zu events, /proc/chase_stats hops +%llu", enabled_events,
	       (unsigned long long)(h1 - h0));

	/*
	 * Disabled: lookups leave no events, the counters still count (a
	 * found key at depth d: the start call and d + 1 blocks).
	 */
	const uint64_t want_hops = FOUND * ((1 + 2) + (1 + 3) + (1 + 4));

	c1 = chase_stat("chains");
	for (int d = 0; d < 3; d++) {
		struct bpt_bounds b = bounds_of(ofd[d]);

		for (int i = 0; i < FOUND; i++) {
			uint8_t ks[CHASE_SCRATCH_SIZE] = { 0 };
			struct bpt_get_scratch *q = (void *)ks;

			q->bounds = b;
			q->nkeys = 1;
			q->keys[0] = (rnd() % nkeys_of_depth(d + 1)) * 3;
			kernel_run(kfd[d], ks, NULL);
		}
	}
	h2 = chase_stat("hops");
	c2 = chase_stat("chains");
	trace_events(0, 0, got, 0, &total);
	report("trace-disabled-counters-match",
	       total == enabled_events && c2 - c1 == 3 * FOUND && h2 - h1 == want_hops,
	       "events %zu -> %zu; chains +%llu hops +%llu (want %d, %llu)", enabled_events, total,
	       (unsigned long long)(c2 - c1), (unsigned long long)(h2 - h1), 3 * FOUND,
	       (unsigned long long)want_hops);
	for (int d = 0; d < 3; d++) {
		close(kfd[d]);
		close(ofd[d]);
	}
}

/*
 * A function may write every field of its struct chase_hop; the event
 * reports the offset, length and hop number the kernel gave it.  This one
 * overwrites them, asks for offset 4096 and then says done.
 */
static void test_tracepoint_kernel_values(void)
{
	static const struct bpf_insn liar[] = {
		LDX(BPF_DW, 6, 1, CTX_HOP), LDX(BPF_W, 2, 6, HOP_HOP),
		ST(BPF_DW, 6, HOP_OFFSET, 0xbad), ST(BPF_W, 6, HOP_LEN, 7), ST(BPF_W, 6, HOP_HOP, 99),
		JNEI(2, 0, 4),
		ST(BPF_DW, 6, HOP_NEXT_OFF, 4096), ST(BPF_W, 6, HOP_N_NEXT, 1), MOVI(0, 0), EXIT(),
		MOVI(0, 1), EXIT(),
	};
	const struct hop_event want[2] = {
		{ .offset = 0, .hop = 0, .len = 0, .n_next = 1, .ret = CHASE_CONTINUE },
		{ .offset = 4096, .hop = 1, .len = 4096, .n_next = 0, .ret = CHASE_DONE },
	};
	struct hop_event got[4];
	uint8_t buf[CHASE_SCRATCH_SIZE] = { 0 };
	int pfd = load_raw(liar, N(liar), verifier_log, sizeof(verifier_log));
	int fd = open_direct("bpt2.db"), r;
	struct stat st;
	size_t n, total;
	char why[200] = "";

	if (pfd < 0 || fd < 0 || fstat(fd, &st) || attach(fd, pfd, 0)) {
		report("trace-reports-kernel-values", 0, "setup: %d %s", pfd, last_line(verifier_log));
		goto out;
	}
	write_file(TRACEFS "/trace", "");
	trace_enable(1);
	r = kernel_run(fd, buf, NULL);
	trace_enable(0);
	n = trace_events(st.st_dev, st.st_ino, got, N(got), &total);
	for (size_t i = 0; i < n && i < 2; i++)
		describe_event(why + strlen(why), sizeof(why) - strlen(why), i ? "; then" : "got",
			       &got[i]);
	report("trace-reports-kernel-values",
	       r == CHASE_DONE && n == 2 && !memcmp(got, want, sizeof(want)), "ret %d, %zu events: %s", r,
	       n, why);
out:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
}

/*
 * Whether the kernel log text added during the chains (len bytes at text)
 * may be unrelated to them: at most two lines, none naming the chain
 * path's parts or an error.  A message from the chain path would come
 * once per chain or per error, hundreds of lines; a one-off line from
 * elsewhere ("random: crng init done" on a guest that booted fast) must
 * not fail the test.  The text is copied to why for the report.
 */
static int log_growth_unrelated(const char *text, int len, char *why, size_t why_len)
{
	static const char *const related[] = {
		"chase", "bpf", "BPF", "blk", "I/O", "ext4", "nvme", "virtio", "error", "WARN", "BUG",
	};
	char copy[512];
	int lines = 0, n = len < (int)sizeof(copy) - 1 ? len : (int)sizeof(copy) - 1;

	memcpy(copy, text, n);
	copy[n] = 0;
	for (int i = 0; i < n; i++) {
		if (copy[i] == '\n') {
			lines++;
			copy[i] = '|';
		} else if ((unsigned char)copy[i] < ' ') {
			copy[i] = ' ';
		}
	}
	snprintf(why, why_len, "; added: %.300s", copy);
	if (len != n || lines > 2)
		return 0;
	for (size_t i = 0; i < sizeof(related) / sizeof(related[0]); i++)
		if (strstr(copy, related[i]))
			return 0;
	return 1;
}

/*
 * No printk in the chain path: the kernel log is the same before and
 * after 1000 chains (keys found and missing at every depth, and queries
 * the function refuses), on a kernel that logs everything, but for at
 * most a one-off line from elsewhere (log_growth_unrelated()).
 */
static void test_no_printk(void)
{
	static char before[1 << 18], after[1 << 18];
	char why[400] = "";
	int nb, na, kfd[3], ofd[3], ok = 1, same;
	uint64_t c0, c1;
	struct bpt_bounds b[3];

	for (int d = 0; d < 3; d++) {
		char path[32];

		snprintf(path, sizeof(path), "bpt%d.db", d + 1);
		kfd[d] = open_direct(path);
		ofd[d] = open_direct(path);
		ok &= kfd[d] >= 0 && ofd[d] >= 0 && !attach(kfd[d], prog_get, 0);
		b[d] = bounds_of(ofd[d]);
	}
	nb = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, before, sizeof(before));
	c0 = chase_stat("chains");
	for (int i = 0; i < 1000 && ok; i++) {
		uint8_t ks[CHASE_SCRATCH_SIZE] = { 0 };
		struct bpt_get_scratch *q = (void *)ks;
		int d = i % 3;

		q->bounds = b[d];
		q->nkeys = i % 10 == 9 ? 0 : 1; /* 0 keys: the function says EINVAL */
		q->keys[0] = rnd() % (nkeys_of_depth(d + 1) * 3);
		kernel_run(kfd[d], ks, NULL);
	}
	c1 = chase_stat("chains");
	na = klogctl(3, after, sizeof(after));
	same = nb >= 0 && na >= nb && !memcmp(before, after, nb);
	if (same && na > nb)
		same = log_growth_unrelated(after + nb, na - nb, why, sizeof(why));
	report("no-printk-in-1000-chains", ok && same && c1 - c0 == 1000,
	       "%llu chains, kernel log %d -> %d bytes%s", (unsigned long long)(c1 - c0), nb, na,
	       why);
	for (int d = 0; d < 3; d++) {
		close(kfd[d]);
		close(ofd[d]);
	}
}

/* ---- counts ------------------------------------------------------------------------ */

static uint64_t device_reads(void)
{
	char path[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", devname);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static uint64_t chase_stat(const char *key)
{
	char line[256];
	unsigned long long v = 0, found = ~0ull;
	FILE *f = fopen("/proc/chase_stats", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char k[64];

		if (sscanf(line, "%63s %llu", k, &v) == 2 && !strcmp(k, key))
			found = v;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Per lookup at one depth: user-kernel crossings (system calls the engine
 * made), filesystem read paths entered (->read_iter calls plus extent
 * copies for the kernel engine; one per pread for the baseline), device
 * commands (reads the block layer counted plus reads a driver reissued
 * from its completion handler).
 */
static void count_depth(int depth)
{
	char path[64], name[32];
	uint64_t nk = nkeys_of_depth(depth), n = 200;
	struct counts kc = { 0 }, oc = { 0 };
	uint64_t d0, d1, d2, f0, f1, m0, m1, h0, h1, r0, r1, dev_k, dev_o, fs_k;
	int kfd, ofd, ok = 1;

	snprintf(path, sizeof(path), "bpt%d.db", depth);
	kfd = open_direct(path);
	ofd = open_direct(path);
	if (kfd < 0 || ofd < 0 || attach(kfd, prog_get, 0)) {
		report("counts", 0, "open %s", path);
		return;
	}
	struct bpt_bounds b = bounds_of(ofd);

	/* warm the extent cache: the counts are about steady state */
	for (int i = 0; i < 20; i++) {
		uint8_t s[CHASE_SCRATCH_SIZE] = { 0 };
		struct bpt_get_scratch *q = (void *)s;

		q->bounds = b;
		q->nkeys = 1;
		q->keys[0] = (rnd() % nk) * 3;
		kernel_run(kfd, s, NULL);
		oracle_run(ofd, chase_native_bptree_get, s, CHASE_DEFAULT_HOP_CAP, NULL);
	}
	d0 = device_reads();
	f0 = chase_stat("fs_reads");
	m0 = chase_stat("fs_maps");
	h0 = chase_stat("hops");
	r0 = chase_stat("resubmits");
	for (uint64_t i = 0; i < n; i++) {
		uint8_t s[CHASE_SCRATCH_SIZE] = { 0 };
		struct bpt_get_scratch *q = (void *)s;

		q->bounds = b;
		q->nkeys = 1;
		q->keys[0] = (rnd() % nk) * 3;
		ok &= kernel_run(kfd, s, &kc) == CHASE_DONE;
	}
	d1 = device_reads();
	f1 = chase_stat("fs_reads");
	m1 = chase_stat("fs_maps");
	h1 = chase_stat("hops");
	r1 = chase_stat("resubmits");
	for (uint64_t i = 0; i < n; i++) {
		uint8_t s[CHASE_SCRATCH_SIZE] = { 0 };
		struct bpt_get_scratch *q = (void *)s;

		q->bounds = b;
		q->nkeys = 1;
		q->keys[0] = (rnd() % nk) * 3;
		ok &= oracle_run(ofd, chase_native_bptree_get, s, CHASE_DEFAULT_HOP_CAP, &oc) == CHASE_DONE;
	}
	d2 = device_reads();
	if (m0 == ~0ull) /* kernel without the fast path */
		m0 = m1 = 0;
	if (r0 == ~0ull)
		r0 = r1 = 0;
	dev_k = d1 - d0 + r1 - r0;
	dev_o = d2 - d1;
	fs_k = f1 - f0 + m1 - m0;
	printf("CHASE-COUNT engine=kernel disk=%s depth=%d lookups=%llu crossings=%.2f fs_read_paths=%.2f device_commands=%.2f hops=%.2f driver_resubmits=%.2f\n",
	       devname, depth, (unsigned long long)n, (double)kc.syscalls / n, (double)fs_k / n,
	       (double)dev_k / n, (double)(h1 - h0) / n - 1.0, (double)(r1 - r0) / n);
	printf("CHASE-COUNT engine=pread disk=%s depth=%d lookups=%llu crossings=%.2f fs_read_paths=%.2f device_commands=%.2f hops=%.2f\n",
	       devname, depth, (unsigned long long)n, (double)oc.syscalls / n,
	       (double)oc.syscalls / n, (double)dev_o / n, (double)oc.hops / n);
	/* one lookup reads depth nodes and one value block, on both engines */
	snprintf(name, sizeof(name), "counts-depth%d", depth);
	report(name, ok && kc.syscalls == n && dev_k == n * (depth + 1) && dev_o == n * (depth + 1),
	       "kernel: %llu crossings %llu device commands %llu fs paths; pread: %llu crossings %llu device commands",
	       (unsigned long long)kc.syscalls, (unsigned long long)dev_k, (unsigned long long)fs_k,
	       (unsigned long long)oc.syscalls, (unsigned long long)dev_o);
	close(kfd);
	close(ofd);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: chase-vmtest DATADIR OBJDIR DEVNAME\n");
		return 2;
	}
	datadir = argv[1];
	objdir = argv[2];
	devname = argv[3];
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(capture_print);

	const char *only = getenv("CHASE_VMTEST_ONLY");

	if (only && *only) {
		prog_get = load_function("bptree_get");
		prog_range = load_function("bptree_range");
		prog_agg = load_function("bptree_agg");
		for (int depth = 1; depth <= 3; depth++)
			if (strstr(only, "scan"))
				test_bptree_scans(depth);
		return failed;
	}
	test_verifier();
	test_load_all();
	prog_get = load_function("bptree_get");
	prog_range = load_function("bptree_range");
	prog_agg = load_function("bptree_agg");
	report("load-bptree_get", prog_get >= 0, "%d", prog_get);
	report("load-bptree_range", prog_range >= 0, "%d", prog_range);
	report("load-bptree_agg", prog_agg >= 0, "%d", prog_agg);
	if (prog_get < 0 || prog_range < 0 || prog_agg < 0)
		return 1;
	test_attach_errors();
	test_read_paths();
	for (int depth = 1; depth <= 3; depth++) {
		test_bptree_get(depth);
		test_bptree_scans(depth);
	}
	test_runtime_errors();
	test_long_read();
	test_block_device();
	test_corrupt();
	test_concurrency();
	test_tracepoint();
	test_tracepoint_kernel_values();
	test_no_printk();
	for (int depth = 1; depth <= 3; depth++)
		count_depth(depth);
	return failed;
}
