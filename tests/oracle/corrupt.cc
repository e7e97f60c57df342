#include "corrupt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>

#include "chase/bptree.h"

namespace oracle {

namespace {

Error sys_error(const std::string &what) {
    int e = errno;
    return Error::make(e, what + ": " + std::strerror(e));
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

Error copy_file(const std::string &src, const std::string &dst) {
    Fd in, out;
    in.fd = open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in.fd < 0) return sys_error(src);
    out.fd = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out.fd < 0) return sys_error(dst);
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in.fd, buf, sizeof buf)) > 0)
        if (write(out.fd, buf, size_t(n)) != n) return sys_error(dst + ": write");
    if (n < 0) return sys_error(src + ": read");
    return {};
}

Error put_u64(int fd, uint64_t off, uint64_t v) {
    if (pwrite(fd, &v, 8, off_t(off)) != 8) return sys_error("pwrite");
    return {};
}

Error get_u64(int fd, uint64_t off, uint64_t *v) {
    if (pread(fd, v, 8, off_t(off)) != 8) return sys_error("pread");
    return {};
}

uint64_t ptr_field(uint64_t node, unsigned i) {
    return node + BPT_OFF_PTRS + 8 * i;
}

}  // namespace

const char *corruption_name(Corruption c) {
    switch (c) {
        case Corruption::child_cycle:
            return "child_cycle";
        case Corruption::sibling_cycle:
            return "sibling_cycle";
        case Corruption::pointer_past_eof:
            return "pointer_past_eof";
        case Corruption::truncated:
            return "truncated";
        case Corruption::garbage_root:
            return "garbage_root";
        case Corruption::bad_magic:
            return "bad_magic";
        case Corruption::bad_crc:
            return "bad_crc";
        case Corruption::misaligned_pointer:
            return "misaligned_pointer";
        case Corruption::bad_type:
            return "bad_type";
        case Corruption::value_outside_log:
            return "value_outside_log";
    }
    return "?";
}

std::vector<Corruption> all_corruptions() {
    return {Corruption::child_cycle,      Corruption::sibling_cycle,
            Corruption::pointer_past_eof, Corruption::truncated,
            Corruption::garbage_root,     Corruption::bad_magic,
            Corruption::bad_crc,          Corruption::misaligned_pointer,
            Corruption::bad_type,         Corruption::value_outside_log};
}

bool corruption_applies(Corruption c, unsigned depth, unsigned long long nkeys) {
    switch (c) {
        case Corruption::child_cycle:
            return depth >= 2;
        case Corruption::truncated:
        case Corruption::pointer_past_eof:
        case Corruption::misaligned_pointer:
        case Corruption::value_outside_log:
            return nkeys > 0;
        default:
            return true;
    }
}

Error make_corrupt_copy(const std::string &src, const std::string &dst, Corruption c) {
    if (Error e = copy_file(src, dst); !e.ok()) return e;
    Fd f;
    f.fd = open(dst.c_str(), O_RDWR | O_CLOEXEC);
    if (f.fd < 0) return sys_error(dst);
    bpt_super sb;
    if (pread(f.fd, &sb, sizeof sb, 0) != ssize_t(sizeof sb))
        return sys_error(dst + ": superblock");
    struct stat st;
    if (fstat(f.fd, &st) != 0) return sys_error(dst);
    if (!corruption_applies(c, sb.depth, sb.nkeys))
        return Error::make(EINVAL,
                           std::string(corruption_name(c)) + " needs a deeper or fuller tree");
    uint64_t first_leaf = sb.level_off[sb.depth - 1];
    switch (c) {
        case Corruption::child_cycle:
            return put_u64(f.fd, ptr_field(sb.level_off[sb.depth - 2], 0), BPT_ROOT_OFF);
        case Corruption::sibling_cycle: {
            uint64_t last = first_leaf + (sb.level_nodes[sb.depth - 1] - 1) * BPT_NODE_SIZE;
            return put_u64(f.fd, last + BPT_OFF_NEXT, first_leaf);
        }
        case Corruption::pointer_past_eof: {
            uint64_t past = (uint64_t(st.st_size) + 4095) / 4096 * 4096 + 4096;
            return put_u64(f.fd, ptr_field(BPT_ROOT_OFF, 0), past);
        }
        case Corruption::truncated: {
            uint64_t cut = sb.log_off + (sb.log_size / 2) / BPT_NODE_SIZE * BPT_NODE_SIZE;
            if (ftruncate(f.fd, off_t(cut)) != 0) return sys_error(dst + ": truncate");
            return {};
        }
        case Corruption::garbage_root: {
            std::mt19937_64 rng(42);
            uint64_t junk[BPT_NODE_SIZE / 8];
            for (uint64_t &w : junk) w = rng() | (1ull << 63);  // never a valid type
            if (pwrite(f.fd, junk, sizeof junk, BPT_ROOT_OFF) != ssize_t(sizeof junk))
                return sys_error(dst + ": pwrite");
            return {};
        }
        case Corruption::bad_magic:
            sb.magic ^= 0xff;
            sb.crc32 = uint32_t(
                crc32(0L, reinterpret_cast<const Bytef *>(&sb), offsetof(bpt_super, crc32)));
            if (pwrite(f.fd, &sb, sizeof sb, 0) != ssize_t(sizeof sb)) return sys_error("pwrite");
            return {};
        case Corruption::bad_crc:
            sb.crc32 ^= 0x5a5a5a5a;
            if (pwrite(f.fd, &sb, sizeof sb, 0) != ssize_t(sizeof sb)) return sys_error("pwrite");
            return {};
        case Corruption::misaligned_pointer: {
            uint64_t p;
            if (Error e = get_u64(f.fd, ptr_field(BPT_ROOT_OFF, 0), &p); !e.ok()) return e;
            return put_u64(f.fd, ptr_field(BPT_ROOT_OFF, 0), p + 8);
        }
        case Corruption::bad_type:
            return put_u64(f.fd, BPT_ROOT_OFF + BPT_OFF_TYPE, 7);
        case Corruption::value_outside_log:
            return put_u64(f.fd, ptr_field(first_leaf, 0), sb.log_off + sb.log_size);
    }
    return {};
}

}  // namespace oracle
