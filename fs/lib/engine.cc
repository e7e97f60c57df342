// Choosing an engine: the best one this kernel and process can run, or the
// one the caller forces (with the reason when it cannot run here).
#include "engine.h"

#include <cerrno>
#include <mutex>

#include "function.h"

namespace chase {

Status Engine::create(EngineKind kind, const FunctionSet *fns, unsigned max_chains,
                      std::unique_ptr<Engine> *out) {
    if (max_chains == 0 || max_chains > 4096)
        return Status::error(EINVAL, "chains in flight must be between 1 and 4096");
    switch (kind) {
        case EngineKind::kernel:
            return make_kernel_engine(fns, max_chains, out);
        case EngineKind::syscall:
        case EngineKind::native:
            return make_user_engine(kind, fns, max_chains, out);
        case EngineKind::automatic:
            break;
    }
    Status st = make_kernel_engine(fns, max_chains, out);
    if (st.ok()) return st;
    st = make_user_engine(EngineKind::syscall, fns, max_chains, out);
    if (st.ok()) return st;
    Status native = make_user_engine(EngineKind::native, fns, max_chains, out);
    if (native.ok()) return native;
    return st;  // the syscall engine's reason is the more useful one
}

std::vector<EngineKind> available_engines() {
    static std::once_flag once;
    static std::vector<EngineKind> kinds;
    std::call_once(once, [] {
        for (auto k : {EngineKind::kernel, EngineKind::syscall, EngineKind::native}) {
            std::unique_ptr<Engine> e;
            if (Engine::create(k, nullptr, 1, &e).ok()) kinds.push_back(k);
        }
    });
    return kinds;
}

}  // namespace chase
