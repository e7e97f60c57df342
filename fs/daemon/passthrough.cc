#include "passthrough.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "kernel_replies.h"
#include "log.h"

namespace chasefs {
namespace {

// FUSE_DEV_IOC_BACKING_OPEN/CLOSE (Linux 6.9), newer than Debian 12's
// kernel headers: ioctls on the session's /dev/fuse descriptor.
struct BackingMap {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};
constexpr unsigned long kBackingOpen = _IOW(229, 1, BackingMap);
constexpr unsigned long kBackingClose = _IOW(229, 2, uint32_t);

std::atomic<bool> active{false};
std::atomic<uint64_t> opens_passed{0};
std::mutex why_mutex;
std::string why_off = "not negotiated yet";

void turn_off(const std::string &why) {
    std::lock_guard<std::mutex> g(why_mutex);
    if (!active.exchange(false) && why_off != "not negotiated yet") return;
    why_off = why;
    log_msg(LOG_NOTICE, "passthrough off: %s; ordinary files are read through the daemon",
            why.c_str());
}

int session_fd() {
    return fuse_session_fd(fs().session);
}

}  // namespace

bool passthrough_negotiate() {
    if (!fs().config.passthrough) {
        turn_off("-o passthrough=off");
        return false;
    }
    if (!kernel_offers_passthrough()) {
        turn_off("the kernel does not offer it (Linux >= 6.9 with CONFIG_FUSE_PASSTHROUGH)");
        return false;
    }
    if (geteuid() != 0) {
        turn_off("backing files need CAP_SYS_ADMIN; the daemon is not root");
        return false;
    }
    std::lock_guard<std::mutex> g(why_mutex);
    why_off.clear();
    active = true;
    return true;
}

bool passthrough_is_data_file(int dirfd, const std::string &path) {
    if (!active.load(std::memory_order_relaxed)) return false;
    // The daemon's own look, as root: it decides how the daemon serves the
    // file and tells the caller nothing.  O_NOATIME: the look is not a read.
    // Only a regular file is opened (a device's open may do something).
    struct stat st;
    if (fstatat(dirfd, path.c_str(), &st, 0) < 0) return errno != ENOENT;
    if (!S_ISREG(st.st_mode)) return false;
    constexpr int kLook = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
    int fd = openat(dirfd, path.c_str(), kLook | O_NOATIME);
    if (fd < 0 && errno == EPERM) fd = openat(dirfd, path.c_str(), kLook);
    if (fd < 0) return errno != ENOENT;  // unknown: the daemon's path is always correct
    bool data = chase::DataFile::looks_like_one(fd);
    close(fd);
    return data;
}

bool passthrough_is_data_file(Inode &inode) {
    if (!active.load(std::memory_order_relaxed)) return false;
    struct stat st;
    if (fstat(inode.fd, &st) < 0) return true;
    int64_t ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
    {
        std::lock_guard<std::mutex> g(inode.open_mutex);
        if (inode.classified_ctime_ns == ctime_ns && inode.classified_size == st.st_size)
            return inode.classified_data;
    }
    bool data = passthrough_is_data_file(AT_FDCWD, proc_path(inode.fd));
    std::lock_guard<std::mutex> g(inode.open_mutex);
    inode.classified_ctime_ns = ctime_ns;
    inode.classified_size = st.st_size;
    inode.classified_data = data;
    return data;
}

int passthrough_opened(Inode &inode, uint64_t fh, bool data_file) {
    std::lock_guard<std::mutex> g(inode.open_mutex);
    bool pass = active.load(std::memory_order_relaxed) &&
                (!inode.passthrough_fhs.empty() || (inode.cached_opens == 0 && !data_file));
    if (pass && inode.passthrough_fhs.empty()) {
        // The inode's O_PATH descriptor, not this open's: the kernel takes
        // only the path from it (each open gets a backing file of its own,
        // with its own flags), and the registration then holds no access
        // mode of the first opener for as long as other opens keep it.
        BackingMap map = {static_cast<int32_t>(inode.fd), 0, 0};
        int id = ioctl(session_fd(), kBackingOpen, &map);
        if (id <= 0) {
            int err = errno;
            turn_off(std::string("the kernel refused a backing file: ") + strerror(err));
            pass = false;
        } else {
            inode.backing_id = id;
        }
    }
    if (!pass) {
        inode.cached_opens++;
        return 0;
    }
    inode.passthrough_fhs.push_back(fh);
    opens_passed.fetch_add(1, std::memory_order_relaxed);
    return inode.backing_id;
}

void passthrough_released(Inode &inode, uint64_t fh) {
    std::lock_guard<std::mutex> g(inode.open_mutex);
    auto &fhs = inode.passthrough_fhs;
    auto it = std::find(fhs.begin(), fhs.end(), fh);
    if (it == fhs.end()) {
        if (inode.cached_opens > 0) inode.cached_opens--;
        return;
    }
    fhs.erase(it);
    if (!fhs.empty()) return;
    // Open files keep their own reference to the backing file: closing the
    // id only stops new opens from using it.
    uint32_t id = uint32_t(inode.backing_id);
    inode.backing_id = 0;
    if (ioctl(session_fd(), kBackingClose, &id) < 0)
        log_msg(LOG_WARNING, "closing backing id %u: %s", id, strerror(errno));
}

std::string passthrough_text() {
    std::string state;
    {
        std::lock_guard<std::mutex> g(why_mutex);
        state = active ? "on" : "off (" + why_off + ")";
    }
    return "passthrough=" + state +
           "\npassthrough_opens=" + std::to_string(opens_passed.load(std::memory_order_relaxed)) +
           "\n";
}

}  // namespace chasefs
