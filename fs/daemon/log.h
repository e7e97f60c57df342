// Messages of the daemon: to stderr in the foreground, to syslog (daemon
// facility, ident "chasefs") once detached.  libfuse's own messages follow.
#pragma once

#include <syslog.h>

namespace chasefs {

void log_to_syslog();
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace chasefs
