// Storage functions as libchase sees them: a name, the natively compiled
// entry point (built-ins only) and the BPF objects built from the same source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "chase/abi.h"
}

namespace chase {

using NativeFn = int (*)(struct chase_ctx *);

struct Function {
    std::string name;           // also the BPF program's name
    NativeFn native = nullptr;  // nullptr for user-supplied objects
    // ELF of the syscall target, shared by every function of one object: a
    // user object is up to 8 MiB and may hold many programs.
    std::shared_ptr<const std::vector<uint8_t>> syscall_obj;
    std::vector<uint8_t> kernel_obj;  // ELF of the kernel target (may be empty)
    bool trusted = false;             // built-in: may share maps with other built-ins
};

// A set of functions that load together (the built-ins, or one user object).
class FunctionSet {
   public:
    const Function *find(const std::string &name) const;
    const std::vector<std::unique_ptr<Function>> &all() const { return fns_; }
    void add(std::unique_ptr<Function> fn) { fns_.push_back(std::move(fn)); }
    // The BPF object file a user-supplied set came from ("" for built-ins).
    std::string source;

   private:
    std::vector<std::unique_ptr<Function>> fns_;
};

// Every storage function compiled into libchase.
const FunctionSet &builtin_functions();

}  // namespace chase
