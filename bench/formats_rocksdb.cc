#include "formats_rocksdb.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>

namespace bench_sst {

namespace {

[[noreturn]] void die(const std::string &what, const rocksdb::Status &s) {
    fprintf(stderr, "bench_formats: %s: %s\n", what.c_str(), s.ToString().c_str());
    exit(1);
}

rocksdb::Options table_options(bool tikv) {
    rocksdb::Options o;
    rocksdb::BlockBasedTableOptions t;
    if (tikv) {
        t.block_size = 32 << 10;
        t.format_version = 2;
        t.checksum = rocksdb::kCRC32c;
        t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
        o.compression = rocksdb::kLZ4Compression;
    }
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    return o;
}

}  // namespace

void make_table(const std::string &sst, const std::string &db_dir, uint64_t n, bool tikv,
                const RecordFn &key_of, const RecordFn &value_of) {
    if (!std::filesystem::exists(sst)) {
        // SstFileWriter wants keys in order: sort the record numbers by key.
        std::vector<uint64_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::vector<std::string> keys(n);
        for (uint64_t i = 0; i < n; i++) keys[i] = key_of(i);
        std::sort(order.begin(), order.end(),
                  [&](uint64_t a, uint64_t b) { return keys[a] < keys[b]; });
        rocksdb::Options o = table_options(tikv);
        rocksdb::SstFileWriter w(rocksdb::EnvOptions(), o);
        std::string tmp = sst + ".tmp";
        rocksdb::Status s = w.Open(tmp);
        if (!s.ok()) die("SstFileWriter::Open " + tmp, s);
        for (uint64_t i : order) {
            s = w.Put(keys[i], value_of(i));
            if (!s.ok()) die("SstFileWriter::Put", s);
        }
        s = w.Finish();
        if (!s.ok()) die("SstFileWriter::Finish", s);
        std::filesystem::rename(tmp, sst);
    }
    if (!std::filesystem::exists(db_dir + "/CURRENT")) {
        std::filesystem::remove_all(db_dir);
        rocksdb::Options o = table_options(tikv);
        o.create_if_missing = true;
        rocksdb::DB *db;
        rocksdb::Status s = rocksdb::DB::Open(o, db_dir, &db);
        if (!s.ok()) die("DB::Open " + db_dir, s);
        rocksdb::IngestExternalFileOptions io;
        io.move_files = true;  // a hard link: the same table, not a copy
        std::string link = sst + ".ingest";
        std::filesystem::remove(link);
        std::filesystem::create_hard_link(sst, link);
        s = db->IngestExternalFile({link}, io);
        if (!s.ok()) die("IngestExternalFile " + sst, s);
        delete db;
    }
}

Db::Db(const std::string &dir, uint64_t block_cache_bytes) {
    rocksdb::Options o;
    rocksdb::BlockBasedTableOptions t;
    if (block_cache_bytes) {
        cache_ = rocksdb::NewLRUCache(block_cache_bytes);
        t.block_cache = cache_;
    }
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    rocksdb::Status s = rocksdb::DB::OpenForReadOnly(o, dir, &db_);
    if (!s.ok()) die("DB::OpenForReadOnly " + dir, s);
}

Db::~Db() {
    delete db_;
}

bool Db::get(const std::string &key, std::string *value) {
    return db_->Get(rocksdb::ReadOptions(), key, value).ok();
}

void Db::multi_get(const std::vector<std::string> &keys, std::vector<std::string> *values,
                   std::vector<bool> *ok) {
    std::vector<rocksdb::Slice> ks(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> vs(keys.size());
    std::vector<rocksdb::Status> st(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), keys.size(), ks.data(),
                  vs.data(), st.data());
    values->resize(keys.size());
    ok->resize(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        (*ok)[i] = st[i].ok();
        (*values)[i].assign(vs[i].data(), vs[i].size());
    }
}

}  // namespace bench_sst
