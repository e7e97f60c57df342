#include "log.h"

#define FUSE_USE_VERSION 312
#include <fuse_log.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

namespace chasefs {
namespace {

std::atomic<bool> g_syslog{false};

void vlog(int priority, const char *fmt, va_list ap) {
    if (g_syslog) {
        vsyslog(priority, fmt, ap);
        return;
    }
    fputs("chasefs: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap) {
    // libfuse's levels are syslog's.
    if (g_syslog)
        vsyslog(static_cast<int>(level), fmt, ap);
    else
        vfprintf(stderr, fmt, ap);
}

}  // namespace

void log_to_syslog() {
    openlog("chasefs", LOG_PID, LOG_DAEMON);
    g_syslog = true;
    fuse_set_log_func(fuse_log_to_ours);
}

void log_msg(int priority, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(priority, fmt, ap);
    va_end(ap);
}

}  // namespace chasefs
