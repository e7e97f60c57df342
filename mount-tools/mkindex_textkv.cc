// Byte-key TSV input for the LMDB, cdb, RocksDB and LevelDB writers (see
// mkindex_textkv.h).
#include "mkindex_textkv.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sst/sst_writers.h"

namespace mkindex {

BuildError read_text_tsv(const std::string &path, std::vector<TextRecord> *out,
                         Progress *progress) {
    bool std_in = path == "-";
    std::string name = std_in ? "<stdin>" : path;
    FILE *f = std_in ? stdin : fopen(path.c_str(), "rb");
    if (!f) return BuildError::make(errno, "cannot open " + name + ": " + strerror(errno));
    char *buf = nullptr;
    size_t cap = 0;
    ssize_t n;
    uint64_t line = 0;
    BuildError err;
    if (progress) progress->start_phase("reading " + name, 0);
    while ((n = getline(&buf, &cap, f)) >= 0) {
        line++;
        std::string_view l(buf, size_t(n));
        if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.empty()) {
            err = BuildError::make(EINVAL, name + ":" + std::to_string(line) + ": empty line");
            break;
        }
        size_t tab = l.find('\t');
        if (tab == std::string_view::npos || tab == 0) {
            err =
                BuildError::make(EINVAL, name + ":" + std::to_string(line) +
                                             (tab == 0 ? ": empty key" : ": no TAB after the key"));
            break;
        }
        out->push_back({std::string(l.substr(0, tab)), std::string(l.substr(tab + 1)), line});
        if (progress) progress->update(line);
    }
    free(buf);
    if (!std_in) fclose(f);
    return err;
}

std::vector<TextRecord> text_records(const KvSource &src) {
    std::vector<TextRecord> out;
    out.reserve(src.size());
    char buf[64];
    for (uint64_t i = 0; i < src.size(); i++)
        out.push_back({std::to_string(src.key(i)), std::string(src.value(i, buf)), 0});
    return out;
}

BuildError write_lmdb_format(const KvSource &src, const TableOptions &, const OutputTarget &out,
                             Progress *progress, WriteSummary *summary) {
    return write_lmdb_records(text_records(src), out, progress, summary);
}

BuildError write_cdb_format(const KvSource &src, const TableOptions &, const OutputTarget &out,
                            Progress *progress, WriteSummary *summary) {
    return write_cdb_records(text_records(src), out, progress, summary);
}

bool is_text_kv_format(const std::string &format) {
    return format == "lmdb" || format == "cdb" || format == "rocksdb" || format == "leveldb";
}

BuildError build_text_kv(const std::string &format, const std::string &tsv,
                         const TableOptions &table, const OutputTarget &out, Progress *progress,
                         WriteSummary *summary) {
    std::vector<TextRecord> recs;
    if (BuildError e = read_text_tsv(tsv, &recs, progress); !e.ok()) return e;
    if (format == "lmdb") return write_lmdb_records(std::move(recs), out, progress, summary);
    if (format == "rocksdb")
        return write_rocksdb_records(std::move(recs), table, out, progress, summary);
    if (format == "leveldb")
        return write_leveldb_records(std::move(recs), table, out, progress, summary);
    return write_cdb_records(recs, out, progress, summary);
}

}  // namespace mkindex
