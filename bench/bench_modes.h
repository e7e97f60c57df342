// What bench_lib can measure, one closed-loop run each.  Every mode keeps
// "inflight" operations outstanding until the time is up, then waits for
// them; latencies are per operation, CPU time covers the measured window.
#pragma once

#include <cstdint>
#include <string>

#include "bench_result.h"

namespace bench {

struct RunParams {
    std::string file;
    unsigned inflight = 1;
    double seconds = 2;
    uint64_t seed = 1;
};

struct Measured {
    uint64_t ops = 0;
    double secs = 0;
    Latencies lat;
    double cpu_s = 0;
    double reads = 0;    // device reads issued (hops), 0 if unknown
    uint64_t wrong = 0;  // answers that differ from the expected value
};

// 4 KiB random O_DIRECT reads over the whole file with io_uring.
std::string run_raw_reads(const RunParams &p, Measured *m);
// Application-level lookups with the oracle's traversal, one block read per
// hop: pread on an O_DIRECT fd (XRP's read() baseline) or io_uring QD1.
std::string run_app_lookups(const RunParams &p, bool uring, Measured *m);
// libchase Session::submit_get on an engine ("native" or "syscall").
std::string run_lib_lookups(const RunParams &p, const std::string &engine, Measured *m);

}  // namespace bench
