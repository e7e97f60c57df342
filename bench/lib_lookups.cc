// libchase's asynchronous lookups: N chains in flight from one thread; each
// completion submits the next lookup until the time is up.
#include <random>

#include "bench_modes.h"
#include "bptree_reader.h"
#include "chase/chase.h"

namespace bench {

std::string run_lib_lookups(const RunParams &p, const std::string &engine, Measured *m) {
    auto kind = chase::parse_engine(engine);
    if (!kind) return "unknown engine '" + engine + "'";
    std::shared_ptr<chase::DataFile> file;
    chase::Status st = chase::DataFile::open(p.file, {}, &file);
    if (!st.ok()) return st.to_string();
    chase::SessionOptions so;
    so.engine = *kind;
    so.max_inflight = p.inflight;
    std::unique_ptr<chase::Session> session;
    st = chase::Session::create(so, &session);
    if (!st.ok()) return st.to_string();

    // The key count, read independently of libchase.
    oracle::BptreeReader reader;
    if (oracle::Error e = reader.open(p.file); !e.ok()) return e.msg;
    uint64_t nkeys = reader.super().nkeys;
    if (nkeys == 0) return "the file has no keys";

    std::mt19937_64 rng(p.seed);
    m->lat.reserve(1 << 20);
    std::string err;
    int64_t deadline = 0;
    std::function<void()> submit_one = [&]() {
        uint64_t key = rng() % nkeys;
        std::string text = std::to_string(key);
        int64_t t0 = now_ns();
        chase::Status s = session->submit_get(
            *file, text, [&, key, t0](const chase::Status &r, std::string_view value) {
                int64_t t = now_ns();
                if (!r.ok() && err.empty())
                    err = "lookup of " + std::to_string(key) + ": " + r.to_string();
                m->lat.add(uint64_t(t - t0));
                m->ops++;
                if (value != std::to_string(key)) m->wrong++;
                if (t < deadline && err.empty()) submit_one();
            });
        if (!s.ok() && err.empty()) err = s.to_string();
    };
    chase::Stats s0 = file->stats();
    Usage u0 = Usage::now();
    int64_t start = now_ns();
    deadline = start + int64_t(p.seconds * 1e9);
    for (unsigned i = 0; i < p.inflight; i++) submit_one();
    st = session->drain();
    m->secs = double(now_ns() - start) / 1e9;
    m->cpu_s = Usage::now().cpu_s - u0.cpu_s;
    // hops = blocks handed to the function = device reads of the chain.
    m->reads = double(file->stats().hops - s0.hops);
    if (!st.ok()) return st.to_string();
    return err;
}

}  // namespace bench
