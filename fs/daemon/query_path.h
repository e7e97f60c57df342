// The query-name syntax (the text after "F@"), parsed without touching any
// file.  Grammar (README "Query paths" is the user's version of this):
//
//   query  := key                        point lookup: the value
//           | range [":" limit]          records lo <= key <= hi, as text lines
//           | "count:" range [filter]    number of records
//           | "sum:" range [filter]      sum of the numeric values
//   range  := [lo] ".." [hi]             an empty end is open
//   filter := ":" op ":" number          op: lt le eq ne ge gt, on the value
//
// Keys are percent-decoded: "%HH" is the byte 0xHH, so a key can hold '/',
// NUL-free binary bytes, or the syntax characters.  A literal '%' is "%25".
// In a point key only a leading "count:"/"sum:" and a ".." are syntax; in
// ranges ':' separates fields, so a key byte ':' is written "%3A" and '.' of
// a ".." inside a key "%2E".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chase/chase.h"

namespace chasefs {

enum class QueryKind { get, range, count, sum };

struct Query {
    QueryKind kind = QueryKind::get;
    std::string key;     // get
    std::string lo, hi;  // range, count, sum ("" = open end)
    size_t limit = 0;    // range: at most this many records, 0 = all
    chase::AggSpec agg;  // count, sum: the filter and whether to sum
};

// Parses the text after '@'.  On failure returns false and says why in *error
// (the daemon answers EINVAL and keeps the sentence in user.chase.error).
bool parse_query(std::string_view text, Query *out, std::string *error);

// Percent-decoding of one key; false on a '%' not followed by two hex digits.
bool percent_decode(std::string_view in, std::string *out, std::string *error);
// The inverse, for tools that build query names: escapes '%', '/', ':', '.',
// '@' and bytes outside printable ASCII.
std::string percent_encode(std::string_view key);

}  // namespace chasefs
