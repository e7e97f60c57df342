// Where the oracle reader gets its blocks.  The tests use a plain buffered
// fd; the benchmark plugs in O_DIRECT pread and io_uring sources to measure
// the application-level lookup (XRP's read() and io_uring baselines) with
// exactly the same traversal logic.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace oracle {

// errno plus a sentence; err == 0 is success.
struct Error {
    int err = 0;
    std::string msg;
    bool ok() const { return err == 0; }
    static Error make(int err, std::string msg) { return Error{err, std::move(msg)}; }
};

class BlockSource {
   public:
    virtual ~BlockSource() = default;
    virtual uint64_t size() const = 0;
    // Reads [off, off + len) into buf; off and len are multiples of 512 and
    // buf is 4096-aligned.  Near the end of the file fewer bytes may arrive:
    // *got says how many.
    virtual Error read(uint64_t off, uint32_t len, uint8_t *buf, uint32_t *got) = 0;
};

// pread(2) on an fd of its own; direct = O_DIRECT (no page cache).
class PreadSource : public BlockSource {
   public:
    static Error open(const std::string &path, bool direct, std::unique_ptr<PreadSource> *out);
    ~PreadSource() override;
    uint64_t size() const override { return size_; }
    Error read(uint64_t off, uint32_t len, uint8_t *buf, uint32_t *got) override;
    int fd() const { return fd_; }

   private:
    int fd_ = -1;
    uint64_t size_ = 0;
};

}  // namespace oracle
