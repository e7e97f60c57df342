#include "atomic_output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mkindex {

namespace {

// The path a signal handler must unlink; a fixed buffer because the handler
// may only call async-signal-safe functions.
char g_signal_tmp[4096];

void on_fatal_signal(int sig) {
    if (g_signal_tmp[0]) unlink(g_signal_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

std::string dir_of(const std::string &path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string base_of(const std::string &path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

AtomicOutput::~AtomicOutput() {
    abandon();
}

void AtomicOutput::abandon() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (!committed_ && !tmp_.empty()) unlink(tmp_.c_str());
    if (!tmp_.empty() && std::strcmp(g_signal_tmp, tmp_.c_str()) == 0) g_signal_tmp[0] = 0;
    tmp_.clear();
}

BuildError AtomicOutput::create(const std::string &out_path) {
    out_ = out_path;
    if (out_.empty() || out_.back() == '/')
        return BuildError::make(EISDIR, "'" + out_ + "' names a directory, not a file");
    std::string tmpl = dir_of(out_) + "/." + base_of(out_) + ".tmp-XXXXXX";
    fd_ = mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0) return BuildError::from_errno("cannot create a temporary file for " + out_);
    tmp_ = tmpl;
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd_, 0666 & ~mask) != 0) return BuildError::from_errno(tmp_ + ": chmod");
    return {};
}

BuildError AtomicOutput::commit() {
    if (fsync(fd_) != 0) return BuildError::from_errno(tmp_ + ": fsync");
    int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return BuildError::from_errno(tmp_ + ": close");
    if (rename(tmp_.c_str(), out_.c_str()) != 0)
        return BuildError::from_errno("cannot rename " + tmp_ + " to " + out_);
    committed_ = true;
    // The rename itself must reach the disk too.
    int dfd = open(dir_of(out_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return {};
}

void remove_on_fatal_signal(const AtomicOutput &out) {
    const std::string &p = out.temp_path();
    if (p.size() >= sizeof g_signal_tmp) return;
    std::memcpy(g_signal_tmp, p.c_str(), p.size() + 1);
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace mkindex
