// The kernel engine: the patched kernel (kernel/, see kernel/README.md) runs
// each chain inside one read of an O_DIRECT fd tagged with the function.
//
//   fd = open(<the data file>, O_RDONLY | O_DIRECT)      once per file/function/cap
//   fcntl(fd, F_CHASE_ATTACH, {prog_fd, hop_cap})
//   preadv(fd, {scratch 4096, result 8}, 0)               one crossing per chain
//
// The read returns 4104: the scratch as the chain left it, then the
// chain's result (CHASE_DONE, the function's own -errno or the kernel's:
// ERANGE, E2BIG, EPROTO, ELOOP, EIO) and the blocks it took (kernel patch
// 0011).  A kernel without that patch refuses the length; the engine then
// reads 4096 bytes, which return the answer or -1 with the errno, and
// reports no hops.
// Chains queued together go to the kernel through io_uring, up to
// max_chains at once: the tagged read refuses IOCB_NOWAIT, so io_uring
// hands each to one of its workers, and one thread keeps many chains in
// flight.  A chain alone (and every chain where io_uring cannot be set up)
// is one preadv.
// The functions are the same sources built for the kernel target
// (SEC("chase"), Function::kernel_obj).  Detection: F_CHASE_ATTACH with
// prog_fd -1 succeeds only on a kernel with the series.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bpf_loader.h"
#include "engine.h"
#include "function.h"
#include "io_ring.h"

namespace chase {
namespace {

// From the series' <linux/chase.h> (kernel/patches/0002, 0003).
constexpr int kProgTypeChase = 64;
constexpr int kFChaseAttach = 1024 + 128;
struct ChaseAttach {
    int32_t prog_fd;
    uint32_t hop_cap;
    uint32_t flags;
    uint32_t pad;
};
// After the scratch area of a long read (kernel/patches/0011).
struct ChaseResult {
    int32_t ret;    // CHASE_DONE or -errno
    uint32_t hops;  // blocks handed to the function
};

bool kernel_has_series() {
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    ChaseAttach detach{-1, 0, 0, 0};
    bool yes = fcntl(fd, kFChaseAttach, &detach) == 0;
    close(fd);
    return yes;
}

// The words for an error the kernel itself ended the chain with; empty for
// the function's own errors (the format explains those).
std::string kernel_error(int err, unsigned hop_cap) {
    switch (err) {
        case ERANGE:
            return "the function asked for a read outside the file";
        case E2BIG:
            return "the function asked for more than 16 reads in one round";
        case EPROTO:
            return "the function returned CONTINUE without a read, or a bad value";
        case ELOOP:
            return "hop cap of " + std::to_string(hop_cap) +
                   " reached (a pointer cycle or a runaway function)";
        case EIO:
            return "a read of the chain failed";
        case EINTR:
            return "the chain was interrupted";
        default:
            return {};
    }
}

int quiet_libbpf(enum libbpf_print_level, const char *, va_list) {
    return 0;
}

// What a chain's read returned (bytes, or -errno) means: true if the
// scratch came back whole.  *res is then the chain's result (a long read
// filled it; a whole short read is CHASE_DONE); otherwise the read's error.
bool chain_outcome(long n, bool long_read, ChaseResult *res) {
    size_t want = CHASE_SCRATCH_SIZE + (long_read ? sizeof *res : 0);
    bool whole = n >= 0 && size_t(n) == want;
    if (!whole)
        *res = {n < 0 ? int32_t(n) : -EIO, 0};
    else if (!long_read)
        *res = {CHASE_DONE, 0};
    return whole;
}

struct Pending {
    const DataFile *file;
    std::unique_ptr<ChainSpec> spec;
    Engine::Done done;
};

// A chain whose read is in the ring: the read fills scratch and result.
struct InFlight {
    Pending p;
    alignas(64) uint8_t scratch[CHASE_SCRATCH_SIZE];
    ChaseResult result;
    iovec iov[2];
    bool long_read = false;
    uint64_t t0 = 0;
};

class KernelEngine : public Engine {
   public:
    ~KernelEngine() override {
        for (auto &[key, fd] : fds_) close(fd);
        for (auto &[fn, obj] : objs_) bpf_object__close(obj);
    }

    // Functions are verified and loaded on first use, as on the syscall
    // engine: each load runs the verifier (seconds for the range and SST
    // functions, half a minute on a KASAN kernel), and a one-shot chasectl
    // or a daemon that only serves one format should not pay for the rest.
    // The smallest function is loaded now, so that a kernel that refuses
    // them all is found when the engine is made (and the automatic choice
    // moves on to the next engine).
    Status init(const FunctionSet &fns, unsigned max_chains) {
        max_chains_ = std::clamp(max_chains, 1u, 256u);
        const Function *probe = nullptr;
        for (const auto &fn : fns.all())
            if (!fn->kernel_obj.empty() &&
                (!probe || fn->kernel_obj.size() < probe->kernel_obj.size()))
                probe = fn.get();
        if (!probe) return Status::error(EOPNOTSUPP, "no storage function has a kernel target");
        Status st = program(*probe, nullptr);
        if (!st.ok())
            return Status::error(EOPNOTSUPP,
                                 "no storage function loads into the chasefs kernel: " + st.msg);
        return {};
    }

    EngineKind kind() const override { return EngineKind::kernel; }

    void submit(const DataFile &file, std::unique_ptr<ChainSpec> spec, Done done) override {
        queue_.push_back(Pending{&file, std::move(spec), std::move(done)});
    }

    Status drain() override {
        while (!queue_.empty() || ring_.in_flight()) {
            // One chain alone is one preadv: a read handed to io_uring
            // would wait for a worker thread instead.
            if (!ring_.in_flight() && (queue_.size() == 1 || !has_ring())) {
                Pending p = std::move(queue_.front());
                queue_.pop_front();
                ChainResult r = run(*p.file, *p.spec);
                p.done(*p.spec, r);
                continue;
            }
            while (!queue_.empty() && !free_.empty()) start();
            if (!ring_.in_flight()) continue;  // those chains ended before a read
            // Completions are taken off the ring before any callback runs,
            // so a callback may submit and drain again.
            std::vector<std::pair<uint64_t, int>> ended;
            Status st =
                ring_.wait(1, [&](uint64_t slot, int res) { ended.emplace_back(slot, res); });
            if (!st.ok()) return st;
            for (auto [slot, res] : ended) complete(slot, res);
        }
        return {};
    }

    size_t inflight() const override { return queue_.size() + ring_.in_flight(); }
    void set_tracer(std::function<void(const HopTrace &)>) override {}  // hops stay in the kernel

   private:
    // The ring, made when chains first queue up together; false if this
    // process cannot have one (they then run one after another).
    bool has_ring() {
        if (!ring_tried_) {
            ring_tried_ = true;
            if (ring_.init(max_chains_).ok()) {
                slots_.resize(max_chains_);
                for (unsigned i = max_chains_; i-- > 0;) free_.push_back(i);
            }
        }
        return !slots_.empty();
    }

    // The program fd of fn, loading it on first use; a refusal is kept, so
    // the verifier runs at most once per function.
    Status program(const Function &fn, int *fd) {
        if (auto it = progs_.find(&fn); it != progs_.end()) {
            if (fd) *fd = it->second;
            return {};
        }
        if (auto it = refused_.find(&fn); it != refused_.end()) return it->second;
        // libbpf would print every refusal's verifier log on stderr; the
        // refusal is this function's chain error instead.
        libbpf_print_fn_t old = libbpf_set_print(quiet_libbpf);
        Status st = load_one(fn);
        libbpf_set_print(old);
        if (!st.ok()) {
            refused_[&fn] = st;
            return st;
        }
        if (fd) *fd = progs_[&fn];
        return {};
    }

    Status load_one(const Function &fn) {
        if (fn.kernel_obj.empty()) return Status::error(ENOENT, fn.name + ": no kernel target");
        Status st = check_helpers(fn.kernel_obj);
        if (!st.ok()) return Status::error(st.err, fn.name + ": " + st.msg);
        LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = fn.name.c_str());
        bpf_object *obj = bpf_object__open_mem(fn.kernel_obj.data(), fn.kernel_obj.size(), &opts);
        if (!obj) return Status::error(errno, fn.name + ": cannot open the kernel object");
        bpf_program *prog;
        bpf_object__for_each_program(prog, obj) {
            bpf_program__set_type(prog, bpf_prog_type(kProgTypeChase));
        }
        int err = bpf_object__load(obj);
        prog = err ? nullptr : bpf_object__find_program_by_name(obj, fn.name.c_str());
        if (!prog) {
            bpf_object__close(obj);
            return Status::error(err ? -err : ENOENT, fn.name +
                                                          ": the kernel refused the function (" +
                                                          strerror(err ? -err : ENOENT) + ")");
        }
        objs_[&fn] = obj;
        progs_[&fn] = bpf_program__fd(prog);
        return {};
    }

    // An O_DIRECT fd of the file tagged with (fn, cap), opened once.
    int tagged_fd(const DataFile &file, const Function *fn, int prog, unsigned cap, int *err) {
        auto key = std::make_tuple(file.dev(), file.ino(), fn, cap);
        if (auto it = fds_.find(key); it != fds_.end()) return it->second;
        // Only with nothing in the ring: a queued read names its fd by
        // number until it is submitted.
        if (fds_.size() >= 256 && !ring_.in_flight()) {
            for (auto &[k, fd] : fds_) close(fd);
            fds_.clear();
        }
        std::string self = "/proc/self/fd/" + std::to_string(file.direct_fd());
        int fd = open(self.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
        if (fd < 0) fd = open(file.path().c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
        if (fd < 0) {
            *err = errno;
            return -1;
        }
        ChaseAttach a{prog, cap, 0, 0};
        if (fcntl(fd, kFChaseAttach, &a)) {
            *err = errno;
            close(fd);
            return -1;
        }
        fds_[key] = fd;
        return fd;
    }

    // The tagged fd a chain reads, or -1 with r->ret and r->error set.
    int chain_fd(const DataFile &file, const ChainSpec &spec, ChainResult *r) {
        int prog = -1;
        Status st = spec.fn ? program(*spec.fn, &prog)
                            : Status::error(EINVAL, "a chain without a function");
        if (!st.ok()) {
            r->ret = -st.err;
            r->error = st.msg;
            return -1;
        }
        int err = 0;
        int fd = tagged_fd(file, spec.fn, prog, spec.hop_cap, &err);
        if (fd < 0) {
            r->ret = -err;
            r->error = std::string("tagging the file for the kernel engine: ") + strerror(err);
        }
        return fd;
    }

    ChainResult run(const DataFile &file, ChainSpec &spec) {
        ChainResult r;
        uint64_t t0 = now_ns();
        int fd = chain_fd(file, spec, &r);
        if (fd < 0) return r;
        alignas(64) uint8_t buf[CHASE_SCRATCH_SIZE];
        memcpy(buf, spec.scratch, sizeof buf);
        ChaseResult res;
        if (read_chain(fd, buf, &res)) memcpy(spec.scratch, buf, sizeof buf);
        r.latency_ns = now_ns() - t0;
        r.ret = res.ret;
        r.hops = res.hops;
        if (r.ret < 0) r.error = kernel_error(-r.ret, spec.hop_cap);
        return r;
    }

    // Puts the next queued chain's read into the ring (or ends the chain
    // at once if it cannot start).
    void start() {
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        ChainResult r;
        int fd = chain_fd(*p.file, *p.spec, &r);
        if (fd < 0) {
            p.done(*p.spec, r);
            return;
        }
        unsigned slot = free_.back();
        free_.pop_back();
        if (!slots_[slot]) slots_[slot] = std::make_unique<InFlight>();
        InFlight &f = *slots_[slot];
        f.p = std::move(p);
        memcpy(f.scratch, f.p.spec->scratch, sizeof f.scratch);
        f.result = {-EIO, 0};
        f.iov[0] = {f.scratch, CHASE_SCRATCH_SIZE};
        f.iov[1] = {&f.result, sizeof f.result};
        f.long_read = long_reads_;
        f.t0 = now_ns();
        ring_.readv(fd, f.iov, f.long_read ? 2 : 1, 0, slot);
    }

    // A chain's read completed with res (bytes or -errno).
    void complete(uint64_t slot, int res) {
        InFlight &f = *slots_[slot];
        Pending p = std::move(f.p);
        if (f.long_read && res == -EINVAL) {
            // The length is refused before any chain runs: read it again
            // the short way (this and every later chain).
            long_reads_ = false;
            free_.push_back(unsigned(slot));
            queue_.push_front(std::move(p));
            return;
        }
        ChainResult r;
        r.latency_ns = now_ns() - f.t0;
        ChaseResult out = f.result;
        if (chain_outcome(res, f.long_read, &out))
            memcpy(p.spec->scratch, f.scratch, CHASE_SCRATCH_SIZE);
        r.ret = out.ret;
        r.hops = out.hops;
        if (r.ret < 0) r.error = kernel_error(-r.ret, p.spec->hop_cap);
        free_.push_back(unsigned(slot));  // f is not read after this
        p.done(*p.spec, r);
    }

    // One chain: the long read, or the short one on a kernel without it.
    // True if buf holds the scratch as the chain left it (the answer when
    // res->ret is CHASE_DONE).
    bool read_chain(int fd, uint8_t *buf, ChaseResult *res) {
        if (long_reads_) {
            iovec iov[2] = {{buf, CHASE_SCRATCH_SIZE}, {res, sizeof *res}};
            ssize_t n = preadv(fd, iov, 2, 0);
            if (n >= 0 || errno != EINVAL) return chain_outcome(n < 0 ? -errno : n, true, res);
            long_reads_ = false;  // the length is refused before any chain runs
        }
        ssize_t n = pread(fd, buf, CHASE_SCRATCH_SIZE, 0);
        return chain_outcome(n < 0 ? -errno : n, false, res);
    }

    std::map<const Function *, bpf_object *> objs_;
    std::map<const Function *, int> progs_;
    std::map<const Function *, Status> refused_;
    std::map<std::tuple<uint64_t, uint64_t, const Function *, unsigned>, int> fds_;
    std::deque<Pending> queue_;
    IoRing ring_;
    std::vector<std::unique_ptr<InFlight>> slots_;  // empty: no io_uring
    std::vector<unsigned> free_;
    unsigned max_chains_ = 1;
    bool ring_tried_ = false;
    bool long_reads_ = true;
};

}  // namespace

Status make_kernel_engine(const FunctionSet *fns, unsigned max_chains,
                          std::unique_ptr<Engine> *out) {
    if (!kernel_has_series())
        return Status::error(EOPNOTSUPP,
                             "the kernel engine needs the chasefs kernel series (kernel/), "
                             "which this kernel does not have");
    auto e = std::make_unique<KernelEngine>();
    Status st = e->init(fns ? *fns : builtin_functions(), max_chains);
    if (!st.ok()) return st;
    *out = std::move(e);
    return {};
}

}  // namespace chase
