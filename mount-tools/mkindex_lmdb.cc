// chase-mkindex --format lmdb: an LMDB environment file (data.mdb layout,
// one file, MDB_NOSUBDIR) written by liblmdb itself, records in key order
// with MDB_APPEND.  No lock file is left behind (MDB_NOLOCK: the file is
// private to this process until it is renamed into place).
#include <lmdb.h>

#include <algorithm>
#include <cerrno>

#include "mkindex_textkv.h"

namespace mkindex {

namespace {

BuildError lmdb_error(int rc, const char *what) {
    return BuildError::make(rc > 0 ? rc : EIO,
                            std::string("liblmdb ") + what + ": " + mdb_strerror(rc));
}

}  // namespace

BuildError write_lmdb_records(std::vector<TextRecord> recs, const OutputTarget &out,
                              Progress *progress, WriteSummary *summary) {
    std::stable_sort(recs.begin(), recs.end(),
                     [](const TextRecord &a, const TextRecord &b) { return a.key < b.key; });
    uint64_t bytes = 0;
    for (size_t i = 0; i < recs.size(); i++) {
        const TextRecord &r = recs[i];
        if (r.key.size() > 511)
            return BuildError::make(ENAMETOOLONG, "line " + std::to_string(r.line) +
                                                      ": LMDB keys are at most 511 bytes");
        if (i && r.key == recs[i - 1].key)
            return BuildError::make(
                EINVAL, "line " + std::to_string(r.line) + ": key '" + r.key + "' repeats line " +
                            std::to_string(recs[i - 1].line) + " (LMDB keeps one value per key)");
        bytes += r.key.size() + r.value.size() + 64;
    }
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc) return lmdb_error(rc, "mdb_env_create");
    // Room for the records twice over (pages are rarely full), at least 1 GiB.
    size_t map = std::max<uint64_t>(uint64_t(1) << 30, 3 * bytes);
    if ((rc = mdb_env_set_mapsize(env, map)) ||
        (rc = mdb_env_open(env, out.path.c_str(), MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0644))) {
        mdb_env_close(env);
        return lmdb_error(rc, "opening the output");
    }
    MDB_txn *txn;
    MDB_dbi dbi;
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn)) || (rc = mdb_dbi_open(txn, nullptr, 0, &dbi))) {
        mdb_env_close(env);
        return lmdb_error(rc, "starting the transaction");
    }
    if (progress) progress->start_phase("writing", recs.size());
    for (size_t i = 0; i < recs.size(); i++) {
        MDB_val k{recs[i].key.size(), recs[i].key.data()};
        MDB_val v{recs[i].value.size(), recs[i].value.data()};
        if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND))) {
            mdb_txn_abort(txn);
            mdb_env_close(env);
            return lmdb_error(rc, "mdb_put");
        }
        if (progress) progress->update(i + 1);
    }
    MDB_stat st{};
    mdb_stat(txn, dbi, &st);
    if ((rc = mdb_txn_commit(txn)) || (rc = mdb_env_sync(env, 1))) {
        mdb_env_close(env);
        return lmdb_error(rc, "committing");
    }
    mdb_env_close(env);
    *summary = WriteSummary{recs.size(), "depth " + std::to_string(st.ms_depth) + ", " +
                                             std::to_string(st.ms_leaf_pages) + " leaf pages"};
    return {};
}

}  // namespace mkindex
