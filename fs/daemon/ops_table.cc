// The table handed to libfuse, and the connection set-up.
//
// Every operation runs inside guarded() (guarded.h).
#include "guarded.h"
#include "kernel_replies.h"
#include "passthrough.h"
#include "ops.h"

namespace chasefs {

// A libfuse entry point for `op` that runs it guarded.  Captureless generic
// lambdas convert to the table's function-pointer types.
#define GUARD(op) \
    [](fuse_req_t req, auto... args) { guarded(#op, req, true, [&] { op(req, args...); }); }
#define GUARD_NOREPLY(op) \
    [](fuse_req_t req, auto... args) { guarded(#op, req, false, [&] { op(req, args...); }); }

Fs &fs() {
    static Fs instance;
    return instance;
}

Node *node_of(fuse_ino_t ino) {
    if (ino == FUSE_ROOT_ID) return &fs().root;
    return reinterpret_cast<Node *>(ino);
}

Inode *inode_of(fuse_ino_t ino) {
    Node *n = node_of(ino);
    return n->kind == NodeKind::backing ? static_cast<Inode *>(n) : nullptr;
}

void op_init(void *userdata, struct fuse_conn_info *conn) {
    // flock() goes to the source file, so it also excludes processes that
    // use the source directory directly.  POSIX (fcntl) locks stay with the
    // kernel's local lock manager: correct between users of the mount.
    if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
    conn->want &= ~FUSE_CAP_POSIX_LOCKS;
    // No writeback cache: a write must reach the source file before write()
    // returns, or a query that follows it would answer from the old bytes.
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    // Lookups of query names in one directory may run in parallel; libfuse
    // 3.14 does not pass this on to the kernel, kernel_replies.cc does.
    if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
    // Splice moves pages of the source file straight to the reader.
    if (conn->capable & FUSE_CAP_SPLICE_READ) conn->want |= FUSE_CAP_SPLICE_READ;
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
    if (conn->capable & FUSE_CAP_SPLICE_MOVE) conn->want |= FUSE_CAP_SPLICE_MOVE;
    // Reads, writes and mmap of ordinary files straight to the backing file,
    // where the kernel can (passthrough.h); libfuse 3.14 cannot ask for it,
    // kernel_replies.cc does.
    init_reply_expect(conn, passthrough_negotiate());
}

const struct fuse_lowlevel_ops &chasefs_operations() {
    static const struct fuse_lowlevel_ops ops = [] {
        struct fuse_lowlevel_ops o = {};
        o.init = op_init;
        o.lookup = GUARD(op_lookup);
        o.forget = GUARD_NOREPLY(op_forget);
        o.forget_multi = GUARD_NOREPLY(op_forget_multi);
        o.getattr = GUARD(op_getattr);
        o.setattr = GUARD(op_setattr);
        o.readlink = GUARD(op_readlink);
        o.mknod = GUARD(op_mknod);
        o.mkdir = GUARD(op_mkdir);
        o.unlink = GUARD(op_unlink);
        o.rmdir = GUARD(op_rmdir);
        o.symlink = GUARD(op_symlink);
        o.rename = GUARD(op_rename);
        o.link = GUARD(op_link);
        o.open = GUARD(op_open);
        o.read = GUARD(op_read);
        o.write_buf = GUARD(op_write_buf);
        o.flush = GUARD(op_flush);
        o.release = GUARD(op_release);
        o.fsync = GUARD(op_fsync);
        o.opendir = GUARD(op_opendir);
        o.readdir = GUARD(op_readdir);
        o.readdirplus = GUARD(op_readdirplus);
        o.releasedir = GUARD(op_releasedir);
        o.fsyncdir = GUARD(op_fsyncdir);
        o.statfs = GUARD(op_statfs);
        o.setxattr = GUARD(op_setxattr);
        o.getxattr = GUARD(op_getxattr);
        o.listxattr = GUARD(op_listxattr);
        o.removexattr = GUARD(op_removexattr);
        o.create = GUARD(op_create);
        o.ioctl = GUARD(op_ioctl);
        o.flock = GUARD(op_flock);
        o.fallocate = GUARD(op_fallocate);
        o.copy_file_range = GUARD(op_copy_file_range);
        o.lseek = GUARD(op_lseek);
        return o;
    }();
    return ops;
}

}  // namespace chasefs
