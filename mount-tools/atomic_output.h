// Creating an output file atomically: everything is written to a temporary
// file next to OUT (same directory, so rename(2) cannot cross filesystems),
// which is fsynced and renamed over OUT only when complete.  Until then OUT
// is untouched; on any failure (or a fatal signal, see
// remove_on_fatal_signal) the temporary file is removed.
#pragma once

#include <string>

#include "build_error.h"

namespace mkindex {

class AtomicOutput {
   public:
    AtomicOutput() = default;
    AtomicOutput(const AtomicOutput &) = delete;
    AtomicOutput &operator=(const AtomicOutput &) = delete;
    ~AtomicOutput();  // removes the temporary file unless committed

    // Creates "DIR/.NAME.tmp-XXXXXX" with mode 0666 minus the umask.
    BuildError create(const std::string &out_path);
    int fd() const { return fd_; }
    const std::string &temp_path() const { return tmp_; }
    // fsync, close, rename over OUT, fsync the directory.
    BuildError commit();
    // Removes the temporary file now.
    void abandon();

   private:
    int fd_ = -1;
    std::string out_, tmp_;
    bool committed_ = false;
};

// Installs SIGINT/SIGTERM/SIGHUP handlers that unlink the temporary file of
// the (single) AtomicOutput being written before the process dies.
void remove_on_fatal_signal(const AtomicOutput &out);

}  // namespace mkindex
