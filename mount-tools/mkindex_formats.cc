#include "mkindex_formats.h"

#include "bptree_writer.h"
#include "mkindex_textkv.h"
#include "sst/sst_writers.h"

namespace mkindex {

BuildError write_bptree_format(const KvSource &src, const TableOptions &, const OutputTarget &out,
                               Progress *progress, WriteSummary *summary) {
    BptreeSummary s;
    if (BuildError e = write_bptree(src, out.fd, progress, &s); !e.ok()) return e;
    *summary = WriteSummary{s.nkeys, "depth " + std::to_string(s.depth)};
    return {};
}

const std::vector<FormatWriter> &format_writers() {
    static const std::vector<FormatWriter> table = {
        {"bptree", write_bptree_format},   {"lmdb", write_lmdb_format},
        {"cdb", write_cdb_format},         {"rocksdb", write_rocksdb_format},
        {"leveldb", write_leveldb_format},
    };
    return table;
}

const FormatWriter *find_format(const std::string &name) {
    for (const FormatWriter &w : format_writers())
        if (name == w.name) return &w;
    return nullptr;
}

}  // namespace mkindex
