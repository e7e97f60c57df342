// chase-mkindex --format cdb: a constant database written by tinycdb's
// cdb_make into the output file, every record in input order.
#include <cdb.h>

#include <cerrno>
#include <cstring>

#include "mkindex_textkv.h"

namespace mkindex {

BuildError write_cdb_records(const std::vector<TextRecord> &recs, const OutputTarget &out,
                             Progress *progress, WriteSummary *summary) {
    uint64_t total = 2048;
    for (const TextRecord &r : recs) total += 8 + r.key.size() + r.value.size() + 16;
    if (total > UINT32_MAX)
        return BuildError::make(EFBIG, "a cdb file holds at most 4 GiB; these records need " +
                                           std::to_string(total) + " bytes");
    struct cdb_make cdbm;
    if (cdb_make_start(&cdbm, out.fd) < 0) return BuildError::make(errno, "cdb_make_start failed");
    if (progress) progress->start_phase("writing", recs.size());
    for (size_t i = 0; i < recs.size(); i++) {
        const TextRecord &r = recs[i];
        if (cdb_make_add(&cdbm, r.key.data(), unsigned(r.key.size()), r.value.data(),
                         unsigned(r.value.size())) < 0)
            return BuildError::make(errno ? errno : EIO,
                                    std::string("cdb_make_add failed: ") + strerror(errno));
        if (progress) progress->update(i + 1);
    }
    if (cdb_make_finish(&cdbm) < 0)
        return BuildError::make(errno ? errno : EIO,
                                std::string("cdb_make_finish failed: ") + strerror(errno));
    *summary =
        WriteSummary{recs.size(), "hash tables of " + std::to_string(2 * recs.size()) + " slots"};
    return {};
}

}  // namespace mkindex
