// The syscall backend: the storage function runs in the running kernel as a
// BPF_PROG_TYPE_SYSCALL program, verified and JIT-compiled by it.  Blocks,
// scratch areas, hop records and the batch list live in BPF_F_MMAPABLE array
// maps that this process also maps, so O_DIRECT reads land straight in the
// program's memory and one BPF_PROG_RUN runs a whole batch of hops.
//
// The kernel refuses a writable mmap of a BPF_F_RDONLY_PROG map, so the
// block and batch maps are writable by programs here; bpf_loader proves an
// untrusted program never writes them by verifying it against read-only
// twins first.
#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "bpf_loader.h"
#include "engine_user.h"

namespace chase {

namespace {

// One mmapped array map.
class MappedArray {
   public:
    MappedArray() = default;
    MappedArray(const MappedArray &) = delete;
    ~MappedArray() {
        if (base_) munmap(base_, bytes_);
        if (fd_ >= 0) close(fd_);
    }

    Status create(const char *name, uint32_t value_size, uint32_t entries, uint32_t flags) {
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | flags);
        fd_ =
            bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(uint32_t), value_size, entries, &opts);
        if (fd_ < 0)
            return Status::error(errno,
                                 std::string("creating BPF map ") + name + ": " + strerror(errno) +
                                     (errno == EPERM ? " (the syscall engine needs CAP_BPF)" : ""));
        stride_ = (value_size + 7) & ~7u;
        bytes_ = (size_t(stride_) * entries + 4095) & ~size_t(4095);
        void *p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (p == MAP_FAILED) {
            base_ = nullptr;
            return Status::error(errno,
                                 std::string("mmap of BPF map ") + name + ": " + strerror(errno));
        }
        base_ = static_cast<uint8_t *>(p);
        return {};
    }
    uint8_t *at(unsigned i) const { return base_ + size_t(i) * stride_; }
    uint8_t *base() const { return base_; }
    size_t bytes() const { return bytes_; }
    int fd() const { return fd_; }

   private:
    int fd_ = -1;
    uint8_t *base_ = nullptr;
    size_t bytes_ = 0;
    uint32_t stride_ = 0;
};

class SyscallBackend final : public Backend {
   public:
    SyscallBackend(const FunctionSet *fns) : fns_(fns) {}
    ~SyscallBackend() override {
        for (auto &[fn, prog] : progs_) unload_program(&prog);
    }

    Status init(unsigned nslots, unsigned nchains) {
        nslots_ = nslots;
        Status st = blocks_.create(CHASE_MAP_BLOCKS, CHASE_BLOCK_SIZE, nslots, 0);
        if (st.ok()) st = scratch_.create(CHASE_MAP_SCRATCH, CHASE_SCRATCH_SIZE, nchains, 0);
        if (st.ok()) st = hops_.create(CHASE_MAP_HOPS, sizeof(chase_hop), nslots, 0);
        if (st.ok())
            st = batch_.create(CHASE_MAP_BATCH, sizeof(chase_batch_entry), CHASE_MAX_BATCH, 0);
        if (!st.ok()) return st;
        maps_ = {blocks_.fd(), scratch_.fd(), hops_.fd(), batch_.fd()};
        // Functions are verified and loaded on first use: the range and
        // aggregate functions take the verifier seconds each, and a session
        // that only looks keys up (a daemon's, a one-shot chasectl get)
        // should not pay for them.  The smallest function of the set is
        // loaded now, so that a kernel that cannot run syscall programs at
        // all is found when the engine is made (and the automatic choice
        // falls back to the native engine).
        const FunctionSet &set = fns_ ? *fns_ : builtin_functions();
        const Function *probe = nullptr;
        for (auto &fn : set.all())
            if (fn->syscall_obj && (!probe || fn->syscall_obj->size() < probe->syscall_obj->size()))
                probe = fn.get();
        return probe ? program(*probe, nullptr) : Status{};
    }

    EngineKind kind() const override { return EngineKind::syscall; }
    uint8_t *block(unsigned slot) override { return blocks_.at(slot); }
    uint8_t *scratch(unsigned c) override { return scratch_.at(c); }
    chase_hop *hop(unsigned slot) override { return reinterpret_cast<chase_hop *>(hops_.at(slot)); }
    void block_area(uint8_t **base, size_t *len) override {
        *base = blocks_.base();
        *len = size_t(nslots_) * CHASE_BLOCK_SIZE;
    }

    Status run(const Function &fn, const chase_batch_entry *batch, unsigned n) override {
        int fd;
        Status st = program(fn, &fd);
        if (!st.ok()) return st;
        memcpy(batch_.base(), batch, n * sizeof *batch);
        for (unsigned i = 0; i < n; i++) hop(batch[i].slot)->ret = -ENOEXEC;  // "did not run"
        chase_batch_args args{n, 0};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof args);
        int r = bpf_prog_test_run_opts(fd, &opts);
        if (r) return Status::error(errno, std::string("BPF_PROG_RUN: ") + strerror(errno));
        if (opts.retval)
            return Status::error(
                EPROTO, "storage function batch returned " + std::to_string(int(opts.retval)));
        return {};
    }

   private:
    Status program(const Function &fn, int *fd) {
        auto it = progs_.find(&fn);
        if (it == progs_.end()) {
            LoadedProgram p;
            std::string log;
            Status st = load_syscall_program(fn, maps_, &p, &log);
            if (!st.ok()) return st;
            it = progs_.emplace(&fn, p).first;
        }
        if (fd) *fd = it->second.fd;
        return {};
    }

    const FunctionSet *fns_;
    unsigned nslots_ = 0;
    MappedArray blocks_, scratch_, hops_, batch_;
    ChaseMaps maps_;
    std::map<const Function *, LoadedProgram> progs_;
};

}  // namespace

Status make_syscall_backend(const FunctionSet *fns, unsigned nslots, unsigned nchains,
                            std::unique_ptr<Backend> *out) {
    auto b = std::make_unique<SyscallBackend>(fns);
    Status st = b->init(nslots, nchains);
    if (!st.ok()) return st;
    *out = std::move(b);
    return {};
}

}  // namespace chase
