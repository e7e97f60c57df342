// The filters of a table that can say "this key is not here" without a
// data-block read.  Only kinds whose hash and layout chasefs computes
// exactly are used; any other is ignored (a filter may only ever save a
// read, so ignoring one is always correct).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace chase::sst {

class Filter {
   public:
    virtual ~Filter() = default;
    // false only if user_key is certainly absent from the data block at
    // block_offset (full filters ignore it).
    virtual bool may_match(std::string_view user_key, uint64_t block_offset) const = 0;
    virtual const char *kind() const = 0;
};

// The filter stored under metaindex name `name` with contents `data`, or
// nullptr with *why saying why it is not used.
std::unique_ptr<Filter> make_filter(const std::string &name, std::string data, bool leveldb,
                                    std::string *why);

}  // namespace chase::sst
