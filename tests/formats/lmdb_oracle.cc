// liblmdb as writer and oracle (see lmdb_oracle.h).
#include "lmdb_oracle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace chase_test {

namespace {

void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "liblmdb %s: %s\n", what, mdb_strerror(rc));
        abort();
    }
}

MDB_val val(const std::string &s) {
    return MDB_val{s.size(), const_cast<char *>(s.data())};
}

void put_all(MDB_txn *txn, MDB_dbi dbi, const KV &records) {
    for (auto &[k, v] : records) {
        MDB_val key = val(k), data = val(v);
        check(mdb_put(txn, dbi, &key, &data, 0), "mdb_put");
    }
}

}  // namespace

void lmdb_write(const std::string &path, const KV &records, const LmdbWriteOptions &opt) {
    unlink(path.c_str());
    unlink((path + "-lock").c_str());
    MDB_env *env;
    check(mdb_env_create(&env), "mdb_env_create");
    check(mdb_env_set_mapsize(env, opt.map_size), "mdb_env_set_mapsize");
    check(mdb_env_set_maxdbs(env, 64), "mdb_env_set_maxdbs");
    check(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOSYNC, 0644), "mdb_env_open");
    MDB_txn *txn;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    MDB_dbi dbi;
    check(mdb_dbi_open(txn, nullptr, opt.flags, &dbi), "mdb_dbi_open");
    put_all(txn, dbi, records);
    for (auto &[name, kv] : opt.named) {
        MDB_dbi sub;
        check(mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &sub), "mdb_dbi_open(named)");
        put_all(txn, sub, kv);
    }
    check(mdb_txn_commit(txn), "mdb_txn_commit");
    check(mdb_env_sync(env, 1), "mdb_env_sync");
    mdb_env_close(env);
}

LmdbOracle::LmdbOracle(const std::string &path) {
    check(mdb_env_create(&env_), "mdb_env_create");
    check(mdb_env_set_maxdbs(env_, 64), "mdb_env_set_maxdbs");
    check(mdb_env_set_mapsize(env_, size_t(1) << 32), "mdb_env_set_mapsize");
    check(mdb_env_open(env_, path.c_str(), MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0644),
          "mdb_env_open");
}

LmdbOracle::~LmdbOracle() {
    mdb_env_close(env_);
}

std::optional<std::string> LmdbOracle::get(const std::string &key, const std::string &db) {
    MDB_txn *txn;
    MDB_dbi dbi;
    check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, db.empty() ? nullptr : db.c_str(), 0, &dbi), "mdb_dbi_open");
    MDB_val k = val(key), v;
    int rc = mdb_get(txn, dbi, &k, &v);
    std::optional<std::string> out;
    if (rc == 0)
        out = std::string(static_cast<const char *>(v.mv_data), v.mv_size);
    else if (rc != MDB_NOTFOUND)
        check(rc, "mdb_get");
    mdb_txn_abort(txn);
    return out;
}

KV LmdbOracle::all(const std::string &db) {
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, db.empty() ? nullptr : db.c_str(), 0, &dbi), "mdb_dbi_open");
    check(mdb_cursor_open(txn, dbi, &cur), "mdb_cursor_open");
    KV out;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        out.emplace_back(std::string(static_cast<const char *>(k.mv_data), k.mv_size),
                         std::string(static_cast<const char *>(v.mv_data), v.mv_size));
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return out;
}

namespace {

// mdb_dump (hex format) prints each key and value as a line of hex pairs
// after one leading space.  (Its -p "printable" format does not escape a
// backslash in 0.9.24, so it cannot be read back exactly.)
std::string unhex(const std::string &line) {
    std::string out;
    for (size_t i = 1; i + 1 < line.size(); i += 2)
        out += char(std::stoi(line.substr(i, 2), nullptr, 16));
    return out;
}

}  // namespace

KV mdb_dump_records(const std::string &path, const std::string &db) {
    std::string cmd = "mdb_dump -n " + (db.empty() ? "" : "-s '" + db + "' ") + "'" + path + "'";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) abort();
    KV out;
    std::string line, key;
    bool data = false, have_key = false;
    char *buf = nullptr;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&buf, &cap, p)) > 0) {
        line.assign(buf, size_t(n));
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (line == "HEADER=END") {
            data = true;
            continue;
        }
        if (!data || line == "DATA=END") continue;
        if (!have_key) {
            key = unhex(line);
            have_key = true;
        } else {
            out.emplace_back(key, unhex(line));
            have_key = false;
        }
    }
    free(buf);
    EXPECT_EQ(pclose(p), 0) << cmd;
    return out;
}

}  // namespace chase_test
