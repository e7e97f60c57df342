#include "sst_oracle.h"

#include <fcntl.h>
#include <leveldb/comparator.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char **environ;

namespace sst_test {

namespace {

[[noreturn]] void fail(const std::string &msg) {
    throw std::runtime_error(msg);
}

uint64_t fixed64(const char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | uint8_t(p[i]);
    return v;
}

uint32_t fixed32(const char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | uint8_t(p[i]);
    return v;
}

std::string fixed64_bytes(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; i++) s[i] = char(v >> (8 * i));
    return s;
}

constexpr uint64_t kMaxSequence = (uint64_t(1) << 56) - 1;

// An internal key split into user key, sequence and type.
Entry split_internal(std::string_view ikey, std::string_view value, const std::string &where) {
    if (ikey.size() < 8)
        fail(where + ": internal key of " + std::to_string(ikey.size()) + " bytes");
    uint64_t tag = fixed64(ikey.data() + ikey.size() - 8);
    return Entry{std::string(ikey.substr(0, ikey.size() - 8)), tag >> 8, int(tag & 0xff),
                 std::string(value)};
}

}  // namespace

std::string hex(std::string_view s) {
    static const char *d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s.substr(0, 48)) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return s.size() > 48 ? out + "...(" + std::to_string(s.size()) + " bytes)" : out;
}

std::vector<KeyValue> live_pairs(const std::vector<Entry> &entries) {
    std::vector<KeyValue> out;
    for (size_t i = 0; i < entries.size(); i++) {
        const Entry &e = entries[i];
        if (i && entries[i - 1].key == e.key) continue;  // an older version
        if (e.type == kValue)
            out.emplace_back(e.key, e.value);
        else if (e.type != kDeletion && e.type != kSingleDeletion)
            fail("key " + hex(e.key) + " has an entry of type " + std::to_string(e.type) +
                 ", which a Get cannot answer alone");
    }
    return out;
}

// ---- RocksDB ----

struct RocksdbOracle::Rep {
    rocksdb::Options options;
    std::unique_ptr<rocksdb::SstFileReader> reader;
    std::unique_ptr<rocksdb::Iterator> it;
    std::string path;

    void check(const rocksdb::Status &s, const std::string &what) {
        if (!s.ok()) fail(path + ": " + what + ": " + s.ToString());
    }
};

RocksdbOracle::RocksdbOracle(const std::string &path) : rep_(std::make_unique<Rep>()) {
    rep_->path = path;
    rep_->reader = std::make_unique<rocksdb::SstFileReader>(rep_->options);
    rep_->check(rep_->reader->Open(path), "SstFileReader::Open");
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    rep_->it.reset(rep_->reader->NewIterator(ro));
}

RocksdbOracle::~RocksdbOracle() = default;

std::optional<std::string> RocksdbOracle::get(std::string_view key) {
    rocksdb::Iterator &it = *rep_->it;
    it.Seek(rocksdb::Slice(key.data(), key.size()));
    if (!it.Valid()) {
        rep_->check(it.status(), "Seek " + hex(key));
        return std::nullopt;
    }
    if (it.key() != rocksdb::Slice(key.data(), key.size())) return std::nullopt;
    return it.value().ToString();
}

std::vector<KeyValue> RocksdbOracle::range(std::string_view lo,
                                           std::optional<std::string_view> hi) {
    std::vector<KeyValue> out;
    rocksdb::Iterator &it = *rep_->it;
    for (it.Seek(rocksdb::Slice(lo.data(), lo.size())); it.Valid(); it.Next()) {
        if (hi && it.key().compare(rocksdb::Slice(hi->data(), hi->size())) > 0) break;
        out.emplace_back(it.key().ToString(), it.value().ToString());
    }
    rep_->check(it.status(), "iterating");
    return out;
}

std::string RocksdbOracle::verify_checksums() {
    rocksdb::Status s = rep_->reader->VerifyChecksum();
    return s.ok() ? "" : s.ToString();
}

RocksdbProperties RocksdbOracle::properties() const {
    auto p = rep_->reader->GetTableProperties();
    RocksdbProperties r;
    r.entries = p->num_entries;
    r.deletions = p->num_deletions;
    r.merge_operands = p->num_merge_operands;
    r.range_deletions = p->num_range_deletions;
    r.data_blocks = p->num_data_blocks;
    r.index_size = p->index_size;
    r.filter_size = p->filter_size;
    r.compression = p->compression_name;
    r.filter_policy = p->filter_policy_name;
    r.comparator = p->comparator_name;
    r.merge_operator = p->merge_operator_name;
    r.prefix_extractor = p->prefix_extractor_name;
    for (const auto &[k, v] : p->user_collected_properties) r.user[k] = v;
    return r;
}

std::optional<std::string> rocksdb_get(const std::string &path, std::string_view key) {
    return RocksdbOracle(path).get(key);
}

// ---- LevelDB ----

namespace {

// LevelDB's order of internal keys: user keys bytewise, then the 8-byte tag
// (sequence << 8 | type) descending, so the newest entry of a key comes
// first.  Only Compare matters for reading; the shortening hooks are for
// writers and may leave keys as they are.
class InternalOrder : public leveldb::Comparator {
   public:
    const char *Name() const override { return "leveldb.InternalKeyComparator"; }
    int Compare(const leveldb::Slice &a, const leveldb::Slice &b) const override {
        leveldb::Slice ua(a.data(), a.size() - 8), ub(b.data(), b.size() - 8);
        if (int c = ua.compare(ub)) return c;
        uint64_t ta = fixed64(a.data() + a.size() - 8), tb = fixed64(b.data() + b.size() - 8);
        return ta > tb ? -1 : ta < tb ? 1 : 0;
    }
    void FindShortestSeparator(std::string *, const leveldb::Slice &) const override {}
    void FindShortSuccessor(std::string *) const override {}
};

}  // namespace

struct LeveldbOracle::Rep {
    InternalOrder order;
    leveldb::Options options;
    std::unique_ptr<leveldb::RandomAccessFile> file;
    std::unique_ptr<leveldb::Table> table;
    std::string path;

    std::unique_ptr<leveldb::Iterator> iterator() {
        leveldb::ReadOptions ro;
        ro.verify_checksums = true;
        ro.fill_cache = false;
        return std::unique_ptr<leveldb::Iterator>(table->NewIterator(ro));
    }
    void check(const leveldb::Status &s, const std::string &what) {
        if (!s.ok()) fail(path + ": " + what + ": " + s.ToString());
    }
};

LeveldbOracle::LeveldbOracle(const std::string &path) : rep_(std::make_unique<Rep>()) {
    rep_->path = path;
    rep_->options.comparator = &rep_->order;
    rep_->options.paranoid_checks = true;
    leveldb::Env *env = leveldb::Env::Default();
    uint64_t size = 0;
    rep_->check(env->GetFileSize(path, &size), "size");
    leveldb::RandomAccessFile *f = nullptr;
    rep_->check(env->NewRandomAccessFile(path, &f), "open");
    rep_->file.reset(f);
    leveldb::Table *t = nullptr;
    rep_->check(leveldb::Table::Open(rep_->options, f, size, &t), "Table::Open");
    rep_->table.reset(t);
}

LeveldbOracle::~LeveldbOracle() = default;

std::optional<std::string> LeveldbOracle::get(std::string_view key) {
    auto it = rep_->iterator();
    // The newest possible entry of key sorts before every real one.
    std::string target = std::string(key) + fixed64_bytes((kMaxSequence << 8) | kValue);
    it->Seek(target);
    if (!it->Valid()) {
        rep_->check(it->status(), "Seek " + hex(key));
        return std::nullopt;
    }
    Entry e = split_internal(std::string_view(it->key().data(), it->key().size()),
                             std::string_view(it->value().data(), it->value().size()), rep_->path);
    if (e.key != key) return std::nullopt;
    if (e.type == kValue) return e.value;
    if (e.type == kDeletion) return std::nullopt;
    fail(rep_->path + ": key " + hex(key) + " has type " + std::to_string(e.type) +
         ", which LevelDB does not have");
}

std::vector<Entry> LeveldbOracle::entries() {
    std::vector<Entry> out;
    auto it = rep_->iterator();
    for (it->SeekToFirst(); it->Valid(); it->Next())
        out.push_back(split_internal(std::string_view(it->key().data(), it->key().size()),
                                     std::string_view(it->value().data(), it->value().size()),
                                     rep_->path));
    rep_->check(it->status(), "iterating");
    return out;
}

std::optional<std::string> leveldb_get(const std::string &path, std::string_view key) {
    return LeveldbOracle(path).get(key);
}

// ---- sst_dump ----

namespace {

struct Output {
    int status = -1;
    std::string out, err;
};

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs argv with stdout and stderr in files of a scratch directory (the
// output of a big table is tens of MB; files keep it simple and deadlock
// free).
Output run(const std::vector<std::string> &args, const std::string &scratch) {
    std::string out = scratch + "/stdout", err = scratch + "/stderr";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char *> argv;
    for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) fail("cannot run " + args[0] + ": " + strerror(rc));
    int st = 0;
    waitpid(pid, &st, 0);
    Output o;
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.out = slurp(out);
    o.err = slurp(err);
    return o;
}

// A scratch directory holding NAME.sst -> path, so that sst_dump looks at
// any table; removed when done.
class DumpDir {
   public:
    explicit DumpDir(const std::string &path) {
        const char *base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sst-dump-XXXXXX";
        if (!mkdtemp(tmpl.data())) fail("mkdtemp: " + std::string(strerror(errno)));
        dir_ = tmpl;
        table_ = dir_ + "/table.sst";
        std::filesystem::create_symlink(std::filesystem::absolute(path), table_);
    }
    ~DumpDir() { std::filesystem::remove_all(dir_); }
    const std::string &dir() const { return dir_; }
    const std::string &table() const { return table_; }

   private:
    std::string dir_, table_;
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool unhex(std::string_view h, std::string *out) {
    if (h.size() % 2) return false;
    out->clear();
    for (size_t i = 0; i < h.size(); i += 2) {
        int a = hex_digit(h[i]), b = hex_digit(h[i + 1]);
        if (a < 0 || b < 0) return false;
        out->push_back(char(a * 16 + b));
    }
    return true;
}

// One line of `--command=scan --output_hex`: 'KEYHEX' seq:N, type:T => VALHEX
bool parse_scan_line(std::string_view l, Entry *e) {
    if (l.size() < 2 || l[0] != '\'') return false;
    size_t q = l.find('\'', 1);
    if (q == std::string_view::npos || !unhex(l.substr(1, q - 1), &e->key)) return false;
    std::string_view rest = l.substr(q + 1);
    constexpr std::string_view kSeq = " seq:", kType = ", type:", kArrow = " => ";
    if (rest.substr(0, kSeq.size()) != kSeq) return false;
    rest.remove_prefix(kSeq.size());
    size_t t = rest.find(kType);
    if (t == std::string_view::npos) return false;
    e->seq = std::stoull(std::string(rest.substr(0, t)));
    rest.remove_prefix(t + kType.size());
    size_t a = rest.find(kArrow);
    if (a == std::string_view::npos) {
        // An empty value may leave no space after "=>".
        a = rest.find(" =>");
        if (a == std::string_view::npos || a + 3 != rest.size()) return false;
        e->type = std::stoi(std::string(rest.substr(0, a)));
        e->value.clear();
        return true;
    }
    e->type = std::stoi(std::string(rest.substr(0, a)));
    return unhex(rest.substr(a + kArrow.size()), &e->value);
}

}  // namespace

std::vector<Entry> sst_dump_entries(const std::string &path) {
    DumpDir d(path);
    Output o =
        run({SST_DUMP_BIN, "--file=" + d.table(), "--command=scan", "--output_hex"}, d.dir());
    if (o.status != 0 || !o.err.empty())
        fail("sst_dump on " + path + ": exit " + std::to_string(o.status) + ": " + o.err + o.out);
    std::vector<Entry> out;
    std::istringstream lines(o.out);
    std::string l;
    while (std::getline(lines, l)) {
        Entry e;
        if (parse_scan_line(l, &e)) {
            out.push_back(std::move(e));
            continue;
        }
        // The lines sst_dump prints around the entries.
        if (l.starts_with("options.env is") || l.starts_with("Process ") ||
            l.starts_with("Sst file format:") || l.starts_with("from [") ||
            l == "Not able to read table properties")
            continue;
        fail("sst_dump on " + path + " printed an unexpected line: " + l.substr(0, 200));
    }
    return out;
}

std::string sst_dump_verify(const std::string &path) {
    DumpDir d(path);
    Output o =
        run({SST_DUMP_BIN, "--file=" + d.table(), "--command=check", "--verify_checksum"}, d.dir());
    // sst_dump 7.8 exits 0 even when a checksum fails; the error is on stderr.
    if (o.status != 0) return "exit " + std::to_string(o.status) + ": " + o.err;
    return o.err;
}

// ---- footer ----

Footer read_footer(const std::string &path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) fail("cannot open " + path);
    std::streamoff size = f.tellg();
    if (size < 48) fail(path + ": " + std::to_string(size) + " bytes, shorter than a footer");
    char tail[53] = {};
    std::streamoff n = std::min<std::streamoff>(size, 53);
    f.seekg(size - n);
    f.read(tail + 53 - n, n);
    uint64_t magic = fixed64(tail + 45);
    Footer ft;
    if (magic == 0xdb4775248b80fb57ull) {
        ft.legacy = true;
    } else if (magic == 0x88e241b785f4cff7ull) {
        if (n < 53) fail(path + ": too short for a 53-byte footer");
        ft.format_version = fixed32(tail + 41);
        ft.checksum = uint8_t(tail[0]);
    } else {
        fail(path + ": no block-based table magic at the end (" + hex(std::string(tail + 45, 8)) +
             ")");
    }
    return ft;
}

}  // namespace sst_test
