#include "mkindex_options.h"

#include <getopt.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "chase/bptree.h"
#include "mkindex_formats.h"
#include "sst/sst_writers.h"

namespace mkindex {

namespace {

BuildError parse_u64(const char *opt, const char *text, uint64_t *v) {
    std::string_view s(text);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        return BuildError::make(
            EINVAL, std::string(opt) + " wants a decimal number, not '" + std::string(s) + "'");
    return {};
}

}  // namespace

bool TableOptions::was_given(const std::string &opt) const {
    return std::find(given.begin(), given.end(), opt) != given.end();
}

std::string mkindex_usage() {
    std::string formats;
    for (const FormatWriter &w : format_writers())
        formats += std::string(formats.empty() ? "" : "|") + w.name;
    return "usage: chase-mkindex [--format " + formats +
           "] [--progress]\n"
           "                     (--levels N [--stride S] | --count N [--stride S] | --tsv IN) "
           "OUT\n"
           "  --levels N   31^N generated keys 0, S, 2S, ... (value = the key in decimal)\n"
           "  --count N    N generated keys instead (a partly filled tree)\n"
           "  --tsv IN     key<TAB>value lines (IN - = stdin); bptree: key a decimal u64, value\n"
           "               at most 63 bytes; other formats: key = the bytes before the\n"
           "               first tab\n"
           "  --progress   show progress even when stderr is not a terminal\n"
           "  --version    chase-mkindex's version\n"
           "rocksdb (one SST table) and leveldb (one .ldb table), keys in byte order:\n"
           "  --block-size BYTES     data block size (4096)\n"
           "  --compression NAME     rocksdb: none|snappy|lz4|zstd|zlib; leveldb: none|snappy\n"
           "                         (default snappy)\n"
           "  --restart-interval N   keys between restart points in a data block (16)\n"
           "  --filter-bits N        a Bloom filter of N bits per key, 0..100 (0: none)\n"
           "  --format-version N     rocksdb only: 0..5 (5)\n"
           "  --checksum NAME        rocksdb only: none|crc32c|xxhash|xxhash64|xxh3 (xxh3)\n";
}

BuildError parse_mkindex_args(int argc, char **argv, MkindexOptions *o) {
    static const option longopts[] = {
        {"levels", required_argument, nullptr, 'l'},
        {"count", required_argument, nullptr, 'n'},
        {"stride", required_argument, nullptr, 's'},
        {"tsv", required_argument, nullptr, 't'},
        {"format", required_argument, nullptr, 'f'},
        {"progress", no_argument, nullptr, 'p'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {"block-size", required_argument, nullptr, 'B'},
        {"compression", required_argument, nullptr, 'C'},
        {"format-version", required_argument, nullptr, 'F'},
        {"checksum", required_argument, nullptr, 'K'},
        {"filter-bits", required_argument, nullptr, 'L'},
        {"restart-interval", required_argument, nullptr, 'R'},
        {nullptr, 0, nullptr, 0},
    };
    *o = MkindexOptions{};
    bool have_stride = false, have_levels = false, have_count = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        uint64_t v = 0;
        switch (c) {
            case 'l':
                if (BuildError e = parse_u64("--levels", optarg, &v); !e.ok()) return e;
                if (v < 1 || v > BPT_MAX_DEPTH)
                    return BuildError::make(EINVAL,
                                            "--levels must be 1.." + std::to_string(BPT_MAX_DEPTH));
                o->levels = unsigned(v);
                have_levels = true;
                break;
            case 'n':
                if (BuildError e = parse_u64("--count", optarg, &o->count); !e.ok()) return e;
                have_count = true;
                break;
            case 's':
                if (BuildError e = parse_u64("--stride", optarg, &o->stride); !e.ok()) return e;
                if (o->stride == 0) return BuildError::make(EINVAL, "--stride must be at least 1");
                have_stride = true;
                break;
            case 't':
                o->tsv = optarg;
                break;
            case 'f':
                if (!find_format(optarg))
                    return BuildError::make(EINVAL, "unknown format '" + std::string(optarg) + "'");
                o->format = optarg;
                break;
            case 'p':
                o->progress = true;
                break;
            case 'B':
            case 'F':
            case 'L':
            case 'R': {
                const char *name = c == 'B'   ? "--block-size"
                                   : c == 'F' ? "--format-version"
                                   : c == 'L' ? "--filter-bits"
                                              : "--restart-interval";
                uint64_t *dst = c == 'B'   ? &o->table.block_size
                                : c == 'F' ? &o->table.format_version
                                : c == 'L' ? &o->table.filter_bits
                                           : &o->table.restart_interval;
                if (BuildError e = parse_u64(name, optarg, dst); !e.ok()) return e;
                o->table.given.push_back(name);
                break;
            }
            case 'C':
                o->table.compression = optarg;
                o->table.given.push_back("--compression");
                break;
            case 'K':
                o->table.checksum = optarg;
                o->table.given.push_back("--checksum");
                break;
            case 'h':
                o->help = true;
                return {};
            case 'V':
                o->version = true;
                return {};
            case ':':
                return BuildError::make(EINVAL, std::string(argv[optind - 1]) + " needs a value");
            default:
                return BuildError::make(EINVAL,
                                        "unknown option '" + std::string(argv[optind - 1]) + "'");
        }
    }
    int inputs = int(have_levels) + int(have_count) + int(!o->tsv.empty());
    if (inputs != 1)
        return BuildError::make(EINVAL, "give exactly one of --levels, --count, --tsv");
    if (have_stride && !o->tsv.empty())
        return BuildError::make(EINVAL, "--stride applies to generated keys, not --tsv");
    o->generated = have_levels || have_count;
    if (optind != argc - 1)
        return BuildError::make(EINVAL, optind == argc ? "missing OUT" : "more than one OUT");
    o->out = argv[optind];
    return check_table_options(o->format, o->table);
}

}  // namespace mkindex
