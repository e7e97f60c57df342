// The oracle reader's blocks through io_uring, one read at a time (queue
// depth 1): BPF-KV's io_uring baseline, one read submitted and waited for
// per hop.
#pragma once

#include <liburing.h>

#include <memory>
#include <string>

#include "block_source.h"

namespace bench {

class UringSource : public oracle::BlockSource {
   public:
    static oracle::Error open(const std::string &path, std::unique_ptr<UringSource> *out);
    ~UringSource() override;
    uint64_t size() const override { return size_; }
    oracle::Error read(uint64_t off, uint32_t len, uint8_t *buf, uint32_t *got) override;

   private:
    UringSource() = default;
    io_uring ring_{};
    bool ring_ok_ = false;
    int fd_ = -1;
    uint64_t size_ = 0;
};

}  // namespace bench
