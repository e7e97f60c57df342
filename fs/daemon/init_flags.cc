#include "init_flags.h"

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "fs_state.h"
#include "log.h"

namespace chasefs {

namespace {

// Set by the init operation on the thread that will write the INIT reply
// (libfuse's do_init() calls it and then replies, on the same thread).
thread_local bool expecting_init_reply = false;
thread_local uint32_t init_flags_to_add = 0;

std::atomic<uint64_t> sent_flags{0};

// The INIT reply as do_init() writes it: the out header, then fuse_init_out
// (24 bytes up to protocol 7.22, the whole struct after).  Anything else is
// left alone.
void amend_init_reply(struct iovec *iov, int count) {
    if (count < 2 || iov[0].iov_len != sizeof(struct fuse_out_header)) return;
    auto *out = static_cast<struct fuse_out_header *>(iov[0].iov_base);
    if (out->error != 0 || iov[1].iov_len < offsetof(struct fuse_init_out, max_background)) return;
    auto *init = static_cast<struct fuse_init_out *>(iov[1].iov_base);
    init->flags |= init_flags_to_add;
    uint64_t words = init->flags;
    if ((init->flags & FUSE_INIT_EXT) && iov[1].iov_len >= sizeof(struct fuse_init_out))
        words |= uint64_t(init->flags2) << 32;
    sent_flags.store(words, std::memory_order_relaxed);
}

void log_sent_flags() {
    std::string text = init_flags_text();
    if (!text.empty()) text.pop_back();
    log_msg(LOG_DEBUG, "INIT reply: %s", text.c_str());
}

ssize_t amending_writev(int fd, struct iovec *iov, int count, void *) {
    bool init = std::exchange(expecting_init_reply, false);
    if (init) amend_init_reply(iov, count);
    ssize_t n = writev(fd, iov, count);
    if (init && fs().config.debug) {
        int err = errno;  // libfuse reads it after we return
        log_sent_flags();
        errno = err;
    }
    return n;
}

ssize_t plain_read(int fd, void *buf, size_t len, void *) {
    return read(fd, buf, len);
}

// libfuse moves file data with splice only when the custom io offers it;
// these are the system calls its own transport would make.
ssize_t plain_splice(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
                     unsigned int flags, void *) {
    return splice(fdin, offin, fdout, offout, len, flags);
}

constexpr std::pair<uint64_t, const char *> kFlagNames[] = {
    {FUSE_ASYNC_READ, "ASYNC_READ"},
    {FUSE_POSIX_LOCKS, "POSIX_LOCKS"},
    {FUSE_ATOMIC_O_TRUNC, "ATOMIC_O_TRUNC"},
    {FUSE_EXPORT_SUPPORT, "EXPORT_SUPPORT"},
    {FUSE_BIG_WRITES, "BIG_WRITES"},
    {FUSE_DONT_MASK, "DONT_MASK"},
    {FUSE_SPLICE_WRITE, "SPLICE_WRITE"},
    {FUSE_SPLICE_MOVE, "SPLICE_MOVE"},
    {FUSE_SPLICE_READ, "SPLICE_READ"},
    {FUSE_FLOCK_LOCKS, "FLOCK_LOCKS"},
    {FUSE_HAS_IOCTL_DIR, "HAS_IOCTL_DIR"},
    {FUSE_AUTO_INVAL_DATA, "AUTO_INVAL_DATA"},
    {FUSE_DO_READDIRPLUS, "DO_READDIRPLUS"},
    {FUSE_READDIRPLUS_AUTO, "READDIRPLUS_AUTO"},
    {FUSE_ASYNC_DIO, "ASYNC_DIO"},
    {FUSE_WRITEBACK_CACHE, "WRITEBACK_CACHE"},
    {FUSE_NO_OPEN_SUPPORT, "NO_OPEN_SUPPORT"},
    {FUSE_PARALLEL_DIROPS, "PARALLEL_DIROPS"},
    {FUSE_HANDLE_KILLPRIV, "HANDLE_KILLPRIV"},
    {FUSE_POSIX_ACL, "POSIX_ACL"},
    {FUSE_MAX_PAGES, "MAX_PAGES"},
    {FUSE_CACHE_SYMLINKS, "CACHE_SYMLINKS"},
    {FUSE_EXPLICIT_INVAL_DATA, "EXPLICIT_INVAL_DATA"},
    {FUSE_INIT_EXT, "INIT_EXT"},
};

}  // namespace

bool init_flags_install(struct fuse_session *se) {
    static const struct fuse_custom_io io = {
        .writev = amending_writev,
        .read = plain_read,
        .splice_receive = plain_splice,
        .splice_send = plain_splice,
    };
    int rc = fuse_session_custom_io(se, &io, fuse_session_fd(se));
    if (rc != 0) {
        log_msg(LOG_ERR, "fuse_session_custom_io: %s", strerror(-rc));
        return false;
    }
    return true;
}

void init_flags_expect_reply(const struct fuse_conn_info *conn) {
    init_flags_to_add = 0;
    if ((conn->want & FUSE_CAP_PARALLEL_DIROPS) && (conn->capable & FUSE_CAP_PARALLEL_DIROPS))
        init_flags_to_add |= FUSE_PARALLEL_DIROPS;
    expecting_init_reply = true;
}

std::string init_flags_text() {
    uint64_t words = sent_flags.load(std::memory_order_relaxed);
    if (words == 0) return {};
    std::string names;
    for (auto [bit, name] : kFlagNames) {
        if (!(words & bit)) continue;
        if (!names.empty()) names += ',';
        names += name;
    }
    return "kernel_init_flags=" + names + "\n";
}

}  // namespace chasefs
