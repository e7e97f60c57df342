#include "bench_result.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace bench {

int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double Latencies::quantile_us(double q) {
    if (ns_.empty()) return 0;
    size_t k = std::min(ns_.size() - 1, size_t(q * double(ns_.size())));
    std::nth_element(ns_.begin(), ns_.begin() + long(k), ns_.end());
    return double(ns_[k]) / 1000.0;
}

Usage Usage::now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    Usage u;
    u.cpu_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
              double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    u.max_rss_kib = ru.ru_maxrss;
    return u;
}

std::string Result::json() const {
    std::string s = "{\"bench\":\"" + bench + "\",\"run\":" + std::to_string(run) +
                    ",\"time\":" + std::to_string(unix_time) + ",\"config\":{";
    for (size_t i = 0; i < config.size(); i++)
        s += (i ? "," : "") + ("\"" + config[i].first + "\":") + config[i].second;
    s += "},\"metrics\":{";
    for (size_t i = 0; i < metrics.size(); i++) {
        char num[64];
        double v = metrics[i].second;
        std::snprintf(num, sizeof num, "%.6g", std::isfinite(v) ? v : 0.0);
        s += (i ? "," : "") + ("\"" + metrics[i].first + "\":") + num;
    }
    return s + "}}";
}

}  // namespace bench
