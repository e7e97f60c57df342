// How answers look as file contents (README "Query paths"):
//   F@KEY          the value's bytes, unchanged (no newline added)
//   F@LO..HI       one line per record: KEY <TAB> VALUE <LF>, with '\\', TAB,
//                  LF and other control bytes in key and value written as
//                  \\ \t \n \xHH, so every record is exactly one line
//   F@count:...    the decimal count and a newline
//   F@sum:...      the decimal sum and a newline
#pragma once

#include <string>
#include <string_view>

#include "chase/chase.h"

namespace chasefs {

void append_escaped(std::string *out, std::string_view field);
void append_record_line(std::string *out, const chase::Record &r);
std::string format_number_line(uint64_t n);

}  // namespace chasefs
