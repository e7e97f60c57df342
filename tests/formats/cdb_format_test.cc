// cdb files written by the real tinycdb library, read by cdb_get on every
// engine; answers compared with cdb_find/cdb_findnext and with the cdb tool.
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "cdb_oracle.h"
#include "format.h"
#include "formats_fixture.h"

using namespace chase_test;

namespace {

chase::OpenOptions as_cdb() {
    chase::OpenOptions o;
    o.format = "cdb";
    return o;
}

struct Shape {
    const char *name;
    size_t n;
    size_t kmin, kmax, vmin, vmax;
    unsigned dup_every;  // every dup_every-th record repeats an earlier key (0 = never)
};

const Shape kShapes[] = {
    {"one", 1, 1, 1, 0, 0, 0},
    {"small", 500, 1, 8, 0, 32, 0},
    {"max_keys", 2000, 900, 1024, 0, 64, 0},
    {"mixed", 30000, 1, 300, 0, 500, 7},
    {"big_values", 1000, 1, 32, 2000, 40000, 0},
    {"million", 1000000, 4, 20, 0, 20, 0},
};

CdbRecords random_records(const Shape &sh, uint64_t seed) {
    std::mt19937_64 rng(seed);
    CdbRecords out;
    for (size_t i = 0; i < sh.n; i++) {
        std::string k = sh.dup_every && i && i % sh.dup_every == 0
                            ? out[rng() % out.size()].first
                            : random_bytes(rng, random_size(rng, sh.kmin, sh.kmax));
        out.emplace_back(k, random_bytes(rng, random_size(rng, sh.vmin, sh.vmax)));
    }
    return out;
}

std::string cdb_file(const std::string &name, const CdbRecords &r) {
    std::string path = temp_dir() + "/" + name + ".cdb";
    cdb_write(path, r);
    return path;
}

// Deterministic shape files are written once (by libcdb) into the build
// tree's test-data directory and shared by the test processes.
std::string shared_cdb_file(const std::string &name, const CdbRecords &r) {
    std::filesystem::create_directories(CHASE_TEST_DATA);
    std::string path = std::string(CHASE_TEST_DATA) + "/formats-" + name + ".cdb";
    if (!std::filesystem::exists(path)) cdb_write(path, r);  // cdb_write renames into place
    return path;
}

std::shared_ptr<chase::DataFile> open_cdb(const std::string &path) {
    std::shared_ptr<chase::DataFile> f;
    chase::Status st = chase::DataFile::open(path, as_cdb(), &f);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return f;
}

class CdbFormat : public testing::TestWithParam<chase::EngineKind> {};

TEST_P(CdbFormat, EveryKeyAndAbsentKeysMatchCdbFind) {
    for (const Shape &sh : kShapes) {
        SCOPED_TRACE(sh.name);
        CdbRecords recs = random_records(sh, 77 + sh.n);
        std::string path = shared_cdb_file(std::string("shape-") + sh.name, recs);
        auto f = open_cdb(path);
        ASSERT_TRUE(f);
        auto s = make_session(GetParam());
        std::vector<std::string> keys;
        size_t step = sh.n >= 1000000 ? 10 : 1;
        for (size_t i = 0; i < recs.size(); i += step) keys.push_back(recs[i].first);
        std::mt19937_64 rng(sh.n);
        std::set<std::string> present;
        for (auto &r : recs) present.insert(r.first);
        for (int i = 0; i < 2000; i++) {
            std::string k = random_bytes(rng, random_size(rng, 1, sh.kmax));
            if (!present.count(k)) keys.push_back(k);
        }
        auto expect = [&](const std::string &k) -> std::optional<std::string> {
            auto all = cdb_all_values(path, k);
            if (all.empty()) return std::nullopt;
            return all[0];
        };
        check_lookups(*s, *f, keys, expect, sh.name);
    }
}

// Every record of a key that was added several times, in insertion order:
// the range KEY..KEY.  Compared with cdb_findnext and `cdb -q -n N`.
TEST_P(CdbFormat, RepeatedKeysListEveryRecord) {
    CdbRecords recs;
    for (int i = 0; i < 150; i++) recs.emplace_back("dup", "v" + std::to_string(i));
    for (int i = 0; i < 300; i++) recs.emplace_back("k" + std::to_string(i), std::to_string(i));
    recs.emplace_back("pair", "first");
    recs.emplace_back("pair", std::string(5000, 'L'));  // larger than the scratch area
    std::string path = cdb_file("dups", recs);
    auto f = open_cdb(path);
    auto s = make_session(GetParam());
    for (const char *key : {"dup", "pair", "k7"}) {
        std::vector<chase::Record> out;
        chase::Status st = s->range(*f, key, key, 0, &out);
        ASSERT_TRUE(st.ok()) << st.to_string();
        std::vector<std::string> want = cdb_all_values(path, key);
        ASSERT_EQ(out.size(), want.size()) << key;
        for (size_t i = 0; i < want.size(); i++) {
            EXPECT_EQ(out[i].key, key);
            EXPECT_EQ(out[i].value, want[i]) << key << " record " << i;
            std::string tool;
            if (i < 3 || i + 1 == want.size()) {
                ASSERT_TRUE(cdb_tool_query(path, key, unsigned(i + 1), &tool));
                EXPECT_EQ(tool, want[i]) << "cdb -q -n " << i + 1;
            }
        }
    }
    std::vector<chase::Record> some;
    ASSERT_TRUE(s->range(*f, "dup", "dup", 70, &some).ok());
    EXPECT_EQ(some.size(), 70u);
    std::vector<chase::Record> none;
    EXPECT_TRUE(s->range(*f, "absent", "absent", 0, &none).ok());
    EXPECT_TRUE(none.empty());
    chase::Status st = s->range(*f, "a", "b", 0, &none);
    EXPECT_EQ(st.err, EOPNOTSUPP) << st.to_string();
    std::string v;
    ASSERT_TRUE(s->get(*f, "pair", &v).ok());
    EXPECT_EQ(v, "first");  // get is cdb_find: the first record
}

TEST_P(CdbFormat, AnswersMatchTheCdbTool) {
    CdbRecords recs;
    std::mt19937_64 rng(8);
    for (int i = 0; i < 2000; i++)
        recs.emplace_back("key-" + std::to_string(rng() % 100000),
                          "value " + std::to_string(i) + std::string(rng() % 3000, 'x'));
    std::string path = cdb_file("tool", recs);
    auto f = open_cdb(path);
    auto s = make_session(GetParam());
    // cdb -d lists every record; each key's first record is what get gives.
    FILE *p = popen(("cdb -d '" + path + "'").c_str(), "r");
    std::map<std::string, std::string> first;
    size_t listed = 0;
    for (;;) {
        unsigned kl, vl;
        if (fscanf(p, "+%u,%u:", &kl, &vl) != 2) break;
        std::string k(kl, '\0'), v(vl, '\0');
        ASSERT_EQ(fread(k.data(), 1, kl, p), kl);
        ASSERT_EQ(fgetc(p), '-');
        ASSERT_EQ(fgetc(p), '>');
        ASSERT_EQ(fread(v.data(), 1, vl, p), vl);
        ASSERT_EQ(fgetc(p), '\n');
        first.emplace(k, v);
        listed++;
    }
    pclose(p);
    EXPECT_EQ(listed, recs.size());
    std::vector<std::string> keys;
    for (auto &[k, v] : first) keys.push_back(k);
    check_lookups(
        *s, *f, keys, [&](const std::string &k) { return first.at(k); }, "cdb -d");
    for (size_t i = 0; i < 50; i++) {
        std::string tool, v;
        ASSERT_TRUE(cdb_tool_query(path, keys[i], 1, &tool));
        ASSERT_TRUE(s->get(*f, keys[i], &v).ok());
        EXPECT_EQ(v, tool);
    }
}

TEST_P(CdbFormat, TruncatedAndCorruptFilesGiveClearErrors) {
    CdbRecords recs = random_records({"c", 3000, 1, 20, 0, 200, 0}, 5);
    std::string path = cdb_file("corrupt", recs);
    uint64_t size = std::filesystem::file_size(path);
    // Truncated: the tables no longer tile the end of the file.
    for (uint64_t cut : {uint64_t(0), uint64_t(1000), uint64_t(2048), size / 2, size - 1}) {
        std::string t = temp_dir() + "/cut.cdb";
        std::filesystem::copy_file(path, t, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(t, cut);
        std::shared_ptr<chase::DataFile> f;
        chase::Status st = chase::DataFile::open(t, as_cdb(), &f);
        EXPECT_EQ(st.err, EUCLEAN) << cut << ": " << st.to_string();
        EXPECT_FALSE(st.msg.empty());
    }
    // Corrupt slots and record headers: right answers or errors.
    std::map<std::string, std::string> first;
    for (auto &r : recs) first.emplace(r.first, r.second);
    std::mt19937_64 rng(6);
    for (int round = 0; round < 30; round++) {
        std::string t = temp_dir() + "/bad.cdb";
        std::filesystem::copy_file(path, t, std::filesystem::copy_options::overwrite_existing);
        int fd = open(t.c_str(), O_WRONLY);
        for (int j = 0; j < 8; j++) {
            uint64_t off = 2048 + rng() % (size - 2048);
            uint8_t b = uint8_t(rng());
            pwrite(fd, &b, 1, off_t(off));
        }
        close(fd);
        auto f = open_cdb(t);
        ASSERT_TRUE(f);
        auto s = make_session(GetParam());
        for (size_t i = 0; i < recs.size(); i += 11) {
            std::string v;
            chase::Status st = s->get(*f, recs[i].first, &v);
            if (st.ok() && v != first[recs[i].first]) {
                // A flipped byte inside a value is not detectable (cdb has no
                // checksums); libcdb must then give the same bytes.
                auto lib = cdb_all_values(t, recs[i].first);
                ASSERT_FALSE(lib.empty());
                EXPECT_EQ(v, lib[0]);
            }
            if (!st.ok()) {
                EXPECT_FALSE(st.msg.empty());
            }
            if (!st.ok() && st.err != ENOENT) {
                EXPECT_TRUE(st.err == EUCLEAN || st.err == ERANGE || st.err == ELOOP)
                    << st.to_string();
            }
        }
    }
}

TEST(CdbFormatOpen, AttachedByAttributeAndDetected) {
    std::string path = cdb_file("attr", {{"a", "1"}});
    std::shared_ptr<chase::DataFile> f;
    chase::Status st = chase::DataFile::open(path, {}, &f);
    EXPECT_EQ(st.err, EMEDIUMTYPE) << "cdb has no magic number: " << st.to_string();
    ASSERT_EQ(setxattr(path.c_str(), "user.chase.fn", "cdb", 3, 0), 0) << strerror(errno);
    st = chase::DataFile::open(path, {}, &f);
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(f->format_name(), "cdb");
    int fd = open(path.c_str(), O_RDONLY);
    EXPECT_EQ(chase::detect_format(fd, std::filesystem::file_size(path)), "cdb");
    close(fd);
    std::string other = temp_dir() + "/notcdb.bin";
    FILE *o = fopen(other.c_str(), "wb");
    for (int i = 0; i < 5000; i++) fputc(i * 7, o);
    fclose(o);
    fd = open(other.c_str(), O_RDONLY);
    EXPECT_EQ(chase::detect_format(fd, 5000), "");
    close(fd);
}

INSTANTIATE_TEST_SUITE_P(Engines, CdbFormat, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

}  // namespace
