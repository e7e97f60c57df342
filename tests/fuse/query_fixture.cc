#include "query_fixture.h"

#include <cstdlib>

namespace fuse_test {

void QueryTest::SetUp() {
    MountedTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    make_index(src("users.db"), kKeys, kStride);
    ASSERT_TRUE(chase::DataFile::open(src("users.db"), {}, &file_).ok());
    chase::SessionOptions opts;
    const char *engine = getenv("CHASEFS_TEST_ENGINE");
    if (engine && *engine) opts.engine = *chase::parse_engine(engine);
    chase::Status st = chase::Session::create(opts, &session_);
    ASSERT_TRUE(st.ok()) << st.to_string();
    oracle::Error e = reader_.open(src("users.db"));
    ASSERT_EQ(e.err, 0) << e.msg;
}

std::optional<std::string> QueryTest::lib_get(const std::string &key) {
    std::string v;
    chase::Status st = session_->get(*file_, key, &v);
    if (st.err == ENOENT) return std::nullopt;
    EXPECT_TRUE(st.ok()) << st.to_string();
    return v;
}

std::optional<std::string> QueryTest::oracle_get(uint64_t key) {
    std::optional<std::string> v;
    oracle::Error e = reader_.get(key, &v);
    EXPECT_EQ(e.err, 0) << e.msg;
    return v;
}

// Written independently of answer_format.cc: the generated values are plain
// decimal digits, so no escaping applies here (escapes have their own unit
// test).
std::string QueryTest::oracle_range_text(uint64_t lo, uint64_t hi, size_t limit) {
    std::vector<oracle::Record> recs;
    oracle::Error e = reader_.range(lo, hi, limit, &recs);
    EXPECT_EQ(e.err, 0) << e.msg;
    std::string out;
    for (auto &r : recs) out += std::to_string(r.key) + "\t" + r.value + "\n";
    return out;
}

}  // namespace fuse_test
