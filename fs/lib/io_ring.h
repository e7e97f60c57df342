// A thin owner of one io_uring: O_DIRECT reads into memory the engine
// registered once as a fixed buffer, completions handed back by user_data.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <functional>

#include "chase/chase.h"

namespace chase {

class IoRing {
   public:
    IoRing() = default;
    IoRing(const IoRing &) = delete;
    IoRing &operator=(const IoRing &) = delete;
    ~IoRing();

    Status init(unsigned entries);
    // Reads that land inside [base, base + len) use io_uring's fixed-buffer
    // path (no page pinning per read).  Failure is not fatal.
    void register_buffer(void *base, size_t len);
    // Queue a read.  It goes to the kernel at once while fewer than
    // `eager_below` reads are outstanding there, else with the next wait().
    void read(int fd, void *buf, uint32_t len, uint64_t off, uint64_t user_data);
    void set_eager_below(unsigned n) { eager_below_ = n; }
    // Queue a vectored read; iov must stay valid until it completes.
    void readv(int fd, const struct iovec *iov, unsigned n, uint64_t off, uint64_t user_data);
    // Submit what is queued and hand back completions (at least `min`).
    Status wait(unsigned min, const std::function<void(uint64_t, int)> &on_complete);
    unsigned in_flight() const { return in_flight_; }

   private:
    io_uring_sqe *next_sqe();

    io_uring ring_{};
    bool ready_ = false;
    uint8_t *fixed_base_ = nullptr;
    size_t fixed_len_ = 0;
    unsigned queued_ = 0, in_flight_ = 0;  // queued: not yet handed to the kernel
    unsigned eager_below_ = 0;
};

}  // namespace chase
