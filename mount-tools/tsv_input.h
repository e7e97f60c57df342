// Reads "key<TAB>value" lines into sorted records, or says exactly which
// line is wrong and why ("in.tsv:7: key '12a' is not a decimal number").
//
//   key    decimal u64, digits only (0 .. 18446744073709551615)
//   value  everything after the first tab: at most 63 bytes, no NUL
//          (it may contain tabs); a trailing CR (CRLF files) is dropped
//
// Lines may come in any order; duplicate keys and empty lines are errors.
// The records are held in memory (48 bytes each, plus the value if it is
// longer than 15 bytes), since they must be sorted before the tree can be
// written.  path "-" reads standard input (named "<stdin>" in messages).
#pragma once

#include <string>
#include <vector>

#include "build_error.h"
#include "kv_source.h"
#include "progress.h"

namespace mkindex {

constexpr size_t kMaxTsvLine = 4096;

BuildError read_tsv(const std::string &path, std::vector<Record> *out,
                    Progress *progress = nullptr);

// Sorts by key; a duplicate is reported at the later of its lines (the
// earliest such line if there are several).  name is used in the message.
BuildError sort_and_check_unique(const std::string &name, std::vector<Record> *recs);

}  // namespace mkindex
