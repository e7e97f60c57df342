// User-supplied storage functions: every hostile object is refused before it
// runs, with the reason; objects that load but misbehave end their chains
// with the documented errors; a well-behaved one answers like the built-in.
#include <fstream>
#include <iterator>

#include "engine_fixture.h"

using namespace chase;
using namespace chase_test;

namespace {

std::string obj(const char *name) {
    return std::string(HOSTILE_DIR) + "/" + name + ".o";
}

struct Refusal {
    const char *object;
    int err;
    const char *says;  // a fragment of the message
};

class Refused : public testing::TestWithParam<Refusal> {};

TEST_P(Refused, ByTheLoaderWithTheReason) {
    if (!in_ci() && geteuid() != 0) {
        fprintf(stderr, "*** NOT RUN: loading BPF needs root/CAP_BPF ***\n");
        GTEST_SKIP() << "needs CAP_BPF";
    }
    const Refusal &r = GetParam();
    std::string log;
    Status st = verify_object(obj(r.object), &log);
    EXPECT_EQ(st.err, r.err) << st.to_string();
    EXPECT_NE(st.msg.find(r.says), std::string::npos) << st.msg;

    // And through a data file that names it: the query fails, nothing runs.
    std::string path = generated_tree(2, 1);
    std::shared_ptr<DataFile> f;
    OpenOptions o;
    o.function = obj(r.object);
    ASSERT_TRUE(DataFile::open(path, o, &f).ok());
    auto session = make_session(EngineKind::syscall);
    ASSERT_TRUE(session);
    std::string v;
    Status q = session->get(*f, "5", &v);
    EXPECT_EQ(q.err, r.err) << q.to_string();
    EXPECT_NE(q.msg.find(r.says), std::string::npos) << q.msg;
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, Refused,
    testing::Values(Refusal{"oob_read", EACCES, "outside of the allowed memory range"},
                    Refusal{"write_block", EACCES, "write into map forbidden"},
                    Refusal{"unbounded_loop", ENOMEM, "too complex"},
                    Refusal{"forbidden_helper", EPERM, "bpf_sys_bpf"},
                    Refusal{"printk_helper", EPERM, "bpf_trace_printk"},
                    Refusal{"pointer_leak", EACCES, "leaks addr"},
                    Refusal{"no_abi_maps", EINVAL, "ABI maps"}),
    [](const testing::TestParamInfo<Refusal> &p) { return std::string(p.param.object); });

TEST(Hostile, NotAnObjectAtAll) {
    std::string junk = temp_dir() + "/junk.o";
    std::ofstream(junk) << "this is not ELF";
    std::string log;
    Status st = verify_object(junk, &log);
    EXPECT_EQ(st.err, ENOEXEC) << st.to_string();
}

// good_get.o with one BTF type record changed: the first record of kind
// `kind` gets `type` as its type field (-1: its own id, a cycle).  Walks the
// ELF and BTF layouts itself, sharing nothing with the loader's check.
std::string with_btf_type(uint32_t kind, int64_t type) {
    std::ifstream in(obj("good_get"), std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto u16 = [&](size_t at) { return uint32_t(uint8_t(b[at]) | uint8_t(b[at + 1]) << 8); };
    auto u32 = [&](size_t at) { return u16(at) | u16(at + 2) << 16; };
    auto u64 = [&](size_t at) { return uint64_t(u32(at)) | uint64_t(u32(at + 4)) << 32; };
    uint64_t shoff = u64(0x28);
    uint32_t shnum = u16(0x3c), shstrndx = u16(0x3e);
    uint64_t names = u64(shoff + 64 * shstrndx + 0x18);
    for (uint32_t i = 1; i < shnum; i++) {
        size_t sh = shoff + 64 * i;
        if (b.compare(names + u32(sh), 5, std::string(".BTF\0", 5)) != 0) continue;
        size_t btf = u64(sh + 0x18);
        size_t types = btf + u32(btf + 4) + u32(btf + 8), end = types + u32(btf + 12);
        uint32_t id = 1;
        for (size_t at = types; at < end; id++) {
            uint32_t info = u32(at + 4), k = (info >> 24) & 0x1f, vlen = info & 0xffff;
            if (k == kind) {
                uint32_t v = uint32_t(type < 0 ? id : type);
                for (int j = 0; j < 4; j++) b[at + 8 + j] = char(v >> (8 * j));
                std::string path = temp_dir() + "/btf-" + std::to_string(kind) + ".o";
                std::ofstream(path, std::ios::binary) << b;
                return path;
            }
            // Bytes after the 12-byte record, by kind (linux/btf.h).
            static const uint32_t fixed[20] = {0, 4, 0, 12, 0, 0, 0, 0, 0, 0,
                                               0, 0, 0, 0,  4, 0, 0, 4, 0, 0};
            static const uint32_t per[20] = {0, 0, 0, 0, 12, 12, 8, 0, 0, 0,
                                             0, 0, 0, 8, 0,  12, 0, 0, 0, 12};
            at += 12 + fixed[k] + per[k] * vlen;
        }
    }
    ADD_FAILURE() << "good_get.o has no BTF type of kind " << kind;
    return "";
}

struct BadBtf {
    const char *name;
    uint32_t kind;
    int64_t type;
    const char *says;
};

class MalformedBtf : public testing::TestWithParam<BadBtf> {};

// Found by tests/fuzz/fuzz_bpf_object: libbpf 1.1 dereferenced a null type
// when a variable named a type id that does not exist.  Such objects, and
// the other breaks of the type graph libbpf does not check, are refused
// before libbpf sees them (no privilege needed: nothing is loaded).
TEST_P(MalformedBtf, IsRefusedBeforeLibbpf) {
    const BadBtf &b = GetParam();
    std::string path = with_btf_type(b.kind, b.type);
    ASSERT_FALSE(path.empty());
    std::string log;
    Status st = verify_object(path, &log);
    EXPECT_EQ(st.err, ENOEXEC) << st.to_string();
    EXPECT_NE(st.msg.find(b.says), std::string::npos) << st.msg;
    std::shared_ptr<DataFile> f;
    OpenOptions o;
    o.function = path;
    st = DataFile::open(generated_tree(2, 1), o, &f);
    EXPECT_EQ(st.err, ENOEXEC) << st.to_string();
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, MalformedBtf,
    testing::Values(BadBtf{"var_of_missing_type", 14, 0x2200, "does not exist"},
                    BadBtf{"pointer_to_missing_type", 2, 0x7fffffff, "does not exist"},
                    BadBtf{"function_without_prototype", 12, 0, "without a prototype"},
                    BadBtf{"typedef_of_itself", 8, -1, "cycle"}),
    [](const testing::TestParamInfo<BadBtf> &p) { return std::string(p.param.name); });

struct Misbehaviour {
    const char *object;
    int err;
    const char *says;
};

class Misbehaves : public testing::TestWithParam<Misbehaviour> {};

TEST_P(Misbehaves, AndTheEngineEndsTheChain) {
    const Misbehaviour &m = GetParam();
    std::string log;
    ASSERT_TRUE(verify_object(obj(m.object), &log).ok()) << log;
    std::string path = generated_tree(2, 1);
    std::shared_ptr<DataFile> f;
    OpenOptions o;
    o.function = obj(m.object);
    ASSERT_TRUE(DataFile::open(path, o, &f).ok());
    auto session = make_session(EngineKind::syscall);
    ASSERT_TRUE(session);
    std::string v;
    Status st = session->get(*f, "5", &v);
    EXPECT_EQ(st.err, m.err) << st.to_string();
    EXPECT_NE(st.msg.find(m.says), std::string::npos) << st.msg;
    EXPECT_EQ(f->stats().errors, 1u);
    // The same session still answers for other files.
    auto good = open_file(path);
    EXPECT_TRUE(session->get(*good, "5", &v).ok());
    EXPECT_EQ(v, "5");
}

INSTANTIATE_TEST_SUITE_P(Hostile, Misbehaves,
                         testing::Values(Misbehaviour{"next_outside", ERANGE, "outside the file"},
                                         Misbehaviour{"runaway", ELOOP, "hop cap"},
                                         Misbehaviour{"too_many_reads", E2BIG, "reads"}),
                         [](const testing::TestParamInfo<Misbehaviour> &p) {
                             return std::string(p.param.object);
                         });

TEST(UserFunction, AWellBehavedObjectAnswersLikeTheBuiltIn) {
    std::string log;
    Status st = verify_object(obj("good_get"), &log);
    ASSERT_TRUE(st.ok()) << st.to_string() << "\n" << log;
    std::string path = generated_tree(3, 3);
    std::shared_ptr<DataFile> user;
    OpenOptions o;
    o.function = obj("good_get");
    ASSERT_TRUE(DataFile::open(path, o, &user).ok());
    auto builtin = open_file(path);
    auto session = make_session(EngineKind::syscall);
    ASSERT_TRUE(session);
    for (uint64_t k = 0; k < 3000; k += 13) {
        std::string a, b;
        Status sa = session->get(*user, std::to_string(k), &a);
        Status sb = session->get(*builtin, std::to_string(k), &b);
        ASSERT_EQ(sa.err, sb.err) << k;
        ASSERT_EQ(a, b) << k;
    }
    // The native engine cannot run user objects, and says so.
    auto native = make_session(EngineKind::native);
    std::string v;
    st = native->get(*user, "3", &v);
    EXPECT_EQ(st.err, EOPNOTSUPP) << st.to_string();
}

}  // namespace
