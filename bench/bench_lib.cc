// bench_lib: one measurement of one way of looking keys up in a chase
// B+-tree file, printed as a JSON line (see README.md).  bench/run.sh calls
// it once per (depth, method, chains in flight, repetition), each in a fresh
// process so that peak RSS belongs to that configuration alone.
//
//   bench_lib --file F --method raw|pread|uring|native|syscall|kernel
//             [--inflight N] [--seconds S] [--seed X] [--run R] [--depth D]
//   bench_lib --engines      the libchase engines this machine can run
#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "bench_modes.h"
#include "chase/chase.h"

using namespace bench;

static int usage(const char *why) {
    std::fprintf(
        stderr,
        "bench_lib: %s\nusage: bench_lib --file F --method raw|pread|uring|native|syscall|kernel "
        "[--inflight N] [--seconds S] [--seed X] [--run R] [--depth D]\n",
        why);
    return 2;
}

int main(int argc, char **argv) {
    static const option opts[] = {
        {"file", required_argument, nullptr, 'f'},
        {"method", required_argument, nullptr, 'm'},
        {"inflight", required_argument, nullptr, 'n'},
        {"seconds", required_argument, nullptr, 's'},
        {"seed", required_argument, nullptr, 'x'},
        {"run", required_argument, nullptr, 'r'},
        {"depth", required_argument, nullptr, 'd'},
        {"engines", no_argument, nullptr, 'e'},
        {nullptr, 0, nullptr, 0},
    };
    RunParams p;
    std::string method;
    int run = 0;
    long depth = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        char *end = nullptr;
        switch (c) {
            case 'f':
                p.file = optarg;
                break;
            case 'm':
                method = optarg;
                break;
            case 'n':
                p.inflight = unsigned(std::strtoul(optarg, &end, 10));
                break;
            case 's':
                p.seconds = std::strtod(optarg, &end);
                break;
            case 'x':
                p.seed = std::strtoull(optarg, &end, 10);
                break;
            case 'r':
                run = int(std::strtol(optarg, &end, 10));
                break;
            case 'd':
                depth = std::strtol(optarg, &end, 10);
                break;
            case 'e':
                for (chase::EngineKind k : chase::available_engines())
                    std::printf("%s\n", chase::engine_name(k));
                return 0;
            default:
                return usage("unknown option");
        }
        if (end && *end) return usage("bad number");
    }
    if (p.file.empty() || method.empty()) return usage("--file and --method are required");
    if (p.inflight < 1 || p.inflight > 1024) return usage("--inflight must be 1..1024");
    if (!(p.seconds > 0)) return usage("--seconds must be positive");

    Measured m;
    std::string err;
    if (method == "raw")
        err = run_raw_reads(p, &m);
    else if (method == "pread" || method == "uring") {
        if (p.inflight != 1) return usage("pread and uring run one lookup at a time");
        err = run_app_lookups(p, method == "uring", &m);
    } else if (method == "native" || method == "syscall" || method == "kernel")
        err = run_lib_lookups(p, method, &m);
    else
        return usage("unknown method");
    if (!err.empty()) {
        std::fprintf(stderr, "bench_lib: %s %s x%u: %s\n", p.file.c_str(), method.c_str(),
                     p.inflight, err.c_str());
        return 1;
    }
    if (m.wrong) {
        std::fprintf(stderr, "bench_lib: %s: %llu wrong answers\n", method.c_str(),
                     (unsigned long long)m.wrong);
        return 1;
    }
    Result r;
    r.bench = "lib";
    r.run = run;
    r.unix_time = int64_t(std::time(nullptr));
    r.set("depth", depth);
    r.set("method", method);
    r.set("inflight", long(p.inflight));
    r.metric("ops", double(m.ops));
    r.metric("ops_per_s", m.secs > 0 ? double(m.ops) / m.secs : 0);
    r.metric("p50_us", m.lat.quantile_us(0.50));
    r.metric("p99_us", m.lat.quantile_us(0.99));
    r.metric("cpu_us_per_op", m.ops ? m.cpu_s * 1e6 / double(m.ops) : 0);
    r.metric("reads_per_op", m.ops ? m.reads / double(m.ops) : 0);
    r.metric("peak_rss_mib", double(Usage::now().max_rss_kib) / 1024.0);
    std::printf("%s\n", r.json().c_str());
    return 0;
}
