// chase-mkindex --format lmdb|cdb: a TSV of byte keys becomes a file the
// real libraries read back record for record, and chasefs answers from.
#include <sys/xattr.h>

#include <filesystem>
#include <fstream>

#include "cdb_oracle.h"
#include "formats_fixture.h"
#include "lmdb_oracle.h"

using namespace chase_test;

namespace {

// Keys with spaces, slashes, UTF-8 and punctuation; values with tabs,
// empty values and a value of several pages.
const std::vector<std::pair<std::string, std::string>> kRows = {
    {"alice", "1"},
    {"bob smith", "value\twith\ttabs"},
    {"path/to/file", ""},
    {"\xc3\xa9t\xc3\xa9", "summer"},
    {"z", std::string(20000, 'x')},
    {"a", "first"},
};

std::string write_tsv(const std::string &name,
                      const std::vector<std::pair<std::string, std::string>> &rows) {
    std::string path = temp_dir() + "/" + name + ".tsv";
    std::ofstream out(path, std::ios::binary);
    for (auto &[k, v] : rows) out << k << '\t' << v << "\r\n";
    return path;
}

int mkindex(const std::string &args) {
    return system((std::string(CHASE_MKINDEX_BIN) + " " + args + " >/dev/null 2>&1").c_str());
}

class MkindexFormats : public testing::TestWithParam<chase::EngineKind> {};

TEST_P(MkindexFormats, LmdbFromTsvReadsBackThroughLiblmdb) {
    std::string tsv = write_tsv("mk-lmdb", kRows), out = temp_dir() + "/mk.mdb";
    ASSERT_EQ(mkindex("--format lmdb --tsv " + tsv + " " + out), 0);
    EXPECT_FALSE(std::filesystem::exists(out + "-lock")) << "no lock file left behind";
    LmdbOracle oracle(out);
    EXPECT_EQ(oracle.all().size(), kRows.size());
    auto f = open_file(out);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->format_name(), "lmdb");
    auto s = make_session(GetParam());
    for (auto &[k, v] : kRows) {
        EXPECT_EQ(oracle.get(k), v) << k;
        std::string got;
        chase::Status st = s->get(*f, k, &got);
        ASSERT_TRUE(st.ok()) << k << ": " << st.to_string();
        EXPECT_EQ(got, v) << k;
    }
    // A repeated key is refused with its line.
    std::string dup = write_tsv("mk-dup", {{"k", "1"}, {"k", "2"}});
    EXPECT_NE(mkindex("--format lmdb --tsv " + dup + " " + temp_dir() + "/dup.mdb"), 0);
    EXPECT_FALSE(std::filesystem::exists(temp_dir() + "/dup.mdb"));
}

TEST_P(MkindexFormats, CdbFromTsvReadsBackThroughLibcdb) {
    auto rows = kRows;
    rows.emplace_back("alice", "second");  // cdb keeps repeated keys
    std::string tsv = write_tsv("mk-cdb", rows), out = temp_dir() + "/mk.cdb";
    ASSERT_EQ(mkindex("--format cdb --tsv " + tsv + " " + out), 0);
    ASSERT_EQ(setxattr(out.c_str(), "user.chase.fn", "cdb", 3, 0), 0);
    auto f = open_file(out);
    ASSERT_TRUE(f);
    auto s = make_session(GetParam());
    for (auto &[k, v] : kRows) {
        auto all = cdb_all_values(out, k);
        ASSERT_FALSE(all.empty()) << k;
        EXPECT_EQ(all[0], v);
        std::string got;
        ASSERT_TRUE(s->get(*f, k, &got).ok()) << k;
        EXPECT_EQ(got, v);
    }
    std::vector<chase::Record> r;
    ASSERT_TRUE(s->range(*f, "alice", "alice", 0, &r).ok());
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1].value, "second");
}

TEST_P(MkindexFormats, GeneratedKeysAreDecimalText) {
    std::string out = temp_dir() + "/gen.mdb";
    ASSERT_EQ(mkindex("--format lmdb --count 5000 --stride 3 " + out), 0);
    auto f = open_file(out);
    auto s = make_session(GetParam());
    std::string v;
    ASSERT_TRUE(s->get(*f, "4497", &v).ok());
    EXPECT_EQ(v, "4497");
    EXPECT_EQ(s->get(*f, "4498", &v).err, ENOENT);
}

INSTANTIATE_TEST_SUITE_P(Engines, MkindexFormats, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

}  // namespace
