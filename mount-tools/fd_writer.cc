#include "fd_writer.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace mkindex {

FdWriter::FdWriter(int fd, size_t buf_size) : fd_(fd), buf_(new char[buf_size]), cap_(buf_size) {}

void FdWriter::drain() {
    size_t done = 0;
    while (err_.ok() && done < used_) {
        ssize_t w = ::write(fd_, buf_.get() + done, used_ - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            err_ = BuildError::from_errno("write at offset " + std::to_string(written_ + done));
            break;
        }
        done += size_t(w);
    }
    written_ += used_;
    used_ = 0;
}

void FdWriter::put(const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
        size_t k = std::min(n, cap_ - used_);
        std::memcpy(buf_.get() + used_, c, k);
        used_ += k;
        c += k;
        n -= k;
        if (used_ == cap_) drain();
    }
}

void FdWriter::put_zeros(size_t n) {
    static const char zeros[4096] = {};
    while (n) {
        size_t k = std::min(n, sizeof zeros);
        put(zeros, k);
        n -= k;
    }
}

BuildError FdWriter::flush() {
    drain();
    return err_;
}

}  // namespace mkindex
