// The table handed to libfuse, and the connection set-up.
#include "ops.h"

namespace chasefs {

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
    // Lookups of query names in one directory may run in parallel (libfuse
    // 3.14 does not pass this on to the kernel; later versions do).
    if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
    // Splice moves pages of the source file straight to the reader.
    if (conn->capable & FUSE_CAP_SPLICE_READ) conn->want |= FUSE_CAP_SPLICE_READ;
    if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
    if (conn->capable & FUSE_CAP_SPLICE_MOVE) conn->want |= FUSE_CAP_SPLICE_MOVE;
}

const struct fuse_lowlevel_ops &chasefs_operations() {
    static const struct fuse_lowlevel_ops ops = [] {
        struct fuse_lowlevel_ops o = {};
        o.init = op_init;
        o.lookup = op_lookup;
        o.forget = op_forget;
        o.forget_multi = op_forget_multi;
        o.getattr = op_getattr;
        o.setattr = op_setattr;
        o.readlink = op_readlink;
        o.mknod = op_mknod;
        o.mkdir = op_mkdir;
        o.unlink = op_unlink;
        o.rmdir = op_rmdir;
        o.symlink = op_symlink;
        o.rename = op_rename;
        o.link = op_link;
        o.open = op_open;
        o.read = op_read;
        o.write_buf = op_write_buf;
        o.flush = op_flush;
        o.release = op_release;
        o.fsync = op_fsync;
        o.opendir = op_opendir;
        o.readdir = op_readdir;
        o.readdirplus = op_readdirplus;
        o.releasedir = op_releasedir;
        o.fsyncdir = op_fsyncdir;
        o.statfs = op_statfs;
        o.setxattr = op_setxattr;
        o.getxattr = op_getxattr;
        o.listxattr = op_listxattr;
        o.removexattr = op_removexattr;
        o.create = op_create;
        o.ioctl = op_ioctl;
        o.flock = op_flock;
        o.fallocate = op_fallocate;
        o.copy_file_range = op_copy_file_range;
        o.lseek = op_lseek;
        return o;
    }();
    return ops;
}

}  // namespace chasefs
