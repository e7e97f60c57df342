// Names in directories: lookup, the create-type operations, unlink, rename,
// forget.  Every call works relative to the parent's O_PATH fd, and every
// change is made with the caller's credentials (caller.h).
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "caller.h"
#include "inode_table.h"
#include "ops.h"
#include "query_node.h"

namespace chasefs {

int lookup_backing(Inode &parent, const char *name, struct fuse_entry_param *e) {
    memset(e, 0, sizeof(*e));
    e->attr_timeout = fs().config.timeout;
    e->entry_timeout = fs().config.timeout;
    int fd = openat(parent.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno;
    if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
        int err = errno;
        close(fd);
        return err;
    }
    Inode *inode = inode_acquire(fd, e->attr);
    e->ino = nodeid_of(inode);
    return 0;
}

// Replies to a create-type operation: the new name's entry, or the error.
void reply_entry_or_err(fuse_req_t req, Inode &parent, const char *name, int err) {
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    struct fuse_entry_param e;
    err = lookup_backing(parent, name, &e);
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    if (fuse_reply_entry(req, &e) != 0) inode_forget(inode_of(e.ino), 1);
}

// A failpoint for the tests of guarded(): CHASEFS_TEST_THROW_ON=NAME makes
// a lookup of NAME fail as an allocation would (hostile_user_mount_test.cc).
static void maybe_throw_for_test(const char *name) {
    static const char *on = getenv("CHASEFS_TEST_THROW_ON");
    if (on && strcmp(on, name) == 0) throw std::bad_alloc();
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    maybe_throw_for_test(name);
    Inode *dir = inode_of(parent);
    if (!dir) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    struct fuse_entry_param e;
    int err = lookup_backing(*dir, name, &e);
    if (err == ENOENT && strchr(name, '@')) {
        // A real file of that name would have won above.
        if (query_lookup(req, *dir, name)) return;
        // Not a query either: a negative entry, but never cached, since F may
        // become a data file (setfattr user.chase.fn) at any time.
        memset(&e, 0, sizeof(e));
        fuse_reply_entry(req, &e);
        return;
    }
    if (err == ENOENT) {
        memset(&e, 0, sizeof(e));
        e.entry_timeout = fs().config.timeout;
        fuse_reply_entry(req, &e);
        return;
    }
    if (err) {
        fuse_reply_err(req, err);
        return;
    }
    if (fuse_reply_entry(req, &e) != 0) inode_forget(inode_of(e.ino), 1);
}

static void forget_node(fuse_ino_t ino, uint64_t n) {
    Node *node = node_of(ino);
    if (node->kind == NodeKind::query)
        query_forget(as_query(node), n);
    else
        inode_forget(static_cast<Inode *>(node), n);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
    forget_node(ino, nlookup);
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets) {
    for (size_t i = 0; i < count; i++) forget_node(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
    Inode &dir = *inode_of(parent);
    if (names_a_query(dir, name)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (mkdirat(dir.fd, name, mode) < 0) err = errno;
    }
    reply_entry_or_err(req, dir, name, err);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
    Inode &dir = *inode_of(parent);
    if (names_a_query(dir, name)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (mknodat(dir.fd, name, mode, rdev) < 0) err = errno;
    }
    reply_entry_or_err(req, dir, name, err);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) {
    Inode &dir = *inode_of(parent);
    if (names_a_query(dir, name)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (symlinkat(link, dir.fd, name) < 0) err = errno;
    }
    reply_entry_or_err(req, dir, name, err);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname) {
    Inode *inode = inode_of(ino);
    Inode &dir = *inode_of(newparent);
    if (!inode) {
        fuse_reply_err(req, EPERM);  // query results cannot be linked
        return;
    }
    if (names_a_query(dir, newname)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    // As the caller, through the /proc link (AT_EMPTY_PATH needs
    // CAP_DAC_READ_SEARCH, which a caller's fsuid drops).  A symlink cannot
    // be reached that way: it is linked with the daemon's rights, which
    // decide nothing here, since the kernel has checked the caller's right
    // to write the directory (default_permissions) and a link makes no inode.
    int err = 0;
    if (inode->type == S_IFLNK) {
        if (linkat(inode->fd, "", dir.fd, newname, AT_EMPTY_PATH) < 0) err = errno;
    } else {
        CallerCredentials as_caller(req);
        if (linkat(AT_FDCWD, proc_path(inode->fd).c_str(), dir.fd, newname, AT_SYMLINK_FOLLOW) < 0)
            err = errno;
    }
    reply_entry_or_err(req, dir, newname, err);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
    Inode &dir = *inode_of(parent);
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (unlinkat(dir.fd, name, 0) < 0) err = errno;
    }
    fuse_reply_err(req, err);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
    Inode &dir = *inode_of(parent);
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (unlinkat(dir.fd, name, AT_REMOVEDIR) < 0) err = errno;
    }
    fuse_reply_err(req, err);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
               const char *newname, unsigned int flags) {
    Inode &from = *inode_of(parent);
    Inode &to = *inode_of(newparent);
    if (names_a_query(to, newname)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    // renameat2 carries RENAME_NOREPLACE / RENAME_EXCHANGE / RENAME_WHITEOUT
    // to ext4 unchanged, so their checks and errors are ext4's own.
    int err = 0;
    {
        CallerCredentials as_caller(req);
        if (renameat2(from.fd, name, to.fd, newname, flags) < 0) err = errno;
    }
    fuse_reply_err(req, err);
}

}  // namespace chasefs
