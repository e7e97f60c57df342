// Open files.  fi->fh is a real fd of the source file, opened by reopening
// the node's O_PATH fd through /proc/self/fd with the caller's flags.  Every
// operation that changes a file's bytes holds the node's content lock
// exclusively and drops the cached data file, so a query never runs on a
// half-written file or on state from before the write.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "caller.h"
#include "content_lock.h"
#include "flock_waiter.h"
#include "datafile_cache.h"
#include "inode_table.h"
#include "kernel_replies.h"
#include "open_writers.h"
#include "passthrough.h"
#include "ops.h"
#include "query_node.h"

namespace chasefs {
namespace {

int file_fd(struct fuse_file_info *fi) {
    return static_cast<int>(fi->fh);
}

bool opens_for_writing(int flags) {
    return (flags & O_ACCMODE) != O_RDONLY;
}

// The page cache of a file is kept across opens only if it did not change in
// between (it may have been changed outside the mount).
void decide_keep_cache(Inode &inode, int fd, struct fuse_file_info *fi) {
    struct stat st;
    if (fstat(fd, &st) < 0) return;
    int64_t mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    std::lock_guard<std::mutex> g(inode.open_mutex);
    fi->keep_cache = (mtime_ns == inode.last_open_mtime_ns && st.st_size == inode.last_open_size);
    inode.last_open_mtime_ns = mtime_ns;
    inode.last_open_size = st.st_size;
}

// Held around every change of a file's bytes.  Dropping the cached data
// file before the lock is released means the next query reopens it.
class WriteGuard {
   public:
    explicit WriteGuard(Inode &inode)
        : inode_(inode), lock_(content_lock(inode.src_dev, inode.src_ino)) {}
    ~WriteGuard() { datafile_drop(inode_.src_dev, inode_.src_ino); }

   private:
    Inode &inode_;
    std::unique_lock<std::shared_mutex> lock_;
};

}  // namespace

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    Node *node = node_of(ino);
    if (node->kind == NodeKind::query) {
        query_open(req, *as_query(node), fi);
        return;
    }
    Inode &inode = *static_cast<Inode *>(node);
    // O_DIRECT is not passed on: FUSE requests need not be aligned.
    int flags = fi->flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT);
    bool data_file = inode.type == S_IFREG && passthrough_is_data_file(inode);
    int fd, err = 0;
    if (flags & O_TRUNC) {
        WriteGuard writing(inode);
        CallerCredentials as_caller(req);
        fd = open(proc_path(inode.fd).c_str(), flags | O_CLOEXEC);
        if (fd < 0) err = errno;
    } else {
        CallerCredentials as_caller(req);
        fd = open(proc_path(inode.fd).c_str(), flags | O_CLOEXEC);
        if (fd < 0) err = errno;
    }
    if (fd < 0) {
        fuse_reply_err(req, err);
        return;
    }
    fi->fh = static_cast<uint64_t>(fd);
    decide_keep_cache(inode, fd, fi);
    if (opens_for_writing(fi->flags)) writer_opened(fi->fh, inode.src_dev, inode.src_ino);
    if (inode.type == S_IFREG)
        if (int backing_id = passthrough_opened(inode, fi->fh, data_file))
            open_reply_expect_passthrough(backing_id);
    if (fuse_reply_open(req, fi) != 0) {
        if (inode.type == S_IFREG) passthrough_released(inode, fi->fh);
        writer_released(fi->fh);
        close(fd);
    }
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               struct fuse_file_info *fi) {
    Inode &dir = *inode_of(parent);
    if (names_a_query(dir, name)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    // An existing file may be opened here too, and O_TRUNC would hide what
    // it was.
    bool data_file = passthrough_is_data_file(dir.fd, name);
    int fd;
    {
        CallerCredentials as_caller(req);
        fd = openat(dir.fd, name, (fi->flags | O_CREAT | O_CLOEXEC) & ~(O_NOFOLLOW | O_DIRECT),
                    mode);
    }
    if (fd < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    struct fuse_entry_param e;
    int err = lookup_backing(dir, name, &e);
    if (err) {
        close(fd);
        fuse_reply_err(req, err);
        return;
    }
    fi->fh = static_cast<uint64_t>(fd);
    Inode &inode = *inode_of(e.ino);
    if (opens_for_writing(fi->flags)) writer_opened(fi->fh, e.attr.st_dev, e.attr.st_ino);
    if (int backing_id = passthrough_opened(inode, fi->fh, data_file))
        open_reply_expect_passthrough(backing_id);
    if (fuse_reply_create(req, &e, fi) != 0) {
        passthrough_released(inode, fi->fh);
        writer_released(fi->fh);
        close(fd);
        inode_forget(&inode, 1);
    }
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    if (node_of(ino)->kind == NodeKind::query) {
        query_read(req, size, off, fi);
        return;
    }
    struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
    buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = file_fd(fi);
    buf.buf[0].pos = off;
    fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in_buf, off_t off,
                  struct fuse_file_info *fi) {
    Inode &inode = *inode_of(ino);
    struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
    out.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    out.buf[0].fd = file_fd(fi);
    out.buf[0].pos = off;
    ssize_t n;
    writer_writes(fi->fh);
    {
        WriteGuard writing(inode);
        n = fuse_buf_copy(&out, in_buf, static_cast<fuse_buf_copy_flags>(0));
    }
    if (n < 0)
        fuse_reply_err(req, static_cast<int>(-n));
    else
        fuse_reply_write(req, static_cast<size_t>(n));
}

void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if (node_of(ino)->kind == NodeKind::query) {
        fuse_reply_err(req, 0);
        return;
    }
    // close() of a duplicate reports delayed write errors to the closer, as
    // it would on ext4 itself.
    int rc = close(dup(file_fd(fi)));
    int err = rc < 0 ? errno : 0;
    writer_flushed(fi->fh);  // before the reply: close() returns after it
    fuse_reply_err(req, err);
}

void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if (node_of(ino)->kind == NodeKind::query) {
        query_release(req, fi);
        return;
    }
    Inode &inode = *static_cast<Inode *>(node_of(ino));
    if (inode.type == S_IFREG) passthrough_released(inode, fi->fh);
    writer_released(fi->fh);
    close(file_fd(fi));
    fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
    if (node_of(ino)->kind == NodeKind::query) {
        fuse_reply_err(req, 0);
        return;
    }
    int rc = datasync ? fdatasync(file_fd(fi)) : fsync(file_fd(fi));
    fuse_reply_err(req, rc < 0 ? errno : 0);
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                  struct fuse_file_info *fi) {
    Inode *inode = inode_of(ino);
    if (!inode) {
        fuse_reply_err(req, EBADF);
        return;
    }
    int rc;
    writer_writes(fi->fh);
    {
        WriteGuard writing(*inode);
        rc = fallocate(file_fd(fi), mode, offset, length);
    }
    fuse_reply_err(req, rc < 0 ? errno : 0);
}

void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op) {
    if (node_of(ino)->kind == NodeKind::query) {
        fuse_reply_err(req, 0);  // nothing to protect: the answer is private
        return;
    }
    flock_or_wait(req, file_fd(fi), op);  // never sleeps in a worker
}

void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                        struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                        struct fuse_file_info *fi_out, size_t len, int flags) {
    Inode *out = inode_of(ino_out);
    if (node_of(ino_in)->kind == NodeKind::query || !out) {
        fuse_reply_err(req, EXDEV);  // the kernel falls back to read + write
        return;
    }
    ssize_t n;
    writer_writes(fi_out->fh);
    {
        WriteGuard writing(*out);
        n = copy_file_range(file_fd(fi_in), &off_in, file_fd(fi_out), &off_out, len, flags);
    }
    if (n < 0)
        fuse_reply_err(req, errno);
    else
        fuse_reply_write(req, static_cast<size_t>(n));
}

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi) {
    if (node_of(ino)->kind == NodeKind::query) {
        fuse_reply_err(req, ENXIO);
        return;
    }
    off_t res = lseek(file_fd(fi), off, whence);
    if (res < 0)
        fuse_reply_err(req, errno);
    else
        fuse_reply_lseek(req, res);
}

}  // namespace chasefs
