// User-supplied storage functions: every hostile object is refused before it
// runs, with the reason; objects that load but misbehave end their chains
// with the documented errors; a well-behaved one answers like the built-in.
#include <fstream>

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
