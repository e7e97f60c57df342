#include "block_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oracle {

Error PreadSource::open(const std::string &path, bool direct, std::unique_ptr<PreadSource> *out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) return Error::make(errno, path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        return Error::make(e, path + ": " + std::strerror(e));
    }
    out->reset(new PreadSource);
    (*out)->fd_ = fd;
    (*out)->size_ = uint64_t(st.st_size);
    return {};
}

PreadSource::~PreadSource() {
    if (fd_ >= 0) ::close(fd_);
}

Error PreadSource::read(uint64_t off, uint32_t len, uint8_t *buf, uint32_t *got) {
    ssize_t n;
    do n = ::pread(fd_, buf, len, off_t(off));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return Error::make(errno, "pread at " + std::to_string(off) + ": " + std::strerror(errno));
    *got = uint32_t(n);
    return {};
}

}  // namespace oracle
