// Attributes: getattr, setattr (chmod, chown, truncate, utimens), readlink,
// statfs.  Metadata comes straight from the source object, so inode numbers,
// sizes and times are the source's own.
#include <errno.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <climits>

#include "caller.h"
#include "content_lock.h"
#include "datafile_cache.h"
#include "open_writers.h"
#include "ops.h"
#include "query_node.h"

namespace chasefs {

std::string proc_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

int stat_inode(const Inode &inode, struct stat *st) {
    if (fstatat(inode.fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return errno;
    return 0;
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    Node *node = node_of(ino);
    if (node->kind == NodeKind::query) {
        query_getattr(req, *as_query(node), fi);
        return;
    }
    struct stat st;
    int err = stat_inode(*static_cast<Inode *>(node), &st);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    fuse_reply_attr(req, &st, fs().config.timeout);
}

static int set_times(Inode &inode, const struct stat *attr, int valid, int fh) {
    struct timespec tv[2];
    tv[0].tv_sec = 0;
    tv[1].tv_sec = 0;
    tv[0].tv_nsec = UTIME_OMIT;
    tv[1].tv_nsec = UTIME_OMIT;
    if (valid & FUSE_SET_ATTR_ATIME_NOW)
        tv[0].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_ATIME)
        tv[0] = attr->st_atim;
    if (valid & FUSE_SET_ATTR_MTIME_NOW)
        tv[1].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_MTIME)
        tv[1] = attr->st_mtim;
    int rc;
    if (fh >= 0)
        rc = futimens(fh, tv);
    else if (inode.type == S_IFLNK)
        rc = utimensat(inode.fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    else
        rc = utimensat(AT_FDCWD, proc_path(inode.fd).c_str(), tv, 0);
    return rc < 0 ? errno : 0;
}

static int set_size(Inode &inode, off_t size, int fh) {
    // A truncate is a write: queries on this file must not see it half done.
    if (fh >= 0) writer_writes(static_cast<uint64_t>(fh));
    std::unique_lock<std::shared_mutex> writing(content_lock(inode.src_dev, inode.src_ino));
    int rc = fh >= 0 ? ftruncate(fh, size) : truncate(proc_path(inode.fd).c_str(), size);
    datafile_drop(inode.src_dev, inode.src_ino);
    return rc < 0 ? errno : 0;
}

// Each change as the caller would make it on the backing filesystem, which
// also gives ext4's own answers: a chown to the same owner is still a
// change of ctime, a chmod by a non-member drops the set-group-ID bit.
static int set_attributes(fuse_req_t req, Inode &inode, const struct stat *attr, int valid,
                          int fh) {
    CallerCredentials as_caller(req);
    int err = 0;
    if (!err && (valid & FUSE_SET_ATTR_MODE)) {
        int rc =
            fh >= 0 ? fchmod(fh, attr->st_mode) : chmod(proc_path(inode.fd).c_str(), attr->st_mode);
        if (rc < 0) err = errno;
    }
    // chown(F, -1, -1) reaches us with nothing to change (the kernel sends
    // no ctime without writeback caching), yet on ext4 it changes ctime.
    constexpr int kChanges = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
                             FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                             FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW;
    if (!(valid & kChanges) &&
        fchownat(inode.fd, "", uid_t(-1), gid_t(-1), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        err = errno;
    if (!err && (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
        uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : static_cast<uid_t>(-1);
        gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : static_cast<gid_t>(-1);
        if (fchownat(inode.fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) err = errno;
    }
    if (!err && (valid & FUSE_SET_ATTR_SIZE)) err = set_size(inode, attr->st_size, fh);
    if (!err && (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
                          FUSE_SET_ATTR_MTIME_NOW)))
        err = set_times(inode, attr, valid, fh);
    return err;
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
                struct fuse_file_info *fi) {
    Inode *inode = inode_of(ino);
    if (!inode) {
        fuse_reply_err(req, EROFS);  // query results are read-only
        return;
    }
    int fh = fi ? static_cast<int>(fi->fh) : -1;
    int err = set_attributes(req, *inode, attr, valid, fh);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    op_getattr(req, ino, fi);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    Inode *inode = inode_of(ino);
    if (!inode) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    char buf[PATH_MAX + 1];
    ssize_t n = readlinkat(inode->fd, "", buf, sizeof(buf));
    if (n < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    if (n >= static_cast<ssize_t>(sizeof(buf))) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    buf[n] = '\0';
    fuse_reply_readlink(req, buf);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
    Inode *inode = inode_of(ino);
    struct statvfs sv;
    if (fstatvfs(inode ? inode->fd : fs().root.fd, &sv) < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    fuse_reply_statfs(req, &sv);
}

}  // namespace chasefs
