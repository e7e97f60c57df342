// Loading storage functions into the running kernel (the syscall target).
//
// Every object passes two gates before it runs: a scan of all its code for
// helper calls outside a short allow-list (a BPF_PROG_TYPE_SYSCALL program
// could otherwise call bpf_sys_bpf with the daemon's privileges), then the
// kernel's own verifier, run from a thread that holds CAP_BPF but not
// CAP_PERFMON or CAP_SYS_ADMIN, so the verifier refuses pointer leaks and
// applies its unprivileged-pointer rules (built-ins, trusted, load with the
// process's own privileges).  On refusal the caller gets the
// reason in words and the verifier's log.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "chase/chase.h"
#include "function.h"

namespace chase {

// Closes the fd it holds.
struct OwnedFd {
    int fd = -1;
    OwnedFd() = default;
    explicit OwnedFd(int f) : fd(f) {}
    OwnedFd(const OwnedFd &) = delete;
    ~OwnedFd();
};

// The four ABI maps one backend's programs share.
struct ChaseMaps {
    int blocks = -1, scratch = -1, hops = -1, batch = -1;
};

struct LoadedProgram {
    bpf_object *obj = nullptr;
    int fd = -1;
};

// The ELF structure libbpf will walk: header, section table, string and
// symbol tables and relocations all inside the image.  A hostile object
// must be refused here, not trusted to libbpf's parser.
Status check_elf_shape(const std::vector<uint8_t> &elf);

// The allow-list gate alone, on an ELF image (also used by chasectl verify).
Status check_helpers(const std::vector<uint8_t> &elf);

// Load program fn.name of fn.syscall_obj with its ABI maps bound to maps.
// *log receives the verifier's log when the kernel refuses the program.
Status load_syscall_program(const Function &fn, const ChaseMaps &maps, LoadedProgram *out,
                            std::string *log);
void unload_program(LoadedProgram *p);

inline constexpr size_t kMaxFunctionsPerObject = 32;

// A FunctionSet with one function per SEC("syscall") program of the object
// image; `source` names it in messages and in FunctionSet::source.
Status functions_from_object(std::vector<uint8_t> bytes, const std::string &source,
                             std::shared_ptr<FunctionSet> *out);
// The same for the object file at `path`, read as `as` (object_file.h).
Status read_object_functions(const std::string &path, const Credentials *as,
                             std::shared_ptr<FunctionSet> *out);

}  // namespace chase
