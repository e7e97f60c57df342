// What libfuse 3.14 cannot say in its INIT reply, said through its public
// custom-io hook.
//
// libfuse 3.14 keeps FUSE_CAP_PARALLEL_DIROPS in conn->want but never copies
// it into the INIT reply's flags (fixed upstream in 3.17.1), so the kernel
// serialises every LOOKUP in a directory.  Every reply libfuse writes goes
// through fuse_session_custom_io()'s writev; the INIT reply is amended there
// on its way to the kernel, and nothing else is touched: no copy of libfuse,
// no transport of our own (see shared/notes/fuse.md, addendum).
#pragma once

#include <cstdint>
#include <string>

struct fuse_session;
struct fuse_conn_info;

namespace chasefs {

// Routes the session's replies through the amending writev.  Called once,
// after fuse_session_mount() and before the loop starts.
bool init_flags_install(struct fuse_session *se);

// Called from the init operation: the next reply this thread writes is the
// INIT reply, and it gets FUSE_PARALLEL_DIROPS if the kernel offered it.
void init_flags_expect_reply(const struct fuse_conn_info *conn);

// The INIT reply's flags (flags and flags2) as they went to the kernel, by
// name: "kernel_init_flags=ASYNC_READ,...,PARALLEL_DIROPS\n"; empty before
// INIT.
std::string init_flags_text();

}  // namespace chasefs
