// Command line of chasefs: "chasefs [options] SRC MNT [-o opts]", the form
// mount.fuse3 uses for "mount -t fuse.chasefs SRC MNT -o opts" and fstab.
#pragma once

#include <string>

#include "fs_state.h"

namespace chasefs {

struct CommandLine {
    Config config;
    struct fuse_cmdline_opts fuse = {};
    bool show_help = false;
    bool show_version = false;
};

// Consumes chasefs's own options from args (what is left is for libfuse and
// the kernel).  On failure returns false with a message in *error.
bool parse_command_line(struct fuse_args *args, CommandLine *cl, std::string *error);
void print_usage(const char *prog);

}  // namespace chasefs
