// chase-mkindex's command line, parsed in one place for every format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "build_error.h"

namespace mkindex {

// Options of the table formats (--format rocksdb|leveldb), as given; which
// values each library takes is checked by check_table_options
// (sst/sst_table_options.cc) once the format is known.
struct TableOptions {
    uint64_t block_size = 4096;
    std::string compression;  // "" = the library's default (snappy for both)
    uint64_t format_version = 5;
    std::string checksum;      // "" = RocksDB 7.8's default, xxh3
    uint64_t filter_bits = 0;  // bits per key of a Bloom filter; 0 = no filter
    uint64_t restart_interval = 16;
    std::vector<std::string> given;  // the options the command line set ("--block-size", ...)

    bool was_given(const std::string &opt) const;
};

struct MkindexOptions {
    std::string format = "bptree";
    // Exactly one input: generated keys (levels or count) or a TSV file.
    unsigned levels = 0;  // 31^levels generated keys
    uint64_t count = 0;   // or exactly this many
    bool generated = false;
    uint64_t stride = 1;
    std::string tsv;
    std::string out;
    TableOptions table;
    bool progress = false;  // force progress even if stderr is not a tty
    bool help = false;
    bool version = false;
};

// Fills opts from argv; an error's message says what is wrong (the caller
// adds the usage text).
BuildError parse_mkindex_args(int argc, char **argv, MkindexOptions *opts);

std::string mkindex_usage();

}  // namespace mkindex
