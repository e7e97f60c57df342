#include "formats_leveldb.h"

#include <fcntl.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sst/sst_writers.h"

namespace bench_ldb {

namespace {

[[noreturn]] void die(const std::string &what, const std::string &why) {
    fprintf(stderr, "bench_formats: %s: %s\n", what.c_str(), why.c_str());
    exit(1);
}

}  // namespace

void make_table(const std::string &ldb, const std::string &db_dir, uint64_t n,
                const RecordFn &key_of, const RecordFn &value_of) {
    if (!std::filesystem::exists(ldb)) {
        std::vector<mkindex::TextRecord> recs(n);
        for (uint64_t i = 0; i < n; i++) recs[i] = {key_of(i), value_of(i), 0};
        std::string tmp = ldb + ".tmp";
        int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) die("open " + tmp, strerror(errno));
        mkindex::WriteSummary sum;
        mkindex::BuildError e =
            mkindex::write_leveldb_records(std::move(recs), {}, {fd, tmp}, nullptr, &sum);
        close(fd);
        if (!e.ok()) die("writing " + tmp, e.msg);
        std::filesystem::rename(tmp, ldb);
    }
    if (!std::filesystem::exists(db_dir + "/CURRENT")) {
        std::filesystem::remove_all(db_dir);
        leveldb::Options o;
        o.create_if_missing = true;
        leveldb::DB *db;
        leveldb::Status s = leveldb::DB::Open(o, db_dir, &db);
        if (!s.ok()) die("DB::Open " + db_dir, s.ToString());
        leveldb::WriteOptions w;
        for (uint64_t i = 0; i < n;) {
            leveldb::WriteBatch b;
            for (uint64_t end = std::min(n, i + 1000); i < end; i++) b.Put(key_of(i), value_of(i));
            s = db->Write(w, &b);
            if (!s.ok()) die("DB::Write", s.ToString());
        }
        db->CompactRange(nullptr, nullptr);
        delete db;
    }
}

Db::Db(const std::string &dir) {
    leveldb::Options o;
    leveldb::Status s = leveldb::DB::Open(o, dir, &db_);
    if (!s.ok()) die("DB::Open " + dir, s.ToString());
}

Db::~Db() {
    delete db_;
}

bool Db::get(const std::string &key, std::string *value) {
    return db_->Get(leveldb::ReadOptions(), key, value).ok();
}

}  // namespace bench_ldb
