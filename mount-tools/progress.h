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
    // enabled: print at all.  total: bytes the build will write (a writer
    // that learns it later calls set_total).
    explicit Progress(bool enabled, uint64_t total = 0);
    void set_total(uint64_t total) { total_ = total; }
    // Cheap enough to call per node: looks at the clock every 4096 calls.
    void update(uint64_t done) {
        if (enabled_ && (++calls_ & 4095) == 0) maybe_print(done);
    }
    // Ends the progress line (if one was printed).
    void finish();

    // Whether progress is wanted: forced, or stderr is a terminal.
    static bool wanted(bool forced);

   private:
    void maybe_print(uint64_t done);
    bool enabled_, tty_, printed_ = false;
    uint64_t total_, calls_ = 0;
    int64_t start_ns_, last_ns_;
};

}  // namespace mkindex
