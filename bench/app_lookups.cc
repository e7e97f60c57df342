// XRP's baselines: the application walks the tree itself, one synchronous
// block read per hop (pread on O_DIRECT, or io_uring at queue depth 1).
#include <memory>
#include <random>

#include "bench_modes.h"
#include "bptree_reader.h"
#include "uring_source.h"

namespace bench {

std::string run_app_lookups(const RunParams &p, bool uring, Measured *m) {
    std::unique_ptr<oracle::BlockSource> src;
    oracle::Error e;
    if (uring) {
        std::unique_ptr<UringSource> u;
        e = UringSource::open(p.file, &u);
        src = std::move(u);
    } else {
        std::unique_ptr<oracle::PreadSource> s;
        e = oracle::PreadSource::open(p.file, true, &s);
        src = std::move(s);
    }
    if (!e.ok()) return e.msg;
    oracle::BptreeReader reader;
    if (e = reader.open(src.get()); !e.ok()) return e.msg;
    uint64_t nkeys = reader.super().nkeys;
    if (nkeys == 0) return "the file has no keys";
    std::mt19937_64 rng(p.seed);
    m->lat.reserve(1 << 18);
    uint64_t reads0 = reader.reads();
    Usage u0 = Usage::now();
    int64_t start = now_ns(), deadline = start + int64_t(p.seconds * 1e9);
    int64_t t = start;
    while (t < deadline) {
        uint64_t key = rng() % nkeys;  // files made with --levels, stride 1
        std::optional<std::string> v;
        if (e = reader.get(key, &v); !e.ok()) return e.msg;
        int64_t t1 = now_ns();
        m->lat.add(uint64_t(t1 - t));
        t = t1;
        m->ops++;
        if (!v || *v != std::to_string(key)) m->wrong++;
    }
    m->secs = double(now_ns() - start) / 1e9;
    m->cpu_s = Usage::now().cpu_s - u0.cpu_s;
    m->reads = double(reader.reads() - reads0);
    return {};
}

}  // namespace bench
