// The built-in storage functions, taken from the table bpf/CMakeLists.txt
// generates (native entry points and the embedded BPF objects).
#include "function.h"

extern "C" {
#include "chase/builtin.h"
}

namespace chase {

const Function *FunctionSet::find(const std::string &name) const {
    for (auto &fn : fns_)
        if (fn->name == name) return fn.get();
    return nullptr;
}

const FunctionSet &builtin_functions() {
    static const FunctionSet *set = [] {
        auto *s = new FunctionSet;
        for (const chase_builtin *b = chase_builtins; b->name; b++) {
            auto fn = std::make_unique<Function>();
            fn->name = b->name;
            fn->native = b->native;
            fn->syscall_obj = std::make_shared<const std::vector<uint8_t>>(
                b->syscall_obj, b->syscall_obj + *b->syscall_len);
            fn->kernel_obj.assign(b->kernel_obj, b->kernel_obj + *b->kernel_len);
            fn->trusted = true;
            s->add(std::move(fn));
        }
        return s;
    }();
    return *set;
}

}  // namespace chase
