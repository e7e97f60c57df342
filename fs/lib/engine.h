// Engines run chains: one storage function over one file, hop by hop, many
// chains in flight from one thread.  Which engine runs them is invisible to
// the caller; all of them give byte-identical answers.
//
//   user space (engine_user.h): io_uring O_DIRECT reads, and a Backend runs
//       the function on completed hops -- natively, or in BPF with one
//       BPF_PROG_RUN per batch (syscall);
//   kernel (engine_kernel.cc): the patched kernel runs the whole chain
//       inside one read of a tagged fd.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chase/chase.h"
#include "format.h"

namespace chase {

// A chain's result as the engine hands it back.
struct ChainResult {
    int ret = 0;        // CHASE_DONE or -errno
    std::string error;  // why, when the engine ended the chain
    uint32_t hops = 0;  // blocks handed to the function
    uint64_t latency_ns = 0;
};

class Engine {
   public:
    using Done = std::function<void(ChainSpec &spec, const ChainResult &r)>;

    virtual ~Engine() = default;
    // Build the engine of this kind for these functions (nullptr = built-ins).
    static Status create(EngineKind kind, const FunctionSet *fns, unsigned max_chains,
                         std::unique_ptr<Engine> *out);

    virtual EngineKind kind() const = 0;
    // Queue a chain over file; done is called from step()/drain().
    virtual void submit(const DataFile &file, std::unique_ptr<ChainSpec> spec, Done done) = 0;
    // Run until every submitted chain has called back.
    virtual Status drain() = 0;
    virtual size_t inflight() const = 0;
    virtual void set_tracer(std::function<void(const HopTrace &)> t) = 0;
};

Status make_user_engine(EngineKind kind, const FunctionSet *fns, unsigned max_chains,
                        std::unique_ptr<Engine> *out);
// engine_kernel.cc: EOPNOTSUPP with the reason when the kernel lacks the series.
Status make_kernel_engine(const FunctionSet *fns, unsigned max_chains,
                          std::unique_ptr<Engine> *out);

uint64_t now_ns();

}  // namespace chase
