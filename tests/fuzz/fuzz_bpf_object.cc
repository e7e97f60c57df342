// Fuzz target: the BPF object loader's ELF handling (fs/lib/bpf_loader.cc):
// check_elf_shape, then libbpf's bpf_object__open_mem on what it lets
// through (functions_from_object, as for a user's user.chase.fn object), and
// the helper allow-list scan check_helpers.  The input is the object file.
// Nothing is loaded into the kernel.
// A finding: any crash or sanitizer report or hang, in libchase or in
// libbpf/libelf behind check_elf_shape (libbpf and libelf are Debian's
// uninstrumented builds: their own loads are not checked, but their
// memcpy/strlen/strcmp calls are, and a wild pointer still crashes); an
// error without a sentence; a function set that is empty or does not carry
// the object's bytes; the allow-list accepting what the shape check refuses.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bpf_loader.h"

namespace {

[[noreturn]] void finding(const std::string &what) {
    fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    abort();
}

void check(const chase::Status &st, const char *what) {
    if (!st.ok() && (st.err <= 0 || st.err > 4095 || st.msg.empty()))
        finding(std::string(what) + ": malformed error " + st.to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    chase::Status shape = chase::check_elf_shape(bytes);
    check(shape, "check_elf_shape");

    std::shared_ptr<chase::FunctionSet> set;
    chase::Status st = chase::functions_from_object(bytes, "fuzz.o", &set);
    check(st, "functions_from_object");
    if (st.ok() && !shape.ok()) finding("libbpf was given an object the shape check refused");
    if (st.ok()) {
        if (!set || set->all().empty()) finding("an empty function set");
        for (const auto &fn : set->all())
            if (!fn->syscall_obj || *fn->syscall_obj != bytes || fn->native)
                finding("a function that is not the object's");
    }

    chase::Status helpers = chase::check_helpers(bytes);
    check(helpers, "check_helpers");
    if (helpers.ok() && !shape.ok()) finding("check_helpers passed an object of a bad shape");
    return 0;
}
