// The device's own rate on this file: the ceiling for any chain engine.
#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "bench_modes.h"

namespace bench {

std::string run_raw_reads(const RunParams &p, Measured *m) {
    const uint32_t kBlock = 4096;
    int fd = open(p.file.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) return p.file + ": " + std::strerror(errno);
    struct stat st;
    fstat(fd, &st);
    uint64_t blocks = uint64_t(st.st_size) / kBlock;
    if (blocks == 0) {
        close(fd);
        return p.file + ": smaller than one block";
    }
    io_uring ring;
    int r = io_uring_queue_init(std::max(4u, p.inflight), &ring, 0);
    if (r < 0) {
        close(fd);
        return std::string("io_uring_queue_init: ") + std::strerror(-r);
    }
    uint8_t *bufs = static_cast<uint8_t *>(std::aligned_alloc(4096, size_t(kBlock) * p.inflight));
    std::vector<int64_t> t0(p.inflight);
    std::mt19937_64 rng(p.seed);
    auto submit = [&](unsigned i) {
        io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        uint64_t off = (rng() % blocks) * kBlock;
        io_uring_prep_read(sqe, fd, bufs + size_t(i) * kBlock, kBlock, off);
        io_uring_sqe_set_data64(sqe, i);
        t0[i] = now_ns();
    };
    m->lat.reserve(1 << 20);
    Usage u0 = Usage::now();
    int64_t start = now_ns(), deadline = start + int64_t(p.seconds * 1e9);
    for (unsigned i = 0; i < p.inflight; i++) submit(i);
    unsigned outstanding = p.inflight;
    std::string err;
    while (outstanding) {
        io_uring_submit(&ring);
        io_uring_cqe *cqe;
        r = io_uring_wait_cqe(&ring, &cqe);
        if (r < 0) {
            err = std::string("io_uring_wait_cqe: ") + std::strerror(-r);
            break;
        }
        unsigned i = unsigned(io_uring_cqe_get_data64(cqe));
        int res = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        int64_t t = now_ns();
        if (res < 0) {
            err = std::string("read: ") + std::strerror(-res);
            break;
        }
        m->lat.add(uint64_t(t - t0[i]));
        m->ops++;
        if (t < deadline)
            submit(i);
        else
            outstanding--;
    }
    m->secs = double(now_ns() - start) / 1e9;
    m->cpu_s = Usage::now().cpu_s - u0.cpu_s;
    m->reads = double(m->ops);
    io_uring_queue_exit(&ring);
    std::free(bufs);
    close(fd);
    return err;
}

}  // namespace bench
