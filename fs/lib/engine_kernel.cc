// The kernel engine: chains run inside the patched kernel (kernel/).
// Until the kernel series and this engine land, the engine reports why it
// cannot run, and automatic selection moves on to the syscall engine.
#include <cerrno>

#include "engine.h"

namespace chase {

Status make_kernel_engine(const FunctionSet *, unsigned, std::unique_ptr<Engine> *) {
    return Status::error(EOPNOTSUPP,
                         "the kernel engine needs the chasefs kernel series (kernel/), "
                         "which this kernel does not have");
}

}  // namespace chase
