// Key/value files for the real formats (LMDB, cdb, RocksDB, LevelDB): keys and values are
// bytes, not the B+-tree's decimal keys and 63-byte values.
//
//   TSV line   key<TAB>value<LF>   key: the bytes before the first TAB (no
//              TAB or LF in it), value: the rest of the line (TABs allowed,
//              no LF); a trailing CR is dropped (CRLF files)
//
// Generated keys (--levels/--count) become their decimal text, as in the
// B+-tree, so the same lookups work on every format.
#pragma once

#include <string>
#include <vector>

#include "build_error.h"
#include "kv_source.h"
#include "mkindex_formats.h"
#include "progress.h"

namespace mkindex {

struct TextRecord {
    std::string key, value;
    uint64_t line = 0;  // where it came from, 0 if generated
};

BuildError read_text_tsv(const std::string &path, std::vector<TextRecord> *out, Progress *progress);

// Decimal-text records from a generated or decimal source.
std::vector<TextRecord> text_records(const KvSource &src);

// The writers, through the real libraries.  LMDB: liblmdb, keys 1..511
// bytes, a duplicate key is an error.  cdb: tinycdb's cdb_make, every
// record kept in input order (a repeated key has several records).
BuildError write_lmdb_records(std::vector<TextRecord> recs, const OutputTarget &out,
                              Progress *progress, WriteSummary *summary);
BuildError write_cdb_records(const std::vector<TextRecord> &recs, const OutputTarget &out,
                             Progress *progress, WriteSummary *summary);

// Table entries (mkindex_formats.cc): the generated/decimal source as text.
BuildError write_lmdb_format(const KvSource &src, const TableOptions &table,
                             const OutputTarget &out, Progress *progress, WriteSummary *summary);
BuildError write_cdb_format(const KvSource &src, const TableOptions &table, const OutputTarget &out,
                            Progress *progress, WriteSummary *summary);

// --tsv for these formats (and rocksdb, leveldb, sst/sst_writers.h): read
// byte keys and write.  false if format is not one of them.
bool is_text_kv_format(const std::string &format);
BuildError build_text_kv(const std::string &format, const std::string &tsv,
                         const TableOptions &table, const OutputTarget &out, Progress *progress,
                         WriteSummary *summary);

}  // namespace mkindex
