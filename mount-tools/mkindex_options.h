// chase-mkindex's command line, parsed in one place for every format.
#pragma once

#include <cstdint>
#include <string>

#include "build_error.h"

namespace mkindex {

struct MkindexOptions {
    std::string format = "bptree";
    // Exactly one input: generated keys (levels or count) or a TSV file.
    unsigned levels = 0;  // 31^levels generated keys
    uint64_t count = 0;   // or exactly this many
    bool generated = false;
    uint64_t stride = 1;
    std::string tsv;
    std::string out;
    bool progress = false;  // force progress even if stderr is not a tty
    bool help = false;
    bool version = false;
};

// Fills opts from argv; an error's message says what is wrong (the caller
// adds the usage text).
BuildError parse_mkindex_args(int argc, char **argv, MkindexOptions *opts);

std::string mkindex_usage();

}  // namespace mkindex
