// How a format makes itself known to open_format(): one entry per format.
#pragma once

#include "format.h"

namespace chase {

struct FormatEntry {
    const char *name;
    // Does this file look like ours?  head holds up to 4096 bytes from
    // offset 0; nullptr for formats without a magic number (cdb).
    bool (*sniff)(const uint8_t *head, size_t n, uint64_t size);
    Status (*open)(int fd, uint64_t size, const std::shared_ptr<FunctionSet> &user,
                   std::unique_ptr<Format> *out);
    // A structural check for formats without a magic number (attach
    // --detect); never used to recognise a file on its own.
    bool (*detect)(const uint8_t *head, size_t n, uint64_t size) = nullptr;
    // For formats whose magic number is at the end (SST tables): tail holds
    // the file's last n (up to 64) bytes.
    bool (*sniff_tail)(const uint8_t *tail, size_t n, uint64_t size) = nullptr;
};

extern const FormatEntry kBptreeFormat;
extern const FormatEntry kLmdbFormat;
extern const FormatEntry kCdbFormat;
extern const FormatEntry kSstFormat;

// A function by name: the user's object first, then the built-ins.
const Function *find_function(const std::shared_ptr<FunctionSet> &user, const char *name);

// A key for an error message: printable bytes as they are, others as \xNN,
// at most 64 bytes of it.
std::string printable_key(std::string_view key);

// Parse a decimal u64 key strictly ("", "-1", "1x", overflow are refused).
bool parse_u64_key(std::string_view text, uint64_t *out);

}  // namespace chase
