#include "bpf_loader.h"

#include <bpf/bpf.h>
#include <elf.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

#include "btf_check.h"
#include "object_file.h"

namespace chase {

namespace {

// Helpers a storage function may call: map access, bounded loops, time and
// random numbers.  Everything else (bpf_sys_bpf, probe reads, printk, ...)
// is refused before the object reaches the kernel.
const std::set<int32_t> kAllowedHelpers = {
    BPF_FUNC_map_lookup_elem,
    BPF_FUNC_map_update_elem,
    BPF_FUNC_map_delete_elem,
    BPF_FUNC_ktime_get_ns,
    BPF_FUNC_get_prandom_u32,
    BPF_FUNC_get_smp_processor_id,
    BPF_FUNC_loop,
    BPF_FUNC_strncmp,
};

// Map types an object may bring besides the four ABI maps.
const std::set<bpf_map_type> kAllowedMapTypes = {
    BPF_MAP_TYPE_ARRAY,
    BPF_MAP_TYPE_HASH,
    BPF_MAP_TYPE_PERCPU_ARRAY,
    BPF_MAP_TYPE_PERCPU_HASH,
};

const char *helper_name(int32_t id) {
    switch (id) {
        case BPF_FUNC_sys_bpf:
            return "bpf_sys_bpf";
        case BPF_FUNC_sys_close:
            return "bpf_sys_close";
        case BPF_FUNC_trace_printk:
            return "bpf_trace_printk";
        case BPF_FUNC_probe_read_kernel:
            return "bpf_probe_read_kernel";
        case BPF_FUNC_probe_read_user:
            return "bpf_probe_read_user";
        case BPF_FUNC_copy_from_user:
            return "bpf_copy_from_user";
        case BPF_FUNC_kallsyms_lookup_name:
            return "bpf_kallsyms_lookup_name";
        default:
            return nullptr;
    }
}

// Capabilities are per thread on Linux, so the loader thread can give up
// CAP_PERFMON and CAP_SYS_ADMIN without touching the rest of the process.
bool keep_only_cap_bpf() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data)) return false;
    const int cap_bpf = 39;  // CAP_BPF, not in every libc header yet
    bool had = data[cap_bpf / 32].effective & (1u << (cap_bpf % 32));
    data[0].effective = data[1].effective = 0;
    if (had) data[cap_bpf / 32].effective = 1u << (cap_bpf % 32);
    return syscall(SYS_capset, &hdr, data) == 0;
}

bool is_abi_map(const char *name) {
    return !strcmp(name, CHASE_MAP_BLOCKS) || !strcmp(name, CHASE_MAP_SCRATCH) ||
           !strcmp(name, CHASE_MAP_HOPS) || !strcmp(name, CHASE_MAP_BATCH);
}

// Bind the ABI maps, refuse foreign map types, load only the named program.
Status prepare(bpf_object *obj, const Function &fn, const ChaseMaps &maps, bpf_program **prog) {
    *prog = nullptr;
    bpf_program *p;
    bpf_object__for_each_program(p, obj) {
        bool mine = fn.name == bpf_program__name(p);
        bpf_program__set_autoload(p, mine);
        if (mine) *prog = p;
    }
    if (!*prog) return Status::error(ENOENT, "object has no program named " + fn.name);
    if (bpf_program__type(*prog) != BPF_PROG_TYPE_SYSCALL)
        return Status::error(EINVAL, "program " + fn.name +
                                         " is not a syscall-target storage function "
                                         "(build it with -DCHASE_TARGET_SYSCALL)");
    int bound = 0;
    bpf_map *m;
    bpf_object__for_each_map(m, obj) {
        const char *name = bpf_map__name(m);
        int fd = -1;
        if (!strcmp(name, CHASE_MAP_BLOCKS)) fd = maps.blocks;
        if (!strcmp(name, CHASE_MAP_SCRATCH)) fd = maps.scratch;
        if (!strcmp(name, CHASE_MAP_HOPS)) fd = maps.hops;
        if (!strcmp(name, CHASE_MAP_BATCH)) fd = maps.batch;
        if (is_abi_map(name)) {
            int r = bpf_map__reuse_fd(m, fd);
            if (r) return Status::error(-r, std::string("binding map ") + name + " failed");
            bound++;
        } else if (!kAllowedMapTypes.count(bpf_map__type(m))) {
            return Status::error(EPERM, std::string("map ") + name + " has a type (" +
                                            std::to_string(bpf_map__type(m)) +
                                            ") storage functions may not use");
        }
    }
    if (bound != 4)
        return Status::error(EINVAL,
                             "object lacks the chase ABI maps (build it with "
                             "bpf/include/chase/sdk.h and -DCHASE_TARGET_SYSCALL)");
    return {};
}

Status load_once(const Function &fn, const ChaseMaps &maps, char *logbuf, size_t logsize,
                 LoadedProgram *out) {
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = fn.name.c_str());
    bpf_object *obj = bpf_object__open_mem(fn.syscall_obj->data(), fn.syscall_obj->size(), &opts);
    if (!obj) return Status::error(errno ? errno : EINVAL, "not a loadable BPF object");
    bpf_program *prog;
    Status st = prepare(obj, fn, maps, &prog);
    if (st.ok() && logbuf) {
        bpf_program__set_log_buf(prog, logbuf, logsize);
        bpf_program__set_log_level(prog, 1);
    }
    if (st.ok()) {
        int r = 0;
        // Built-ins are trusted code and load with the process's privileges;
        // anything else loads without CAP_PERFMON/CAP_SYS_ADMIN.
        std::thread loader([&] {
            if (!fn.trusted && !keep_only_cap_bpf()) {
                r = -EPERM;
                return;
            }
            r = bpf_object__load(obj);
        });
        loader.join();
        if (r) st = Status::error(-r, "the kernel verifier refused " + fn.name);
    }
    if (!st.ok()) {
        bpf_object__close(obj);
        return st;
    }
    out->obj = obj;
    out->fd = bpf_program__fd(prog);
    return {};
}

// The lines of a verifier log that say why: the last two that are not the
// closing statistics (the verifier often states the cause, then the rule).
std::string verifier_verdict(const std::string &log) {
    std::vector<std::string> why;
    size_t end = log.size();
    while (end > 0 && why.size() < 2) {
        size_t nl = log.rfind('\n', end - 1);
        size_t begin = nl == std::string::npos ? 0 : nl + 1;
        std::string line = log.substr(begin, end - begin);
        end = nl == std::string::npos ? 0 : nl;
        if (line.empty() || line.rfind("processed ", 0) == 0 ||
            line.rfind("verification time", 0) == 0 || line.rfind("stack depth", 0) == 0 ||
            line.rfind("--", 0) == 0 || isdigit(static_cast<unsigned char>(line[0])) ||
            line[0] == ';')
            continue;
        why.insert(why.begin(), line);
    }
    std::string out;
    for (auto &w : why) out += (out.empty() ? "" : "; ") + w;
    return out;
}

int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
    return 0;  // errors reach the caller as Status values with the verifier log
}

}  // namespace

Status check_elf_shape(const std::vector<uint8_t> &elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || memcmp(elf.data(), ELFMAG, SELFMAG))
        return Status::error(ENOEXEC, "not an ELF file");
    Elf64_Ehdr eh;
    memcpy(&eh, elf.data(), sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_BPF)
        return Status::error(ENOEXEC, "not a 64-bit little-endian BPF ELF object (e_machine " +
                                          std::to_string(eh.e_machine) + ")");
    if (eh.e_type != ET_REL) return Status::error(ENOEXEC, "not a relocatable ELF object");
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > elf.size() || eh.e_shnum == 0 ||
        uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > elf.size() - eh.e_shoff)
        return Status::error(ENOEXEC, "ELF section table lies outside the file");
    if (eh.e_shstrndx == 0 || eh.e_shstrndx >= eh.e_shnum)
        return Status::error(ENOEXEC, "ELF section-name table index is out of range");
    auto header = [&](unsigned i) {
        Elf64_Shdr sh;
        memcpy(&sh, elf.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
        return sh;
    };
    for (unsigned i = 1; i < eh.e_shnum; i++) {
        Elf64_Shdr sh = header(i);
        std::string where = "ELF section " + std::to_string(i);
        if (sh.sh_type != SHT_NOBITS &&
            (sh.sh_offset > elf.size() || sh.sh_size > elf.size() - sh.sh_offset))
            return Status::error(ENOEXEC, where + " lies outside the file");
        if (sh.sh_link >= eh.e_shnum)
            return Status::error(ENOEXEC, where + " links to a section that does not exist");
        if (sh.sh_type == SHT_STRTAB &&
            (sh.sh_size == 0 || elf[sh.sh_offset + sh.sh_size - 1] != 0))
            return Status::error(ENOEXEC, where + " is a string table without a final NUL");
        if (sh.sh_type == SHT_SYMTAB &&
            (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym) ||
             header(sh.sh_link).sh_type != SHT_STRTAB))
            return Status::error(ENOEXEC, where + " is a malformed symbol table");
        if ((sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) &&
            (sh.sh_info >= eh.e_shnum || sh.sh_entsize == 0 || sh.sh_size % sh.sh_entsize ||
             header(sh.sh_link).sh_type != SHT_SYMTAB))
            return Status::error(ENOEXEC, where + " is a malformed relocation section");
    }
    Elf64_Shdr names = header(eh.e_shstrndx);
    if (names.sh_type != SHT_STRTAB)
        return Status::error(ENOEXEC, "ELF section-name table is not a string table");
    for (unsigned i = 1; i < eh.e_shnum; i++)
        if (header(i).sh_name >= names.sh_size)
            return Status::error(
                ENOEXEC, "ELF section " + std::to_string(i) + " has a name outside the name table");
    // libbpf walks the type graph of .BTF without checking it (btf_check.h).
    for (unsigned i = 1; i < eh.e_shnum; i++) {
        Elf64_Shdr sh = header(i);
        const char *name =
            reinterpret_cast<const char *>(elf.data() + names.sh_offset + sh.sh_name);
        if (strcmp(name, ".BTF") != 0) continue;
        if (sh.sh_type == SHT_NOBITS) return Status::error(ENOEXEC, ".BTF section holds no data");
        Status st = check_btf_shape(elf.data() + sh.sh_offset, sh.sh_size);
        if (!st.ok()) return st;
    }
    return {};
}

Status check_helpers(const std::vector<uint8_t> &elf) {
    Status shape = check_elf_shape(elf);
    if (!shape.ok()) return shape;
    Elf64_Ehdr eh;
    memcpy(&eh, elf.data(), sizeof eh);
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, elf.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
        if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
        if (sh.sh_offset > elf.size() || sh.sh_size > elf.size() - sh.sh_offset)
            return Status::error(ENOEXEC, "ELF code section lies outside the file");
        for (uint64_t at = 0; at + sizeof(bpf_insn) <= sh.sh_size; at += sizeof(bpf_insn)) {
            bpf_insn insn;
            memcpy(&insn, elf.data() + sh.sh_offset + at, sizeof insn);
            if (insn.code == (BPF_LD | BPF_IMM | BPF_DW)) {
                at += sizeof(bpf_insn);  // the second half of a 64-bit immediate
                continue;
            }
            if (insn.code != (BPF_JMP | BPF_CALL)) continue;
            if (insn.src_reg == BPF_PSEUDO_CALL) continue;  // a subprogram of the object
            if (insn.src_reg == BPF_PSEUDO_KFUNC_CALL)
                return Status::error(EPERM,
                                     "calls a kernel function (kfunc); "
                                     "storage functions may only call allowed helpers");
            if (!kAllowedHelpers.count(insn.imm)) {
                const char *name = helper_name(insn.imm);
                return Status::error(EPERM,
                                     "calls helper " + std::to_string(insn.imm) +
                                         (name ? std::string(" (") + name + ")" : std::string()) +
                                         ", which storage functions may not use; allowed: map "
                                         "lookup/update/delete, bpf_loop, ktime, prandom, strncmp");
            }
        }
    }
    return {};
}

namespace {

// Loads, and on refusal loads again with a log to tell the user why.
Status load_checked(const Function &fn, const ChaseMaps &maps, LoadedProgram *out,
                    std::string *log) {
    Status st = load_once(fn, maps, nullptr, 0, out);
    if (st.ok() || st.err == EPERM) return st;
    std::vector<char> buf(4 << 20);
    LoadedProgram again;
    Status st2 = load_once(fn, maps, buf.data(), buf.size(), &again);
    if (st2.ok()) {  // refused once, accepted with a log: keep it
        *out = again;
        return {};
    }
    if (log) *log = buf.data();
    std::string why = verifier_verdict(buf.data());
    if (!why.empty()) st.msg += ": " + why;
    return st;
}

// A map like `like` (same value size and length) that programs may only
// read; not mmapable, used for verification only.
int readonly_twin(int like, const char *name) {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(like, &info, &len)) return -1;
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_RDONLY_PROG);
    return bpf_map_create(BPF_MAP_TYPE_ARRAY, name, info.key_size, info.value_size,
                          info.max_entries, &opts);
}

}  // namespace

Status load_syscall_program(const Function &fn, const ChaseMaps &maps, LoadedProgram *out,
                            std::string *log) {
    static bool quiet = (libbpf_set_print(quiet_libbpf), true);
    (void)quiet;
    Status st = check_helpers(*fn.syscall_obj);
    if (!st.ok()) {
        st.msg = fn.name + ": " + st.msg;
        return st;
    }
    if (!fn.trusted) {
        // The verifier proves the program never writes a block or the batch
        // list: it must pass with both maps read-only to programs.
        OwnedFd blocks(readonly_twin(maps.blocks, CHASE_MAP_BLOCKS));
        OwnedFd batch(readonly_twin(maps.batch, CHASE_MAP_BATCH));
        if (blocks.fd < 0 || batch.fd < 0)
            return Status::error(errno,
                                 std::string("creating verification maps: ") + strerror(errno));
        ChaseMaps strict{blocks.fd, maps.scratch, maps.hops, batch.fd};
        LoadedProgram probe;
        st = load_checked(fn, strict, &probe, log);
        if (!st.ok()) return st;
        unload_program(&probe);
    }
    return load_checked(fn, maps, out, log);
}

OwnedFd::~OwnedFd() {
    if (fd >= 0) close(fd);
}

void unload_program(LoadedProgram *p) {
    if (p->obj) bpf_object__close(p->obj);
    p->obj = nullptr;
    p->fd = -1;
}

Status functions_from_object(std::vector<uint8_t> bytes, const std::string &source,
                             std::shared_ptr<FunctionSet> *out) {
    static bool quiet = (libbpf_set_print(quiet_libbpf), true);
    (void)quiet;
    // libbpf trusts the ELF structure more than a hostile file deserves:
    // the same bounds checks the allow-list scan makes come first.
    Status st = check_elf_shape(bytes);
    if (!st.ok()) {
        st.msg = source + ": " + st.msg;
        return st;
    }
    auto image = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    bpf_object *obj = bpf_object__open_mem(image->data(), image->size(), &opts);
    if (!obj) return Status::error(ENOEXEC, source + " is not a BPF object libbpf can open");
    auto set = std::make_shared<FunctionSet>();
    set->source = source;
    bpf_program *p;
    bpf_object__for_each_program(p, obj) {
        if (bpf_program__type(p) != BPF_PROG_TYPE_SYSCALL) continue;
        auto fn = std::make_unique<Function>();
        fn->name = bpf_program__name(p);
        fn->syscall_obj = image;
        set->add(std::move(fn));
    }
    bpf_object__close(obj);
    if (set->all().empty())
        return Status::error(EINVAL, source + " holds no SEC(\"syscall\") storage function");
    // Each function is verified (twice) when the object is attached: a cap
    // keeps one attach from holding a daemon worker for long.
    if (set->all().size() > kMaxFunctionsPerObject)
        return Status::error(E2BIG, source + " holds " + std::to_string(set->all().size()) +
                                        " storage functions; an object may hold at most " +
                                        std::to_string(kMaxFunctionsPerObject));
    *out = std::move(set);
    return {};
}

Status read_object_functions(const std::string &path, const Credentials *as,
                             std::shared_ptr<FunctionSet> *out) {
    std::vector<uint8_t> bytes;
    Status st = read_object_file(path, as, &bytes);
    if (!st.ok()) return st;
    return functions_from_object(std::move(bytes), path, out);
}

}  // namespace chase
