/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The table of storage functions compiled into libchase (generated). */
#ifndef CHASE_BUILTIN_H
#define CHASE_BUILTIN_H

struct chase_ctx;

struct chase_builtin {
	const char *name;
	int (*native)(struct chase_ctx *ctx);
	const unsigned char *syscall_obj;
	const unsigned long *syscall_len;
	const unsigned char *kernel_obj;
	const unsigned long *kernel_len;
};

/* Terminated by an entry whose name is NULL. */
extern const struct chase_builtin chase_builtins[];

#endif
