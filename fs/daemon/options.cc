#include "options.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace chasefs {
namespace {

enum Key {
    KEY_ENGINE,
    KEY_TIMEOUT,
    KEY_MAX_ANSWER,
    KEY_CACHE,
    KEY_ANSWER_MEMORY,
    KEY_USER_ANSWER_MEMORY,
    KEY_DROP,
    KEY_HELP,
    KEY_VERSION,
    KEY_PASSTHROUGH,
};

struct ParseState {
    CommandLine *cl;
    std::string source;
    int positionals = 0;
    std::string error;
};

const struct fuse_opt kSpec[] = {
    FUSE_OPT_KEY("engine=", KEY_ENGINE),
    FUSE_OPT_KEY("timeout=", KEY_TIMEOUT),
    FUSE_OPT_KEY("max_answer=", KEY_MAX_ANSWER),
    FUSE_OPT_KEY("cache=", KEY_CACHE),
    FUSE_OPT_KEY("answer_memory=", KEY_ANSWER_MEMORY),
    FUSE_OPT_KEY("user_answer_memory=", KEY_USER_ANSWER_MEMORY),
    FUSE_OPT_KEY("passthrough=", KEY_PASSTHROUGH),
    // mount(8) and fstab words that mean nothing to a FUSE mount.
    FUSE_OPT_KEY("defaults", KEY_DROP),
    FUSE_OPT_KEY("auto", KEY_DROP),
    FUSE_OPT_KEY("noauto", KEY_DROP),
    FUSE_OPT_KEY("nofail", KEY_DROP),
    FUSE_OPT_KEY("_netdev", KEY_DROP),
    FUSE_OPT_KEY("user", KEY_DROP),
    FUSE_OPT_KEY("users", KEY_DROP),
    FUSE_OPT_KEY("nouser", KEY_DROP),
    FUSE_OPT_KEY("comment=", KEY_DROP),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_KEY("-V", KEY_VERSION),
    FUSE_OPT_KEY("--version", KEY_VERSION),
    FUSE_OPT_END,
};

const char *value_of(const char *arg) {
    return strchr(arg, '=') + 1;
}

// A byte count with an optional K, M or G suffix.
bool parse_size(const char *text, uint64_t *out) {
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    if (*end == 'M' || *end == 'm') shift = 20;
    if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) end++;
    if (*end || end == text || *text == '-' || n > (~0ull >> shift)) return false;
    *out = n << shift;
    return true;
}

int handle_option(void *data, const char *arg, int key, struct fuse_args *) {
    auto *st = static_cast<ParseState *>(data);
    Config &c = st->cl->config;
    switch (key) {
        case KEY_ENGINE: {
            auto e = chase::parse_engine(value_of(arg));
            if (!e) {
                st->error = std::string("unknown engine '") + value_of(arg) +
                            "' (use auto, kernel, syscall or native)";
                return -1;
            }
            c.engine = *e;
            return 0;
        }
        case KEY_TIMEOUT: {
            char *end;
            c.timeout = strtod(value_of(arg), &end);
            if (*end || c.timeout < 0) {
                st->error = std::string("timeout must be a number of seconds >= 0: ") + arg;
                return -1;
            }
            return 0;
        }
        case KEY_MAX_ANSWER: {
            char *end;
            c.max_answer = strtoull(value_of(arg), &end, 10);
            if (*end || c.max_answer == 0) {
                st->error = std::string("max_answer must be a positive byte count: ") + arg;
                return -1;
            }
            return 0;
        }
        case KEY_CACHE:
            if (!parse_size(value_of(arg), &c.cache_bytes)) {
                st->error = std::string("cache must be a byte count (K, M, G suffixes): ") + arg;
                return -1;
            }
            return 0;
        case KEY_ANSWER_MEMORY:
        case KEY_USER_ANSWER_MEMORY: {
            uint64_t &limit = key == KEY_ANSWER_MEMORY ? c.answer_memory : c.user_answer_memory;
            if (!parse_size(value_of(arg), &limit) || limit == 0) {
                st->error = std::string(arg) + ": a positive byte count (K, M, G suffixes)";
                return -1;
            }
            return 0;
        }
        case KEY_PASSTHROUGH:
            if (strcmp(value_of(arg), "auto") != 0 && strcmp(value_of(arg), "off") != 0) {
                st->error = std::string(arg) + ": passthrough is auto or off";
                return -1;
            }
            c.passthrough = strcmp(value_of(arg), "auto") == 0;
            return 0;
        case KEY_DROP:
            return 0;
        case KEY_HELP:
            st->cl->show_help = true;
            return 0;
        case KEY_VERSION:
            st->cl->show_version = true;
            return 0;
        case FUSE_OPT_KEY_NONOPT:
            // The first free argument is SRC (ours), the second MNT (libfuse's).
            if (st->positionals++ == 0) {
                st->source = arg;
                return 0;
            }
            return 1;
        default:
            return 1;
    }
}

}  // namespace

bool parse_command_line(struct fuse_args *args, CommandLine *cl, std::string *error) {
    ParseState st;
    st.cl = cl;
    if (fuse_opt_parse(args, &st, kSpec, handle_option) != 0) {
        *error = st.error.empty() ? "invalid options" : st.error;
        return false;
    }
    if (cl->show_help || cl->show_version) return true;
    if (fuse_parse_cmdline(args, &cl->fuse) != 0) {
        *error = "invalid options (see chasefs --help)";
        return false;
    }
    if (st.source.empty() || !cl->fuse.mountpoint) {
        *error = "usage: chasefs [options] SRC MNT (both are needed)";
        return false;
    }
    char resolved[PATH_MAX];
    if (!realpath(st.source.c_str(), resolved)) {
        *error = "source directory " + st.source + ": " + strerror(errno);
        return false;
    }
    cl->config.source = resolved;
    cl->config.mountpoint = cl->fuse.mountpoint;
    cl->config.foreground = cl->fuse.foreground;
    cl->config.debug = cl->fuse.debug;
    return true;
}

void print_usage(const char *prog) {
    printf(
        "usage: %s [options] SRC MNT\n"
        "Mounts the directory SRC at MNT (MNT may be SRC itself).  Ordinary files\n"
        "pass through; data files also answer query names (F@KEY, F@LO..HI,\n"
        "F@count:LO..HI, ...), user.chase.* attributes and ioctls.\n\n"
        "chasefs options:\n"
        "    -o engine=NAME       auto (default), kernel, syscall or native\n"
        "    -o timeout=SECONDS   entry/attribute cache time of ordinary names (1)\n"
        "    -o max_answer=BYTES  largest range answer of a query name (67108864)\n"
        "    -o cache=BYTES       block cache per open data file, K/M/G suffixes (0);\n"
        "                         used by formats that can prove a block current\n"
        "                         (LMDB, SST tables)\n"
        "    -o answer_memory=BYTES       memory for query answers held by the daemon\n"
        "                                 (512M); past it: ENOBUFS\n"
        "    -o user_answer_memory=BYTES  the same per uid (128M); past it: EDQUOT\n"
        "    -o passthrough=auto|off      reads, writes and mmap of ordinary files\n"
        "                                 straight to SRC where the kernel can (auto)\n\n",
        prog);
    fuse_cmdline_help();
    fuse_lowlevel_help();
}

}  // namespace chasefs
