#include "io_ring.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>

namespace chase {

IoRing::~IoRing() {
    if (ready_) io_uring_queue_exit(&ring_);
}

Status IoRing::init(unsigned entries) {
    int r = io_uring_queue_init(entries, &ring_, 0);
    if (r < 0) return Status::error(-r, std::string("io_uring_queue_init: ") + strerror(-r));
    ready_ = true;
    return {};
}

void IoRing::register_buffer(void *base, size_t len) {
    iovec iov{base, len};
    if (io_uring_register_buffers(&ring_, &iov, 1) == 0) {
        fixed_base_ = static_cast<uint8_t *>(base);
        fixed_len_ = len;
    }
}

io_uring_sqe *IoRing::next_sqe() {
    io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {  // the ring is sized for every slot, but stay correct
        io_uring_submit(&ring_);
        queued_ = 0;
        sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
}

void IoRing::readv(int fd, const struct iovec *iov, unsigned n, uint64_t off, uint64_t user_data) {
    io_uring_sqe *sqe = next_sqe();
    io_uring_prep_readv(sqe, fd, iov, n, off);
    io_uring_sqe_set_data64(sqe, user_data);
    queued_++;
    in_flight_++;
}

void IoRing::read(int fd, void *buf, uint32_t len, uint64_t off, uint64_t user_data) {
    io_uring_sqe *sqe = next_sqe();
    auto *p = static_cast<uint8_t *>(buf);
    if (fixed_base_ && p >= fixed_base_ && p + len <= fixed_base_ + fixed_len_)
        io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
    else
        io_uring_prep_read(sqe, fd, buf, len, off);
    io_uring_sqe_set_data64(sqe, user_data);
    queued_++;
    in_flight_++;
    // Completions arrive in bunches, and running the functions of a bunch
    // takes a while: holding every new read until all of them ran leaves
    // the device idle meanwhile and locks the chains into lockstep.
    if (in_flight_ - queued_ < eager_below_ && io_uring_submit(&ring_) >= 0) queued_ = 0;
}

Status IoRing::wait(unsigned min, const std::function<void(uint64_t, int)> &on_complete) {
    if (min > in_flight_) min = in_flight_;
    int r = io_uring_submit_and_wait(&ring_, min);
    if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
        return Status::error(-r, std::string("io_uring_submit_and_wait: ") + strerror(-r));
    queued_ = 0;
    io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        seen++;
        in_flight_--;
        on_complete(io_uring_cqe_get_data64(cqe), cqe->res);
    }
    io_uring_cq_advance(&ring_, seen);
    return {};
}

}  // namespace chase
