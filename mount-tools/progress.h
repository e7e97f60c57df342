// Progress of a long build on stderr: at most a few updates per second, and
// only when someone is watching (stderr is a terminal) or asked for it.  On
// a terminal one line is rewritten in place; otherwise whole lines are
// printed, at most one per second, so logs stay short.
#pragma once

#include <cstdint>
#include <string>

namespace mkindex {

class Progress {
   public:
    explicit Progress(bool enabled) : enabled_(enabled), tty_(is_tty()) {}
    // A new phase ("reading in.tsv", "writing") of total bytes; ends the
    // previous phase's line.
    void start_phase(std::string label, uint64_t total);
    // Cheap enough to call per node: looks at the clock every 1024 calls.
    void update(uint64_t done) {
        if (enabled_ && (++calls_ & 1023) == 0) maybe_print(done);
    }
    // Ends the progress line (if one was printed).
    void finish();

    // Whether progress is wanted: forced, or stderr is a terminal.
    static bool wanted(bool forced);

   private:
    static bool is_tty();
    void maybe_print(uint64_t done);
    bool enabled_, tty_, printed_ = false;
    std::string label_;
    uint64_t total_ = 0, calls_ = 0;
    int64_t start_ns_ = 0, last_ns_ = 0;
};

}  // namespace mkindex
