// What libfuse 3.14 cannot say in its replies, said through its public
// custom-io hook.
//
// libfuse 3.14 keeps FUSE_CAP_PARALLEL_DIROPS in conn->want but never copies
// it into the INIT reply's flags (fixed upstream in 3.17.1), so the kernel
// serialises every LOOKUP in a directory; and it knows nothing of
// passthrough (Linux 6.9: FUSE_PASSTHROUGH in the INIT reply, a backing id
// and FOPEN_PASSTHROUGH in an OPEN or CREATE reply).  Every reply libfuse
// writes goes through fuse_session_custom_io()'s writev and every request
// it reads through its read: the INIT request is read there for what the
// kernel offers, and the INIT and OPEN replies are amended on their way to
// the kernel.  Nothing else is touched: no copy of libfuse, no transport of
// our own (see shared/notes/fuse.md, addendum).
#pragma once

#include <cstdint>
#include <string>

struct fuse_session;
struct fuse_conn_info;

namespace chasefs {

// Routes the session's requests and replies through the hooks.  Called
// once, after fuse_session_mount() and before the loop starts.
bool kernel_replies_install(struct fuse_session *se);

// Whether the kernel's INIT request offered passthrough (FUSE_PASSTHROUGH,
// flags2 bit 5): Linux >= 6.9 built with CONFIG_FUSE_PASSTHROUGH.
bool kernel_offers_passthrough();

// Called from the init operation: the next reply this thread writes is the
// INIT reply.  It gets FUSE_PARALLEL_DIROPS if the kernel offered it, and
// FUSE_PASSTHROUGH with a stacking depth of 1 if `passthrough`.
void init_reply_expect(const struct fuse_conn_info *conn, bool passthrough);

// The next reply this thread writes is an OPEN or CREATE reply that sends
// the open file's reads, writes and mmap to backing file `backing_id`.
void open_reply_expect_passthrough(int backing_id);

// The INIT reply's flags (flags and flags2) as they went to the kernel, by
// name: "kernel_init_flags=ASYNC_READ,...,PARALLEL_DIROPS\n"; empty before
// INIT.
std::string init_flags_text();

}  // namespace chasefs
