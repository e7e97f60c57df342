#include "object_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace chase {
namespace {

const char *kind_of(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFDIR:
            return "a directory";
        case S_IFIFO:
            return "a FIFO";
        case S_IFCHR:
            return "a character device";
        case S_IFBLK:
            return "a block device";
        case S_IFSOCK:
            return "a socket";
        default:
            return "not a regular file";
    }
}

// One sentence for "absent" and "hidden": which of the two it was is
// exactly what a user who may not look must not learn.
Status unreadable(const std::string &path) {
    return Status::error(EACCES, "cannot read the BPF object " + path +
                                     ": it does not exist or is not readable by uid " +
                                     std::to_string(syscall(SYS_setfsuid, -1)));
}

bool hides_existence(int err) {
    return err == ENOENT || err == EACCES || err == EPERM || err == ENOTDIR || err == ELOOP ||
           err == ENAMETOOLONG;
}

// The rules of object_file.h, with this thread's credentials.
Status read_as_this_thread(const std::string &path, std::vector<uint8_t> *bytes) {
    int pfd = open(path.c_str(), O_PATH | O_CLOEXEC);
    if (pfd < 0) {
        int err = errno;
        return hides_existence(err) ? unreadable(path)
                                    : Status::error(err, "cannot open the BPF object " + path +
                                                             ": " + strerror(err));
    }
    struct stat st;
    if (fstat(pfd, &st) < 0) {
        int err = errno;
        close(pfd);
        return Status::error(err, "cannot stat the BPF object " + path + ": " + strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(pfd);
        return Status::error(
            EINVAL, path + " is " + kind_of(st.st_mode) + ": a BPF object must be a regular file");
    }
    std::string self = "/proc/self/fd/" + std::to_string(pfd);
    int fd = open(self.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    int open_err = errno;
    close(pfd);
    if (fd < 0)
        return hides_existence(open_err)
                   ? unreadable(path)
                   : Status::error(open_err, "cannot open the BPF object " + path + ": " +
                                                 strerror(open_err));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return Status::error(EINVAL, path + " changed while it was opened");
    }
    if (st.st_size <= 0) {
        close(fd);
        return Status::error(EINVAL, path +
                                         " is empty, or a file that does not tell its size "
                                         "(/proc, /sys): not a BPF object");
    }
    if (uint64_t(st.st_size) > kMaxObjectBytes) {
        close(fd);
        return Status::error(EFBIG, path + " is " + std::to_string(st.st_size) +
                                        " bytes; a BPF object may have at most " +
                                        std::to_string(kMaxObjectBytes) + " bytes");
    }
    bytes->assign(size_t(st.st_size), 0);
    size_t got = 0;
    while (got < bytes->size()) {
        ssize_t n = pread(fd, bytes->data() + got, bytes->size() - got, off_t(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            return Status::error(err, "reading the BPF object " + path + ": " + strerror(err));
        }
        if (n == 0) break;  // shrank meanwhile: what is there is the object
        got += size_t(n);
    }
    close(fd);
    bytes->resize(got);
    return {};
}

// Takes on `as` for file access, on this thread only: the raw system calls,
// since glibc's setgroups() would change every thread of the process.
// Moving fsuid away from 0 also drops CAP_DAC_OVERRIDE and its kin.
Status become(const Credentials &as) {
    if (geteuid() != 0) {
        if (as.uid == geteuid()) return {};
        return Status::error(EACCES, "the daemon runs as uid " + std::to_string(geteuid()) +
                                         " and cannot read files as uid " + std::to_string(as.uid));
    }
    std::vector<gid_t> groups(as.groups.begin(), as.groups.end());
    if (syscall(SYS_setgroups, groups.size(), groups.data()) != 0)
        return Status::error(errno, std::string("setgroups: ") + strerror(errno));
    syscall(SYS_setfsgid, as.gid);
    syscall(SYS_setfsuid, as.uid);
    if (uint32_t(syscall(SYS_setfsgid, -1)) != as.gid ||
        uint32_t(syscall(SYS_setfsuid, -1)) != as.uid)
        return Status::error(EPERM, "cannot take on uid " + std::to_string(as.uid));
    return {};
}

struct Reading {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    Status status;
    std::vector<uint8_t> bytes;
};

std::mutex g_readers_mutex;
unsigned g_readers = 0;

}  // namespace

Status read_object_file(const std::string &path, const Credentials *as,
                        std::vector<uint8_t> *bytes) {
    if (!as) return read_as_this_thread(path, bytes);
    {
        std::lock_guard<std::mutex> g(g_readers_mutex);
        if (g_readers >= kMaxObjectReaders)
            return Status::error(EAGAIN, "too many BPF objects are being read at once; try again");
        g_readers++;
    }
    auto r = std::make_shared<Reading>();
    try {
        std::thread([r, path, creds = *as] {
            Status st = become(creds);
            std::vector<uint8_t> got;
            if (st.ok()) st = read_as_this_thread(path, &got);
            {
                std::lock_guard<std::mutex> g(r->mutex);
                r->status = std::move(st);
                r->bytes = std::move(got);
                r->done = true;
            }
            r->done_cv.notify_all();
            std::lock_guard<std::mutex> g(g_readers_mutex);
            g_readers--;
        }).detach();
    } catch (const std::system_error &e) {
        std::lock_guard<std::mutex> g(g_readers_mutex);
        g_readers--;
        return Status::error(EAGAIN, std::string("cannot start a reader thread: ") + e.what());
    }
    std::unique_lock<std::mutex> lock(r->mutex);
    if (!r->done_cv.wait_for(lock, kObjectReadTimeout, [&] { return r->done; }))
        return Status::error(ETIMEDOUT,
                             "reading the BPF object " + path + " took longer than " +
                                 std::to_string(kObjectReadTimeout.count()) +
                                 " s (is its path on a filesystem that does not answer?)");
    if (!r->status.ok()) return r->status;
    *bytes = std::move(r->bytes);
    return {};
}

}  // namespace chase
