#include "uring_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bench {

oracle::Error UringSource::open(const std::string &path, std::unique_ptr<UringSource> *out) {
    std::unique_ptr<UringSource> s(new UringSource);
    s->fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (s->fd_ < 0) return oracle::Error::make(errno, path + ": " + std::strerror(errno));
    struct stat st;
    fstat(s->fd_, &st);
    s->size_ = uint64_t(st.st_size);
    int r = io_uring_queue_init(4, &s->ring_, 0);
    if (r < 0) return oracle::Error::make(-r, std::string("io_uring_queue_init: ") + strerror(-r));
    s->ring_ok_ = true;
    *out = std::move(s);
    return {};
}

UringSource::~UringSource() {
    if (ring_ok_) io_uring_queue_exit(&ring_);
    if (fd_ >= 0) ::close(fd_);
}

oracle::Error UringSource::read(uint64_t off, uint32_t len, uint8_t *buf, uint32_t *got) {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    io_uring_prep_read(sqe, fd_, buf, len, off);
    int r = io_uring_submit_and_wait(&ring_, 1);
    if (r < 0) return oracle::Error::make(-r, std::string("io_uring_submit: ") + strerror(-r));
    io_uring_cqe *cqe;
    r = io_uring_wait_cqe(&ring_, &cqe);
    if (r < 0) return oracle::Error::make(-r, std::string("io_uring_wait_cqe: ") + strerror(-r));
    int res = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    if (res < 0)
        return oracle::Error::make(-res, "read at " + std::to_string(off) + ": " + strerror(-res));
    *got = uint32_t(res);
    return {};
}

}  // namespace bench
