// bptree-oracle-check FILE...: the oracle's full structural check of chase
// B+-tree files (every rule in bptree_reader.h's check()), for scripts and
// for checking big benchmark files that the unit tests do not build.
#include <cstdio>

#include "bptree_reader.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bptree-oracle-check FILE...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        oracle::BptreeReader r;
        oracle::Error e = r.open(argv[i]);
        if (e.ok()) e = r.check();
        if (!e.ok()) {
            std::fprintf(stderr, "%s: %s\n", argv[i], e.msg.c_str());
            status = 1;
            continue;
        }
        std::printf("%s: ok, %llu keys, depth %u, %llu blocks read\n", argv[i],
                    (unsigned long long)r.super().nkeys, r.super().depth,
                    (unsigned long long)r.reads());
    }
    return status;
}
