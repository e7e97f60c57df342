// Extended attributes.  The source object's own attributes pass through
// unchanged; user.chase.* names of regular files are answered by
// chase_xattr.cc.  The backing file's attributes are read and changed with
// the caller's credentials (trusted.* and security.* then answer as ext4
// would answer the caller).  No handler here ever answers ENOSYS: the kernel would then
// turn extended attributes off for the whole mount.
#include <errno.h>
#include <sys/xattr.h>

#include <cstring>
#include <vector>

#include "caller.h"
#include "chase_xattr.h"
#include "ops.h"

namespace chasefs {
namespace {

// Regular files and directories are reached through /proc/self/fd (an O_PATH
// fd cannot carry xattr calls); other types have no user.* attributes.
bool xattr_capable(const Inode &inode) {
    return inode.type == S_IFREG || inode.type == S_IFDIR;
}

void reply_value(fuse_req_t req, ssize_t n, const std::vector<char> &buf, size_t size) {
    if (n < 0)
        fuse_reply_err(req, errno);
    else if (size == 0)
        fuse_reply_xattr(req, static_cast<size_t>(n));
    else
        fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
}

}  // namespace

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
    Inode *inode = inode_of(ino);
    if (!inode || !xattr_capable(*inode)) {
        fuse_reply_err(req, inode ? ENOTSUP : ENODATA);
        return;
    }
    if (inode->type == S_IFREG && chase_getxattr(req, *inode, name, size)) return;
    // The daemon's own state, memory included, on the mount root (also as
    // user.chase.stats, the name a data file's statistics have).
    if (inode == &fs().root &&
        (strcmp(name, "user.chase.daemon") == 0 || strcmp(name, "user.chase.stats") == 0)) {
        std::string v = daemon_status_text();
        if (size == 0)
            fuse_reply_xattr(req, v.size());
        else if (v.size() > size)
            fuse_reply_err(req, ERANGE);
        else
            fuse_reply_buf(req, v.data(), v.size());
        return;
    }
    std::vector<char> buf(size);
    ssize_t n;
    {
        CallerCredentials as_caller(req);
        n = getxattr(proc_path(inode->fd).c_str(), name, size ? buf.data() : nullptr, size);
    }
    reply_value(req, n, buf, size);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
                 int flags) {
    Inode *inode = inode_of(ino);
    if (!inode || !xattr_capable(*inode)) {
        fuse_reply_err(req, inode ? ENOTSUP : EPERM);
        return;
    }
    if (inode->type == S_IFREG && chase_setxattr(req, *inode, name, value, size, flags)) return;
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (setxattr(proc_path(inode->fd).c_str(), name, value, size, flags) < 0) err = errno;
    }
    fuse_reply_err(req, err);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    Inode *inode = inode_of(ino);
    if (!inode) {  // query results have no attributes
        if (size == 0)
            fuse_reply_xattr(req, 0);
        else
            fuse_reply_buf(req, nullptr, 0);
        return;
    }
    if (!xattr_capable(*inode)) {
        fuse_reply_err(req, ENOTSUP);
        return;
    }
    std::string path = proc_path(inode->fd);
    std::string names;
    // The list may grow between the probe and the read: retry a few times.
    for (int attempt = 0; attempt < 4; attempt++) {
        ssize_t n = listxattr(path.c_str(), nullptr, 0);
        if (n < 0) {
            fuse_reply_err(req, errno);
            return;
        }
        names.resize(static_cast<size_t>(n));
        n = listxattr(path.c_str(), names.data(), names.size());
        if (n >= 0) {
            names.resize(static_cast<size_t>(n));
            break;
        }
        if (errno != ERANGE || attempt == 3) {
            fuse_reply_err(req, errno);
            return;
        }
    }
    if (inode->type == S_IFREG) names += chase_listed_names(*inode);
    if (size == 0)
        fuse_reply_xattr(req, names.size());
    else if (names.size() > size)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, names.data(), names.size());
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
    Inode *inode = inode_of(ino);
    if (!inode || !xattr_capable(*inode)) {
        fuse_reply_err(req, inode ? ENOTSUP : EPERM);
        return;
    }
    if (inode->type == S_IFREG && chase_removexattr(req, *inode, name)) return;
    int rc;
    {
        CallerCredentials as_caller(req);
        rc = removexattr(proc_path(inode->fd).c_str(), name);
    }
    fuse_reply_err(req, rc < 0 ? errno : 0);
}

}  // namespace chasefs
