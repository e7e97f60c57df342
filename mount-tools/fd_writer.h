// Sequential buffered writes to a file descriptor (a build writes gigabytes
// in order; one write(2) per 1 MiB keeps the syscall count low).
#pragma once

#include <cstdint>
#include <memory>

#include "build_error.h"

namespace mkindex {

class FdWriter {
   public:
    explicit FdWriter(int fd, size_t buf_size = 1 << 20);
    // Append n bytes; an I/O error is remembered and reported by flush().
    void put(const void *p, size_t n);
    void put_zeros(size_t n);
    uint64_t offset() const { return written_ + used_; }
    BuildError flush();

   private:
    void drain();
    int fd_;
    std::unique_ptr<char[]> buf_;
    size_t cap_, used_ = 0;
    uint64_t written_ = 0;
    BuildError err_;
};

}  // namespace mkindex
