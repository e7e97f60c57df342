// LMDB files written by the real liblmdb, read by lmdb_get on every engine;
// every answer is compared with mdb_get on the same file (and with
// mdb_dump's listing).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "formats_fixture.h"
#include "lmdb_oracle.h"

using namespace chase_test;

namespace {

struct Shape {
    const char *name;
    size_t n;           // records
    size_t kmin, kmax;  // key sizes
    size_t vmin, vmax;  // value sizes
};

// Key sizes from 1 byte to LMDB's maximum (511), values from empty to
// several pages (overflow runs), 1 to 10^6 records.
const Shape kShapes[] = {
    {"one", 1, 1, 1, 0, 0},
    {"tiny_keys", 200, 1, 2, 0, 16},
    {"max_keys", 3000, 400, 511, 0, 64},
    {"mixed", 20000, 1, 511, 0, 300},
    {"big_values", 2000, 1, 64, 1000, 20000},
    {"inline_edge", 3000, 1, 16, 1990, 2100},
    {"million", 1000000, 4, 24, 0, 40},
};

KV random_records(const Shape &sh, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::set<std::string> seen;
    KV kv;
    while (kv.size() < sh.n) {
        std::string k = random_bytes(rng, random_size(rng, sh.kmin, sh.kmax));
        if (!seen.insert(k).second) continue;
        kv.emplace_back(k, random_bytes(rng, random_size(rng, sh.vmin, sh.vmax)));
    }
    return kv;
}

// Keys that are not in the file: random ones, and neighbours of real keys
// (one byte longer, one byte shorter, last byte changed).
std::vector<std::string> absent_keys(const KV &kv, size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::set<std::string> present;
    for (auto &r : kv) present.insert(r.first);
    std::vector<std::string> out;
    for (size_t i = 0; out.size() < n && i < 8 * n; i++) {
        std::string k;
        const std::string &base = kv[rng() % kv.size()].first;
        switch (i % 4) {
            case 0:
                k = random_bytes(rng, random_size(rng, 1, 511));
                break;
            case 1:
                k = base.size() < 511 ? base + char(rng()) : base.substr(1);
                break;
            case 2:
                k = base.size() > 1 ? base.substr(0, base.size() - 1) : base + "x";
                break;
            case 3:
                k = base;
                k.back() = char(k.back() + 1 + rng() % 255);
                break;
        }
        if (!k.empty() && !present.count(k)) out.push_back(k);
    }
    return out;
}

std::string lmdb_file(const std::string &name, const KV &kv, const LmdbWriteOptions &o = {}) {
    std::string path = temp_dir() + "/" + name + ".mdb";
    lmdb_write(path, kv, o);
    return path;
}

// The shape files are deterministic, so they are written once (by liblmdb)
// into the build tree's test-data directory and shared by the test
// processes (CTest runs each test alone); renamed into place when complete.
std::string shared_lmdb_file(const std::string &name, const KV &kv) {
    std::filesystem::create_directories(CHASE_TEST_DATA);
    std::string path = std::string(CHASE_TEST_DATA) + "/formats-" + name + ".mdb";
    if (!std::filesystem::exists(path)) {
        std::string tmp = path + ".tmp-" + std::to_string(getpid());
        lmdb_write(tmp, kv);
        unlink((tmp + "-lock").c_str());
        std::filesystem::rename(tmp, path);
    }
    return path;
}

class LmdbFormat : public testing::TestWithParam<chase::EngineKind> {};

TEST_P(LmdbFormat, EveryKeyAndAbsentKeysMatchMdbGet) {
    for (const Shape &sh : kShapes) {
        SCOPED_TRACE(sh.name);
        KV kv = random_records(sh, 1000 + sh.n);
        std::string path = shared_lmdb_file(std::string("shape-") + sh.name, kv);
        auto f = open_file(path);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->format_name(), "lmdb");
        auto s = make_session(GetParam());
        ASSERT_TRUE(s);
        LmdbOracle oracle(path);
        std::vector<std::string> keys;
        // Every key; the million-record file: every 10th on the slower
        // engines keeps the suite within its time budget.
        size_t step = sh.n >= 1000000 ? 10 : 1;
        for (size_t i = 0; i < kv.size(); i += step) keys.push_back(kv[i].first);
        check_lookups(
            *s, *f, keys, [&](const std::string &k) { return oracle.get(k); }, "present keys");
        check_lookups(
            *s, *f, absent_keys(kv, std::min<size_t>(2000, 2 * kv.size() + 4), 7),
            [&](const std::string &k) { return oracle.get(k); }, "absent keys");
    }
}

TEST_P(LmdbFormat, AnswersMatchMdbDumpListing) {
    KV kv = random_records({"dump", 5000, 1, 100, 0, 5000}, 42);
    std::string path = lmdb_file("dump", kv);
    KV dumped = mdb_dump_records(path);
    ASSERT_EQ(dumped.size(), kv.size());
    auto f = open_file(path);
    auto s = make_session(GetParam());
    std::map<std::string, std::string> listed(dumped.begin(), dumped.end());
    std::vector<std::string> keys;
    for (auto &r : dumped) keys.push_back(r.first);
    check_lookups(
        *s, *f, keys, [&](const std::string &k) { return listed.at(k); }, "mdb_dump");
}

// Ordered scans against liblmdb's own cursor: the whole database, random
// bounds (real keys, absent keys, open ends) and limits.
TEST_P(LmdbFormat, RangesMatchTheMdbCursor) {
    for (const Shape &sh : {kShapes[1], kShapes[3], kShapes[4], kShapes[5]}) {
        SCOPED_TRACE(sh.name);
        KV kv = random_records(sh, 500 + sh.n);
        std::string path = lmdb_file(std::string("range-") + sh.name, kv);
        LmdbOracle oracle(path);
        KV all = oracle.all();
        auto f = open_file(path);
        auto s = make_session(GetParam());
        std::vector<chase::Record> got;
        chase::Status st = s->range(*f, "", "", 0, &got);
        ASSERT_TRUE(st.ok()) << st.to_string();
        ASSERT_EQ(got.size(), all.size());
        for (size_t i = 0; i < all.size(); i++) {
            ASSERT_EQ(got[i].key, all[i].first) << i;
            ASSERT_EQ(got[i].value, all[i].second) << i;
        }
        std::mt19937_64 rng(sh.n);
        for (int q = 0; q < (all.size() > 5000 ? 8 : 30); q++) {
            auto bound = [&]() -> std::string {
                switch (rng() % 4) {
                    case 0:
                        return "";
                    case 1:
                        return random_bytes(rng, random_size(rng, 1, 8));
                    default:
                        return all[rng() % all.size()].first;
                }
            };
            std::string lo = bound(), hi = bound();
            size_t limit = rng() % 3 ? 0 : rng() % 50 + 1;
            std::vector<chase::Record> r;
            st = s->range(*f, lo, hi, limit, &r);
            ASSERT_TRUE(st.ok()) << st.to_string();
            KV want;
            for (auto &e : all)
                if ((lo.empty() || e.first >= lo) && (hi.empty() || e.first <= hi) &&
                    (!limit || want.size() < limit))
                    want.push_back(e);
            ASSERT_EQ(r.size(), want.size()) << "lo " << hexed(lo) << " hi " << hexed(hi);
            for (size_t i = 0; i < want.size(); i++) {
                EXPECT_EQ(r[i].key, want[i].first);
                EXPECT_EQ(r[i].value, want[i].second);
            }
        }
    }
}

// A main database too large to walk at open (over 256 pages) that also
// holds named databases: NAME/KEY is resolved against it when the query is
// planned, and keys with slashes that are not NAME/... stay plain keys.
TEST_P(LmdbFormat, NamedDatabaseBesideALargeMainDatabase) {
    KV kv;
    for (int i = 0; i < 20000; i++)
        kv.emplace_back("main" + std::to_string(i), std::string(100, 'm'));
    kv.emplace_back("a/b", "a plain key with a slash");
    LmdbWriteOptions o;
    o.named["users"] = {{"alice", "1"}, {"bob", "2"}};
    std::string path = lmdb_file("largemain", kv, o);
    auto f = open_file(path);
    ASSERT_NE(f->geometry().find("named_databases=\n"), std::string::npos)
        << "the main database was small enough to walk: " << f->geometry();
    auto s = make_session(GetParam());
    std::string v;
    chase::Status st = s->get(*f, "users/alice", &v);
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(v, "1");
    EXPECT_EQ(s->get(*f, "users/carol", &v).err, ENOENT);
    st = s->get(*f, "a/b", &v);
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(v, "a plain key with a slash");
    EXPECT_EQ(s->get(*f, "main7/x", &v).err, ENOENT);  // main7 is a plain key
    EXPECT_EQ(s->get(*f, "users", &v).err, EISDIR);
    std::vector<chase::Record> r;
    st = s->range(*f, "users/", "users/", 0, &r);
    ASSERT_TRUE(st.ok()) << st.to_string();
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1].key, "users/bob");
}

TEST_P(LmdbFormat, NamedDatabasesAsNameSlashKey) {
    LmdbWriteOptions o;
    o.named["users"] = {{"alice", "1"}, {"bob", "2"}, {"x/y", "slash"}};
    o.named["big"] = {};
    for (int i = 0; i < 3000; i++)
        o.named["big"].emplace_back("k" + std::to_string(i), std::string(i % 50, 'v'));
    std::string path = lmdb_file("named", {}, o);
    auto f = open_file(path);
    auto s = make_session(GetParam());
    std::string v;
    ASSERT_TRUE(s->get(*f, "users/alice", &v).ok());
    EXPECT_EQ(v, "1");
    ASSERT_TRUE(s->get(*f, "users/x/y", &v).ok());
    EXPECT_EQ(v, "slash");
    EXPECT_EQ(s->get(*f, "users/carol", &v).err, ENOENT);
    LmdbOracle oracle(path);
    std::vector<std::string> keys;
    for (auto &r : o.named["big"]) keys.push_back("big/" + r.first);
    keys.push_back("big/nope");
    check_lookups(
        *s, *f, keys, [&](const std::string &k) { return oracle.get(k.substr(4), "big"); },
        "named");
    std::vector<chase::Record> r;
    ASSERT_TRUE(s->range(*f, "users/", "users/", 0, &r).ok());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].key, "users/alice");
    EXPECT_EQ(r[2].key, "users/x/y");
    EXPECT_EQ(r[2].value, "slash");
    r.clear();
    ASSERT_TRUE(s->range(*f, "big/k1", "big/k2", 0, &r).ok());
    KV bigall = oracle.all("big");
    size_t n = 0;
    for (auto &e : bigall) n += e.first >= "k1" && e.first <= "k2";
    EXPECT_EQ(r.size(), n);
    // The database's own record in the main database is not a value.
    chase::Status st = s->get(*f, "users", &v);
    EXPECT_EQ(st.err, EISDIR) << st.to_string();
    EXPECT_NE(st.msg.find("names a database"), std::string::npos) << st.msg;
    // A name that is not a database is an ordinary key of the main database.
    EXPECT_EQ(s->get(*f, "nobody/alice", &v).err, ENOENT);
}

// The chain can read the meta pages and walk every branch page itself (the
// adapter normally reads the meta pages and the upper branch levels through
// the page cache): same answers, and a meta page broken after the file was
// opened is reported by the chain.  (CTest also runs the LMDB tests in this
// mode on the native engine: formats.lmdb_whole_chain.)
TEST_P(LmdbFormat, ChainReadsTheMetaPagesItself) {
    const char *was = getenv("CHASE_LMDB_CHAIN_META");
    std::string saved = was ? was : "";
    setenv("CHASE_LMDB_CHAIN_META", "1", 1);
    KV kv = random_records({"chainmeta", 4000, 1, 200, 0, 3000}, 21);
    std::string path = lmdb_file("chainmeta", kv);
    auto f = open_file(path);
    if (was)
        setenv("CHASE_LMDB_CHAIN_META", saved.c_str(), 1);
    else
        unsetenv("CHASE_LMDB_CHAIN_META");
    auto s = make_session(GetParam());
    LmdbOracle oracle(path);
    std::vector<std::string> keys;
    for (auto &r : kv) keys.push_back(r.first);
    check_lookups(
        *s, *f, keys, [&](const std::string &k) { return oracle.get(k); }, "chain meta");
    std::vector<chase::Record> all;
    ASSERT_TRUE(s->range(*f, "", "", 0, &all).ok());
    EXPECT_EQ(all.size(), kv.size());
    int fd = open(path.c_str(), O_WRONLY);
    uint32_t junk = 0x12345678;
    pwrite(fd, &junk, 4, 4096 + 16);  // meta page 1's magic
    close(fd);
    std::string v;
    chase::Status st = s->get(*f, kv[0].first, &v);
    EXPECT_EQ(st.err, EUCLEAN) << st.to_string();
    EXPECT_NE(st.msg.find("magic"), std::string::npos) << st.msg;
}

TEST_P(LmdbFormat, DupsortIsRefusedWithReason) {
    LmdbWriteOptions o;
    o.flags = MDB_DUPSORT;
    std::string path = lmdb_file("dupsort", {{"a", "1"}, {"a", "2"}, {"b", "3"}}, o);
    auto f = open_file(path);
    auto s = make_session(GetParam());
    std::string v;
    chase::Status st = s->get(*f, "a", &v);
    EXPECT_EQ(st.err, EOPNOTSUPP) << st.to_string();
    EXPECT_NE(st.msg.find("MDB_DUPSORT"), std::string::npos) << st.msg;
}

TEST_P(LmdbFormat, KeyLengthLimits) {
    std::string path = lmdb_file("limits", {{std::string(511, 'k'), "max"}, {"a", ""}});
    auto f = open_file(path);
    auto s = make_session(GetParam());
    std::string v = "junk";
    ASSERT_TRUE(s->get(*f, std::string(511, 'k'), &v).ok());
    EXPECT_EQ(v, "max");
    ASSERT_TRUE(s->get(*f, "a", &v).ok());
    EXPECT_EQ(v, "");  // an empty value is a value
    chase::Status st = s->get(*f, std::string(512, 'k'), &v);
    EXPECT_EQ(st.err, ENAMETOOLONG) << st.to_string();
}

// Truncated files: opening refuses them, or every lookup either answers as
// the intact file does or fails with an errno and a sentence.
TEST_P(LmdbFormat, TruncatedFilesGiveClearErrors) {
    KV kv = random_records({"trunc", 3000, 1, 40, 0, 6000}, 9);
    std::string path = lmdb_file("trunc", kv);
    uint64_t size = std::filesystem::file_size(path);
    LmdbOracle oracle(path);
    std::vector<std::string> keys;
    for (size_t i = 0; i < kv.size(); i += 7) keys.push_back(kv[i].first);
    std::map<std::string, std::optional<std::string>> want;
    for (auto &k : keys) want[k] = oracle.get(k);
    for (uint64_t cut : {uint64_t(0), uint64_t(100), uint64_t(4096), uint64_t(8191), size / 2,
                         size - 4096, size - 1}) {
        SCOPED_TRACE(cut);
        std::string t = temp_dir() + "/trunc-cut.mdb";
        std::filesystem::copy_file(path, t, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(t, cut);
        std::shared_ptr<chase::DataFile> f;
        chase::OpenOptions as_lmdb;
        as_lmdb.format = "lmdb";
        chase::Status st = chase::DataFile::open(t, as_lmdb, &f);
        if (!st.ok()) {
            EXPECT_FALSE(st.msg.empty());
            EXPECT_NE(st.err, 0);
            continue;
        }
        auto s = make_session(GetParam());
        size_t errors = 0;
        for (auto &k : keys) {
            std::string v;
            st = s->get(*f, k, &v);
            if (st.ok()) {
                EXPECT_TRUE(want[k] && *want[k] == v) << "wrong answer for " << hexed(k);
            } else if (st.err == ENOENT) {
                // ENOENT only where the real answer is ENOENT... or a page
                // of the lookup lay past the cut (then it must say so).
                EXPECT_TRUE(!want[k] || !st.msg.empty());
                EXPECT_FALSE(want[k]) << "key " << hexed(k) << " lost: " << st.to_string();
            } else {
                errors++;
                EXPECT_FALSE(st.msg.empty());
                EXPECT_TRUE(st.err == EUCLEAN || st.err == ERANGE) << st.to_string();
            }
        }
        if (cut < size - 4096) {
            EXPECT_GT(errors, 0u) << "a cut file must fail somewhere";
        }
    }
}

// Bytes of the tree's structure overwritten: page headers, the pointer
// arrays and node headers.  Answers are right or errors; never a crash,
// never a value the file did not hold for that key.
TEST_P(LmdbFormat, CorruptPagesGiveErrorsNotWrongAnswers) {
    KV kv = random_records({"corrupt", 4000, 4, 30, 0, 100}, 11);
    std::string path = lmdb_file("corrupt", kv);
    uint64_t pages = std::filesystem::file_size(path) / 4096;
    LmdbOracle oracle(path);
    std::map<std::string, std::string> truth(kv.begin(), kv.end());
    std::mt19937_64 rng(5);
    for (int round = 0; round < 40; round++) {
        std::string t = temp_dir() + "/corrupt-round.mdb";
        std::filesystem::copy_file(path, t, std::filesystem::copy_options::overwrite_existing);
        int fd = open(t.c_str(), O_WRONLY);
        for (int j = 0; j < 4; j++) {
            uint64_t page = 2 + rng() % (pages - 2);
            uint64_t off = page * 4096 + rng() % 24;  // header and first pointers
            uint8_t b = uint8_t(rng());
            pwrite(fd, &b, 1, off_t(off));
        }
        close(fd);
        std::shared_ptr<chase::DataFile> f;
        chase::Status st = chase::DataFile::open(t, {}, &f);
        ASSERT_TRUE(st.ok()) << st.to_string();  // meta pages are intact
        auto s = make_session(GetParam());
        for (size_t i = 0; i < kv.size(); i += 13) {
            std::string v;
            st = s->get(*f, kv[i].first, &v);
            if (st.ok()) {
                EXPECT_EQ(v, kv[i].second) << "round " << round;
            } else {
                EXPECT_FALSE(st.msg.empty());
            }
            if (!st.ok() && st.err != ENOENT) {
                EXPECT_TRUE(st.err == EUCLEAN || st.err == ERANGE || st.err == ELOOP)
                    << st.to_string();
            }
        }
    }
}

// Found by tests/fuzz/fuzz_lmdb: a root page number no file can reach made
// the adapter's own reads (the named-database walk at open, the name probe
// of NAME/KEY) compute page * 4096 in off_t, which overflowed (undefined
// behaviour, reported by UBSan).  Such a file must give errors with reasons.
TEST_P(LmdbFormat, PageNumbersBeyondAnyFileGiveErrors) {
    // 0 branch pages: the names are walked at open; 1000: too many for
    // that, so NAME/KEY probes the root page instead.
    for (uint64_t branch_pages : {0, 1000}) {
        SCOPED_TRACE(branch_pages);
        std::string path = lmdb_file("huge-root", {{"k", "v"}, {"users", "not a database"}});
        int fd = open(path.c_str(), O_WRONLY);
        ASSERT_GE(fd, 0);
        const off_t main_db = 40 + 48;  // LMDB_META_DBS + LMDB_MAIN_DBI * LMDB_DB_SIZE
        uint64_t root = 0x3030303030303030;
        for (off_t meta : {off_t(0), off_t(4096)}) {
            ASSERT_EQ(pwrite(fd, &root, 8, meta + main_db + 40), 8);  // LMDB_DB_ROOT
            ASSERT_EQ(pwrite(fd, &branch_pages, 8, meta + main_db + 8), 8);
        }
        close(fd);
        std::shared_ptr<chase::DataFile> f;
        chase::Status st = chase::DataFile::open(path, {}, &f);
        ASSERT_TRUE(st.ok()) << st.to_string();  // the meta pages themselves are sound
        auto s = make_session(GetParam());
        for (const char *key : {"k", "users/k"}) {
            std::string v;
            st = s->get(*f, key, &v);
            EXPECT_FALSE(st.ok()) << key << ": " << v;
            EXPECT_FALSE(st.msg.empty()) << key;
        }
        std::vector<chase::Record> recs;
        st = s->range(*f, "", "", 0, &recs);
        EXPECT_FALSE(st.ok());
        EXPECT_FALSE(st.msg.empty());
    }
}

// A writer commits while lookups run.  Every value written is "<key>:<n>"
// for a commit number n, so an answer is either one that some commit
// stored for that key, not older than the last commit that returned
// before the lookup began, or EAGAIN (the snapshot check saw two commits);
// never a mix of two snapshots, never another key's value.
// CHASE_LMDB_CHAIN_META=1 (ctest formats.lmdb_whole_chain): chains read
// the meta pages themselves, so no snapshot is known before a chain starts
// and none may use the block cache.
static bool chain_reads_meta() {
    const char *e = getenv("CHASE_LMDB_CHAIN_META");
    return e && *e == '1';
}

static void run_concurrent_writer(chase::EngineKind engine, uint64_t cache_bytes) {
    std::string path = temp_dir() + "/live.mdb";
    KV kv;
    for (int i = 0; i < 5000; i++)
        kv.emplace_back("key" + std::to_string(i), "key" + std::to_string(i) + ":0");
    // Pad the file first so that later commits reuse freed pages instead of
    // growing it (a DataFile knows the size it was opened with).
    LmdbWriteOptions o;
    o.named["pad"] = {};
    for (int i = 0; i < 20000; i++)
        o.named["pad"].emplace_back(std::to_string(i), std::string(100, 'p'));
    lmdb_write(path, kv, o);
    {
        // Drop the padding, then commit twice more so that its pages are
        // free for the writer below (liblmdb reuses a page two commits
        // after the one that freed it).
        MDB_env *env;
        mdb_env_create(&env);
        mdb_env_set_maxdbs(env, 4);
        mdb_env_set_mapsize(env, size_t(1) << 30);
        ASSERT_EQ(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0644), 0);
        for (int round = 0; round < 3; round++) {
            MDB_txn *txn;
            MDB_dbi dbi;
            mdb_txn_begin(env, nullptr, 0, &txn);
            if (round == 0) {
                mdb_dbi_open(txn, "pad", 0, &dbi);
                mdb_drop(txn, dbi, 1);
            } else {
                mdb_dbi_open(txn, nullptr, 0, &dbi);
                MDB_val K{4, const_cast<char *>("key0")}, V{6, const_cast<char *>("key0:0")};
                mdb_put(txn, dbi, &K, &V, 0);
            }
            mdb_txn_commit(txn);
        }
        mdb_env_close(env);
    }
    std::shared_ptr<chase::DataFile> f;
    chase::OpenOptions oo;
    oo.cache_bytes = cache_bytes;
    chase::Status opened = chase::DataFile::open(path, oo, &f);
    ASSERT_TRUE(opened.ok()) << opened.to_string();
    auto s = make_session(engine);
    std::string warm;
    ASSERT_TRUE(s->get(*f, "key1", &warm).ok());  // programs loaded before the writer starts
    std::atomic<bool> stop{false};
    std::atomic<int> commits{0};
    // Per key, the commit number of the newest value whose commit returned:
    // a lookup that starts later must not answer an older one.
    std::vector<std::atomic<int>> committed(5000);
    std::thread writer([&] {
        MDB_env *env;
        mdb_env_create(&env);
        mdb_env_set_maxdbs(env, 4);
        mdb_env_set_mapsize(env, size_t(1) << 30);
        mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOSYNC, 0644);
        std::mt19937_64 rng(3);
        for (int n = 1; !stop; n++) {
            MDB_txn *txn;
            MDB_dbi dbi;
            mdb_txn_begin(env, nullptr, 0, &txn);
            mdb_dbi_open(txn, nullptr, 0, &dbi);
            std::vector<unsigned> put;
            for (int j = 0; j < 200; j++) {
                unsigned i = unsigned(rng() % 5000);
                std::string k = "key" + std::to_string(i);
                std::string v = k + ":" + std::to_string(n) + std::string(rng() % 40, '.');
                MDB_val K{k.size(), k.data()}, V{v.size(), v.data()};
                mdb_put(txn, dbi, &K, &V, 0);
                put.push_back(i);
            }
            mdb_txn_commit(txn);
            for (unsigned i : put) committed[i] = n;
            commits++;
        }
        mdb_env_close(env);
    });
    std::mt19937_64 rng(4);
    int ok = 0, again = 0, bad = 0;
    while ((commits < 100 || ok + again < 2000) && bad < 5) {
        unsigned i = unsigned(rng() % 5000);
        std::string k = "key" + std::to_string(i), v;
        int floor = committed[i].load();
        chase::Status st = s->get(*f, k, &v);
        if (st.err == EAGAIN) {
            again++;
            continue;
        }
        // "<key>:<commit number>" and then only dots.
        bool good = st.ok() && v.compare(0, k.size() + 1, k + ":") == 0;
        if (good) {
            std::string rest = v.substr(k.size() + 1);
            size_t digits = rest.find_first_not_of("0123456789");
            if (digits == std::string::npos) digits = rest.size();
            good = digits > 0 && rest.find_first_not_of('.', digits) == std::string::npos &&
                   std::stoi(rest.substr(0, digits)) >= floor;
        }
        if (!good) {
            bad++;
            ADD_FAILURE() << k << " -> " << (st.ok() ? v : st.to_string()) << " (commit " << floor
                          << " of it had returned before the lookup)";
        }
        ok += good;
    }
    stop = true;
    writer.join();
    EXPECT_GT(ok, 0);
    EXPECT_GE(commits.load(), 100);
    fprintf(stderr, "concurrent writer: %d commits, %d answers, %d EAGAIN, %llu cache hits\n",
            commits.load(), ok, again, (unsigned long long)f->stats().cache_hits);
    if (cache_bytes && !chain_reads_meta()) {
        EXPECT_GT(f->stats().cache_hits, 0u) << "the block cache was never used";
    }
}

TEST_P(LmdbFormat, ConcurrentWriterGivesOldOrNewAnswers) {
    run_concurrent_writer(GetParam(), 0);
}

// The same with the block cache on: a page cached under one snapshot is
// never served to a chain of another (block_cache.h).
TEST_P(LmdbFormat, ConcurrentWriterWithBlockCacheGivesOldOrNewAnswers) {
    run_concurrent_writer(GetParam(), 4 << 20);
}

// Every key twice through a small block cache: answers match liblmdb, and
// the second pass is served partly from memory.
TEST_P(LmdbFormat, BlockCacheAnswersMatchMdbGet) {
    KV kv = random_records({"cached", 20000, 1, 64, 0, 3000}, 77);
    std::string path = lmdb_file("cached", kv);
    std::shared_ptr<chase::DataFile> f;
    chase::OpenOptions oo;
    oo.cache_bytes = 1 << 20;  // 256 pages, smaller than the file: CLOCK evicts
    ASSERT_TRUE(chase::DataFile::open(path, oo, &f).ok());
    auto s = make_session(GetParam());
    LmdbOracle oracle(path);
    std::vector<std::string> keys;
    for (const auto &[k, v] : kv) keys.push_back(k);
    for (int pass = 0; pass < 2; pass++)
        check_lookups(
            *s, *f, keys, [&](const std::string &k) { return oracle.get(k); }, "cached keys");
    if (!chain_reads_meta()) {
        EXPECT_GT(f->stats().cache_hits, 0u);
    }
    check_lookups(
        *s, *f, absent_keys(kv, 2000, 9), [&](const std::string &k) { return oracle.get(k); },
        "absent keys");
}

// A writer grows the file after chasefs opened it: the next lookups read
// the new snapshot, pages past the old end included, without a reopen.
TEST_P(LmdbFormat, FileGrownSinceOpenIsFollowed) {
    std::string path = temp_dir() + "/grow.mdb";
    KV kv;
    for (int i = 0; i < 1000; i++) kv.emplace_back("old" + std::to_string(i), "v");
    lmdb_write(path, kv);
    auto f = open_file(path);
    KV more;
    for (int i = 0; i < 20000; i++)
        more.emplace_back("new" + std::to_string(i), std::string(50, 'n'));
    {
        MDB_env *env;
        mdb_env_create(&env);
        mdb_env_set_mapsize(env, size_t(1) << 30);
        ASSERT_EQ(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0644), 0);
        MDB_txn *txn;
        MDB_dbi dbi;
        mdb_txn_begin(env, nullptr, 0, &txn);
        mdb_dbi_open(txn, nullptr, 0, &dbi);
        for (auto &[k, v] : more) {
            MDB_val K{k.size(), k.data()}, V{v.size(), v.data()};
            mdb_put(txn, dbi, &K, &V, 0);
        }
        mdb_txn_commit(txn);
        mdb_env_close(env);
    }
    ASSERT_GT(std::filesystem::file_size(path), f->size()) << "the writer did not grow the file";
    auto s = make_session(GetParam());
    LmdbOracle oracle(path);
    std::vector<std::string> keys;
    for (auto &r : more) keys.push_back(r.first);
    for (size_t i = 0; i < 1000; i += 7) keys.push_back(kv[i].first);
    check_lookups(
        *s, *f, keys, [&](const std::string &k) { return oracle.get(k); }, "grown file");
    std::vector<chase::Record> all;
    chase::Status st = s->range(*f, "", "", 0, &all);
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(all.size(), kv.size() + more.size());
}

TEST(LmdbFormatOpen, RecognisedByMagicAndRefusesOtherPageSizes) {
    std::string path = lmdb_file("magic", {{"k", "v"}});
    auto f = open_file(path);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->format_name(), "lmdb");
    EXPECT_NE(f->geometry().find("page_size=4096"), std::string::npos) << f->geometry();
    // The same file claiming 8 KiB pages.
    std::string t = temp_dir() + "/psize.mdb";
    std::filesystem::copy_file(path, t, std::filesystem::copy_options::overwrite_existing);
    int fd = open(t.c_str(), O_WRONLY);
    uint32_t ps = 8192;
    pwrite(fd, &ps, 4, 40);
    pwrite(fd, &ps, 4, 4096 + 40);
    close(fd);
    std::shared_ptr<chase::DataFile> g;
    chase::Status st = chase::DataFile::open(t, {}, &g);
    EXPECT_EQ(st.err, EOPNOTSUPP) << st.to_string();
    EXPECT_NE(st.msg.find("page size 8192"), std::string::npos) << st.msg;
}

INSTANTIATE_TEST_SUITE_P(Engines, LmdbFormat, testing::ValuesIn(engines_to_test()),
                         engine_param_name);

}  // namespace
