// Directory handles.  readdir lists exactly the source directory: query
// names are never in it, so they are never listed.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "inode_table.h"
#include "ops.h"

namespace chasefs {
namespace {

struct DirHandle {
    DIR *dir = nullptr;
    off_t offset = 0;                  // where the stream stands
    struct dirent *pending = nullptr;  // read but not yet returned
    ~DirHandle() {
        if (dir) closedir(dir);
    }
};

DirHandle *dir_handle(struct fuse_file_info *fi) {
    return reinterpret_cast<DirHandle *>(fi->fh);
}

bool is_dot_or_dotdot(const char *name) {
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

// Adds one entry; false if it did not fit (the caller keeps it for later).
bool add_entry(fuse_req_t req, Inode &dir, struct dirent *d, bool plus, char *buf, size_t rem,
               size_t *used, int *err) {
    size_t n;
    if (!plus) {
        struct stat st = {};
        st.st_ino = d->d_ino;
        st.st_mode = static_cast<mode_t>(d->d_type) << 12;
        n = fuse_add_direntry(req, buf, rem, d->d_name, &st, d->d_off);
        if (n > rem) return false;
        *used = n;
        return true;
    }
    struct fuse_entry_param e = {};
    if (is_dot_or_dotdot(d->d_name)) {
        e.attr.st_ino = d->d_ino;
        e.attr.st_mode = static_cast<mode_t>(d->d_type) << 12;
    } else {
        *err = lookup_backing(dir, d->d_name, &e);
        if (*err == ENOENT) {  // vanished between readdir and lookup: skip it
            *err = 0;
            *used = 0;
            return true;
        }
        if (*err) return false;
    }
    n = fuse_add_direntry_plus(req, buf, rem, d->d_name, &e, d->d_off);
    if (n > rem) {
        if (e.ino) inode_forget(inode_of(e.ino), 1);  // the kernel never saw it
        return false;
    }
    *used = n;
    return true;
}

void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi,
                bool plus) {
    Inode &dir = *inode_of(ino);
    DirHandle *h = dir_handle(fi);
    if (off != h->offset) {
        seekdir(h->dir, off);
        h->pending = nullptr;
        h->offset = off;
    }
    std::vector<char> buf(size);
    size_t pos = 0;
    int err = 0;
    while (true) {
        struct dirent *d = h->pending;
        if (!d) {
            errno = 0;
            d = readdir(h->dir);
            if (!d) {
                err = errno;
                break;
            }
        }
        size_t used = 0;
        if (!add_entry(req, dir, d, plus, buf.data() + pos, size - pos, &used, &err)) {
            h->pending = d;
            break;
        }
        h->pending = nullptr;
        h->offset = d->d_off;
        pos += used;
    }
    // An error after some entries is reported on the next call.
    if (err && pos == 0) {
        fuse_reply_err(req, err);
        return;
    }
    fuse_reply_buf(req, buf.data(), pos);
}

}  // namespace

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    Inode *inode = inode_of(ino);
    if (!inode) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    int fd = openat(inode->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    auto h = std::make_unique<DirHandle>();
    h->dir = fdopendir(fd);
    if (!h->dir) {
        int err = errno;
        close(fd);
        fuse_reply_err(req, err);
        return;
    }
    fi->fh = reinterpret_cast<uint64_t>(h.get());
    if (fuse_reply_open(req, fi) == 0) h.release();
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    do_readdir(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi) {
    do_readdir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    delete dir_handle(fi);
    fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
    int fd = dirfd(dir_handle(fi)->dir);
    int rc = datasync ? fdatasync(fd) : fsync(fd);
    fuse_reply_err(req, rc < 0 ? errno : 0);
}

}  // namespace chasefs
