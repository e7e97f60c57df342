#include "kernel_replies.h"

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "fs_state.h"
#include "log.h"

namespace chasefs {

namespace {

// Passthrough's part of the protocol (Linux 6.9, FUSE 7.40), which the
// Debian 12 kernel headers predate: the flag is bit 5 of flags2, the depth
// the word after flags2 (unused[0] in older headers), the open flag bit 7,
// the backing id the last word of fuse_open_out (its padding before 7.40).
constexpr uint64_t kPassthroughFlag = 1ull << 37;
constexpr size_t kMaxStackDepthAt = offsetof(struct fuse_init_out, flags2) + 4;
constexpr uint32_t kOpenPassthrough = 1u << 7;
static_assert(sizeof(struct fuse_open_out) == 16);
static_assert(sizeof(struct fuse_init_out) >= kMaxStackDepthAt + 4);

// Set by the init operation on the thread that will write the INIT reply
// (libfuse's do_init() calls it and then replies, on the same thread).
thread_local bool expecting_init_reply = false;
thread_local uint64_t init_flags_to_add = 0;
// Set by an open on the thread that will write its reply next.
thread_local int open_reply_backing_id = 0;

std::atomic<uint64_t> sent_flags{0};
std::atomic<uint64_t> offered_flags{0};
std::atomic<bool> init_request_seen{false};

// The INIT reply as do_init() writes it: the out header, then fuse_init_out
// (24 bytes up to protocol 7.22, the whole struct after).  Anything else is
// left alone.
void amend_init_reply(struct iovec *iov, int count) {
    if (count < 2 || iov[0].iov_len != sizeof(struct fuse_out_header)) return;
    auto *out = static_cast<struct fuse_out_header *>(iov[0].iov_base);
    if (out->error != 0 || iov[1].iov_len < offsetof(struct fuse_init_out, max_background)) return;
    auto *init = static_cast<struct fuse_init_out *>(iov[1].iov_base);
    init->flags |= uint32_t(init_flags_to_add);
    bool ext = (init->flags & FUSE_INIT_EXT) && iov[1].iov_len >= sizeof(struct fuse_init_out);
    if (ext && (init_flags_to_add & kPassthroughFlag)) {
        init->flags2 |= uint32_t(kPassthroughFlag >> 32);
        // Backing files are ext4's own (depth 0), so the mount has depth 1.
        uint32_t depth = 1;
        memcpy(static_cast<char *>(iov[1].iov_base) + kMaxStackDepthAt, &depth, sizeof depth);
    }
    uint64_t words = init->flags;
    if (ext) words |= uint64_t(init->flags2) << 32;
    sent_flags.store(words, std::memory_order_relaxed);
}

// An OPEN reply is the out header and fuse_open_out; a CREATE reply the
// header and one buffer of fuse_entry_out followed by fuse_open_out.
void amend_open_reply(struct iovec *iov, int count, int backing_id) {
    if (count != 2 || iov[0].iov_len != sizeof(struct fuse_out_header)) return;
    auto *out = static_cast<struct fuse_out_header *>(iov[0].iov_base);
    if (out->error != 0 || iov[1].iov_len < sizeof(struct fuse_open_out)) return;
    char *open_out =
        static_cast<char *>(iov[1].iov_base) + iov[1].iov_len - sizeof(struct fuse_open_out);
    auto *o = reinterpret_cast<struct fuse_open_out *>(open_out);
    o->open_flags |= kOpenPassthrough;
    o->open_flags &= ~uint32_t(FOPEN_KEEP_CACHE | FOPEN_DIRECT_IO);
    int32_t id = backing_id;
    memcpy(open_out + offsetof(struct fuse_open_out, padding), &id, sizeof id);
}

void log_sent_flags() {
    std::string text = init_flags_text();
    if (!text.empty()) text.pop_back();
    log_msg(LOG_DEBUG, "INIT reply: %s", text.c_str());
}

ssize_t amending_writev(int fd, struct iovec *iov, int count, void *) {
    bool init = std::exchange(expecting_init_reply, false);
    if (init) amend_init_reply(iov, count);
    if (int id = std::exchange(open_reply_backing_id, 0)) amend_open_reply(iov, count, id);
    ssize_t n = writev(fd, iov, count);
    if (init && fs().config.debug) {
        int err = errno;  // libfuse reads it after we return
        log_sent_flags();
        errno = err;
    }
    return n;
}

// The first request is INIT: what the kernel offers is read from it, since
// libfuse 3.14 keeps only the flags it knows.
ssize_t observing_read(int fd, void *buf, size_t len, void *) {
    ssize_t n = read(fd, buf, len);
    if (n > 0 && !init_request_seen.load(std::memory_order_relaxed)) {
        auto *in = static_cast<const struct fuse_in_header *>(buf);
        constexpr size_t kWanted =
            sizeof(struct fuse_in_header) + offsetof(struct fuse_init_in, unused);
        if (size_t(n) >= sizeof(struct fuse_in_header) && in->opcode == FUSE_INIT) {
            init_request_seen.store(true, std::memory_order_relaxed);
            if (size_t(n) >= kWanted) {
                auto *init = reinterpret_cast<const struct fuse_init_in *>(in + 1);
                uint64_t words = init->flags;
                if (init->flags & FUSE_INIT_EXT) words |= uint64_t(init->flags2) << 32;
                offered_flags.store(words, std::memory_order_relaxed);
            }
        }
    }
    return n;
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
    {kPassthroughFlag, "PASSTHROUGH"},
};

}  // namespace

bool kernel_replies_install(struct fuse_session *se) {
    static const struct fuse_custom_io io = {
        .writev = amending_writev,
        .read = observing_read,
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

bool kernel_offers_passthrough() {
    return offered_flags.load(std::memory_order_relaxed) & kPassthroughFlag;
}

void init_reply_expect(const struct fuse_conn_info *conn, bool passthrough) {
    init_flags_to_add = 0;
    if ((conn->want & FUSE_CAP_PARALLEL_DIROPS) && (conn->capable & FUSE_CAP_PARALLEL_DIROPS))
        init_flags_to_add |= FUSE_PARALLEL_DIROPS;
    if (passthrough && kernel_offers_passthrough()) init_flags_to_add |= kPassthroughFlag;
    expecting_init_reply = true;
}

void open_reply_expect_passthrough(int backing_id) {
    open_reply_backing_id = backing_id;
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
