// One measurement of the benchmark, printed as a JSON line (the format every
// bench program shares, see README.md): {"bench", "config": {...},
// "metrics": {...}, "run"}.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bench {

// Latencies of one run, in nanoseconds.
class Latencies {
   public:
    void reserve(size_t n) { ns_.reserve(n); }
    void add(uint64_t ns) { ns_.push_back(ns); }
    size_t count() const { return ns_.size(); }
    // q in [0, 1]; sorts in place.
    double quantile_us(double q);

   private:
    std::vector<uint64_t> ns_;
};

// CPU time and peak RSS of this process (getrusage).
struct Usage {
    double cpu_s = 0;
    long max_rss_kib = 0;
    static Usage now();
};

int64_t now_ns();

struct Result {
    std::string bench;
    std::vector<std::pair<std::string, std::string>> config;  // values pre-rendered as JSON
    std::vector<std::pair<std::string, double>> metrics;
    int run = 0;
    int64_t unix_time = 0;  // when the run ended, to line runs up with other load

    void set(const std::string &k, const std::string &v) { config.push_back({k, "\"" + v + "\""}); }
    void set(const std::string &k, long v) { config.push_back({k, std::to_string(v)}); }
    void metric(const std::string &k, double v) { metrics.push_back({k, v}); }
    std::string json() const;
};

}  // namespace bench
