#include "progress.h"

#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace mkindex {

static int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool Progress::is_tty() {
    return isatty(STDERR_FILENO);
}

void Progress::start_phase(std::string label, uint64_t total) {
    finish();
    label_ = std::move(label);
    total_ = total;
    calls_ = 0;
    start_ns_ = last_ns_ = now_ns();
}

bool Progress::wanted(bool forced) {
    return forced || isatty(STDERR_FILENO);
}

void Progress::maybe_print(uint64_t done) {
    int64_t t = now_ns();
    int64_t gap = tty_ ? 250000000 : 1000000000;  // 4 updates/s on a tty, 1 line/s in logs
    if (t - last_ns_ < gap) return;
    last_ns_ = t;
    double secs = double(t - start_ns_) / 1e9;
    double mb = double(done) / 1e6;
    double pct = total_ ? 100.0 * double(done) / double(total_) : 100.0;
    std::fprintf(stderr, "%schase-mkindex: %5.1f%%  %.0f of %.0f MB  %.0f MB/s%s", tty_ ? "\r" : "",
                 pct, mb, double(total_) / 1e6, secs > 0 ? mb / secs : 0.0, tty_ ? "" : "\n");
    std::fflush(stderr);
    printed_ = true;
}

void Progress::finish() {
    if (enabled_ && printed_ && tty_) std::fputc('\n', stderr);
    printed_ = false;
}

}  // namespace mkindex
