// chasectl verify: put a BPF object through both gates (helper allow-list,
// the running kernel's verifier) without running it.
#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf_loader.h"

namespace chase {

Status verify_object(const std::string &path, std::string *log, const Credentials *as) {
    std::shared_ptr<FunctionSet> set;
    Status st = read_object_functions(path, as, &set);
    if (!st.ok()) return st;
    OwnedFd maps[4];
    const struct {
        const char *name;
        uint32_t size, flags;
    } abi[4] = {
        {CHASE_MAP_BLOCKS, CHASE_BLOCK_SIZE, 0},
        {CHASE_MAP_SCRATCH, CHASE_SCRATCH_SIZE, 0},
        {CHASE_MAP_HOPS, sizeof(chase_hop), 0},
        {CHASE_MAP_BATCH, sizeof(chase_batch_entry), 0},
    };
    for (int i = 0; i < 4; i++) {
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | abi[i].flags);
        maps[i].fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, abi[i].name, 4, abi[i].size, 1, &opts);
        if (maps[i].fd < 0)
            return Status::error(errno, std::string("creating BPF maps: ") + strerror(errno) +
                                            (errno == EPERM ? " (verifying needs CAP_BPF)" : ""));
    }
    ChaseMaps m{maps[0].fd, maps[1].fd, maps[2].fd, maps[3].fd};
    for (auto &fn : set->all()) {
        LoadedProgram p;
        st = load_syscall_program(*fn, m, &p, log);
        if (!st.ok()) return st;
        unload_program(&p);
    }
    return {};
}

}  // namespace chase
