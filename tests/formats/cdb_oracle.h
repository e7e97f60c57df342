// The real tinycdb library as writer and oracle for the cdb format tests:
// files are written with cdb_make_add and answers compared with cdb_find /
// cdb_findnext.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace chase_test {

using CdbRecords = std::vector<std::pair<std::string, std::string>>;

// Writes the records (duplicates kept, in order) with libcdb's cdb_make.
void cdb_write(const std::string &path, const CdbRecords &records);

// Every value of key in the file, in the order cdb_findnext gives them.
std::vector<std::string> cdb_all_values(const std::string &path, const std::string &key);

// What `cdb -q -n recno path key` prints: record recno (1-based) of the key,
// or with recno 0 (plain `cdb -q`) every value of the key run together.
// False if the tool says the key is absent.  key must not hold NUL bytes.
bool cdb_tool_query(const std::string &path, const std::string &key, unsigned recno,
                    std::string *value);

}  // namespace chase_test
