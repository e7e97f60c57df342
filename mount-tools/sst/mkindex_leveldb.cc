// chase-mkindex --format leveldb: one .ldb table as LevelDB's own DB writes
// it.  LevelDB 1.23 has no SstFileWriter; its public TableBuilder writes
// whatever keys it is given, so this file supplies what the DB would:
//
// - internal keys: the user key, then fixed64 little-endian of
//   (sequence << 8 | type), type 1 = a value.  Key i (in byte order) gets
//   sequence i + 1, as if the keys were Put one by one into an empty DB
//   and flushed; a table from a DB holds exactly that;
// - the DB's order of internal keys (user key ascending, then newest
//   first), including how it shortens index separators, which decides the
//   index block's bytes;
// - a filter that hashes the user key only, under the inner policy's name,
//   since the DB probes its filters with user keys.
#include <leveldb/comparator.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "sst/sst_writers.h"

namespace mkindex {

namespace {

constexpr uint64_t kMaxSequence = (uint64_t(1) << 56) - 1;
constexpr uint64_t kTypeValue = 1;
// What the DB appends to a shortened separator: the largest sequence with
// type "value", so the separator sorts before every real entry of its
// user key.
constexpr uint64_t kSeparatorTag = (kMaxSequence << 8) | kTypeValue;

void put_fixed64(std::string *dst, uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; i++) b[i] = char(v >> (8 * i));
    dst->append(b, 8);
}

uint64_t get_fixed64(const char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | uint8_t(p[i]);
    return v;
}

leveldb::Slice user_key(const leveldb::Slice &ikey) {
    return leveldb::Slice(ikey.data(), ikey.size() - 8);
}

class InternalKeyOrder : public leveldb::Comparator {
   public:
    // The DB's name, though no table records it: what a reader of LevelDB's
    // options files would expect.
    const char *Name() const override { return "leveldb.InternalKeyComparator"; }

    int Compare(const leveldb::Slice &a, const leveldb::Slice &b) const override {
        if (int c = user_->Compare(user_key(a), user_key(b))) return c;
        uint64_t ta = get_fixed64(a.data() + a.size() - 8);
        uint64_t tb = get_fixed64(b.data() + b.size() - 8);
        return ta > tb ? -1 : ta < tb ? 1 : 0;  // a larger tag is newer: first
    }

    void FindShortestSeparator(std::string *start, const leveldb::Slice &limit) const override {
        leveldb::Slice ustart = user_key(*start);
        std::string shorter(ustart.data(), ustart.size());
        user_->FindShortestSeparator(&shorter, user_key(limit));
        replace_if_shorter(start, ustart, std::move(shorter));
    }

    void FindShortSuccessor(std::string *key) const override {
        leveldb::Slice ukey = user_key(*key);
        std::string shorter(ukey.data(), ukey.size());
        user_->FindShortSuccessor(&shorter);
        replace_if_shorter(key, ukey, std::move(shorter));
    }

   private:
    // A shortened user key only replaces the internal key when it really is
    // shorter and still sorts after the original (the bytewise comparator
    // may leave it unchanged).
    void replace_if_shorter(std::string *ikey, leveldb::Slice old_user, std::string shorter) const {
        if (shorter.size() < old_user.size() && user_->Compare(old_user, shorter) < 0) {
            put_fixed64(&shorter, kSeparatorTag);
            *ikey = std::move(shorter);
        }
    }

    const leveldb::Comparator *user_ = leveldb::BytewiseComparator();
};

class UserKeyFilter : public leveldb::FilterPolicy {
   public:
    explicit UserKeyFilter(const leveldb::FilterPolicy *inner) : inner_(inner) {}
    const char *Name() const override { return inner_->Name(); }
    void CreateFilter(const leveldb::Slice *keys, int n, std::string *dst) const override {
        std::vector<leveldb::Slice> users(keys, keys + n);
        for (leveldb::Slice &k : users) k = user_key(k);
        inner_->CreateFilter(users.data(), n, dst);
    }
    bool KeyMayMatch(const leveldb::Slice &key, const leveldb::Slice &filter) const override {
        return inner_->KeyMayMatch(user_key(key), filter);
    }

   private:
    std::unique_ptr<const leveldb::FilterPolicy> inner_;
};

BuildError leveldb_error(const leveldb::Status &s, const std::string &what) {
    int err = s.IsInvalidArgument() ? EINVAL : EIO;
    // LevelDB's IOError text carries strerror; ENOSPC is worth keeping.
    if (s.IsIOError() && s.ToString().find(strerror(ENOSPC)) != std::string::npos) err = ENOSPC;
    return BuildError::make(err, "libleveldb " + what + ": " + s.ToString());
}

}  // namespace

BuildError check_leveldb_options(const TableOptions &t) {
    for (const char *rocksdb_only : {"--format-version", "--checksum"})
        if (t.was_given(rocksdb_only))
            return BuildError::make(EINVAL, std::string(rocksdb_only) +
                                                " applies to --format rocksdb only (LevelDB has "
                                                "one table format, with CRC32c checksums)");
    if (!t.compression.empty() && t.compression != "none" && t.compression != "snappy")
        return BuildError::make(EINVAL,
                                "--compression for leveldb is none|snappy (all LevelDB "
                                "1.23 has), not '" +
                                    t.compression + "'");
    return {};
}

BuildError write_leveldb_records(std::vector<TextRecord> recs, const TableOptions &t,
                                 const OutputTarget &out, Progress *progress,
                                 WriteSummary *summary) {
    if (BuildError e = sort_unique_bytewise(&recs, "a LevelDB table"); !e.ok()) return e;
    // The DB never writes a table without entries.
    if (recs.empty()) return BuildError::make(EINVAL, "no keys: LevelDB writes no empty table");
    InternalKeyOrder order;
    std::unique_ptr<UserKeyFilter> filter;
    leveldb::Options o;
    o.comparator = &order;
    o.block_size = t.block_size;
    o.block_restart_interval = int(t.restart_interval);
    o.compression = t.compression == "none" ? leveldb::kNoCompression : leveldb::kSnappyCompression;
    if (t.filter_bits) {
        filter = std::make_unique<UserKeyFilter>(leveldb::NewBloomFilterPolicy(int(t.filter_bits)));
        o.filter_policy = filter.get();
    }
    leveldb::WritableFile *raw = nullptr;
    if (leveldb::Status s = leveldb::Env::Default()->NewWritableFile(out.path, &raw); !s.ok())
        return leveldb_error(s, "opening the output");
    std::unique_ptr<leveldb::WritableFile> file(raw);
    leveldb::TableBuilder builder(o, file.get());
    if (progress) progress->start_phase("writing", recs.size());
    std::string ikey;
    for (size_t i = 0; i < recs.size(); i++) {
        ikey = recs[i].key;
        put_fixed64(&ikey, (uint64_t(i + 1) << 8) | kTypeValue);
        builder.Add(ikey, recs[i].value);
        if (progress) progress->update(i + 1);
    }
    leveldb::Status s = builder.Finish();
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) return leveldb_error(s, "writing the table");
    std::string shape = "sequences 1.." + std::to_string(recs.size()) + ", crc32c, " +
                        (t.compression.empty() ? std::string("snappy") : t.compression) +
                        ", blocks of " + std::to_string(t.block_size) + " bytes";
    if (t.filter_bits) shape += ", Bloom filter " + std::to_string(t.filter_bits) + " bits/key";
    *summary = WriteSummary{recs.size(), shape};
    return {};
}

}  // namespace mkindex
