// chase-mkindex --format rocksdb|leveldb: one table of an LSM store, written
// by the library itself (RocksDB's SstFileWriter, LevelDB's TableBuilder),
// so that a reader is tested on exactly the bytes the stores write.
//
// Keys are byte strings in byte order (as LMDB's and cdb's, from the TSV's
// bytes before the first TAB, or generated keys as decimal text); a repeated
// key is an error, since a table written here holds one version per key.
#pragma once

#include <string>
#include <vector>

#include "build_error.h"
#include "kv_source.h"
#include "mkindex_formats.h"
#include "mkindex_options.h"
#include "mkindex_textkv.h"
#include "progress.h"

namespace mkindex {

// Whether the table options suit format (any format: the table options
// given with bptree are refused too).  Refuses what the library would
// refuse or silently change, with a sentence that names the option; the
// caller treats it as a usage error.
BuildError check_table_options(const std::string &format, const TableOptions &table);

// The checks of each library, called by check_table_options.
BuildError check_rocksdb_options(const TableOptions &table);
BuildError check_leveldb_options(const TableOptions &table);

// Sorts recs into byte order; a repeated key is an error naming both lines.
BuildError sort_unique_bytewise(std::vector<TextRecord> *recs, const std::string &what);

BuildError write_rocksdb_records(std::vector<TextRecord> recs, const TableOptions &table,
                                 const OutputTarget &out, Progress *progress,
                                 WriteSummary *summary);
BuildError write_leveldb_records(std::vector<TextRecord> recs, const TableOptions &table,
                                 const OutputTarget &out, Progress *progress,
                                 WriteSummary *summary);

// Table entries (mkindex_formats.cc): generated keys as decimal text.
BuildError write_rocksdb_format(const KvSource &src, const TableOptions &table,
                                const OutputTarget &out, Progress *progress, WriteSummary *summary);
BuildError write_leveldb_format(const KvSource &src, const TableOptions &table,
                                const OutputTarget &out, Progress *progress, WriteSummary *summary);

}  // namespace mkindex
