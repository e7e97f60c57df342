// The output formats chase-mkindex can write, one row each.  Adding a format
// is one writer function in its own file (mkindex_<name>.cc) and one row in
// mkindex_formats.cc; option parsing, input, atomic output and the summary
// are shared.
#pragma once

#include <string>
#include <vector>

#include "build_error.h"
#include "kv_source.h"
#include "mkindex_options.h"
#include "progress.h"

namespace mkindex {

// Where a writer puts its output: an empty temporary file, open as fd, at
// path (for libraries that want a path; they must not create other files
// that outlive the build).  The caller fsyncs and renames it.
struct OutputTarget {
    int fd;
    std::string path;
};

struct WriteSummary {
    uint64_t nkeys = 0;
    std::string shape;  // e.g. "depth 3"
};

// table: --block-size and the other table options, already checked against
// the format (check_table_options); formats without them ignore it.
struct FormatWriter {
    const char *name;
    BuildError (*write)(const KvSource &src, const TableOptions &table, const OutputTarget &out,
                        Progress *progress, WriteSummary *summary);
};

const std::vector<FormatWriter> &format_writers();
const FormatWriter *find_format(const std::string &name);

// The chase B+-tree writer, as a table entry.
BuildError write_bptree_format(const KvSource &src, const TableOptions &table,
                               const OutputTarget &out, Progress *progress, WriteSummary *summary);

}  // namespace mkindex
