// What the three data-file targets share: the input becomes a data file,
// opened with its format named (not sniffed, so every input reaches the
// adapter under test) and queried on one native-engine session kept for the
// whole run (a session per input would set up an io_uring per input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chase/chase.h"

namespace chase_fuzz {

// The input written to this process's scratch file in /dev/shm (tmpfs: no
// O_DIRECT, so libchase reads it through the page cache); returns its path.
const std::string &write_input(const uint8_t *data, size_t size);

chase::Session &native_session();

// The input's last byte steers the harness: its top two bits are switches
// (a format's alternative code path, a block cache) and the rest picks the
// length of a key cut from the bytes before it, so the fuzzer controls a
// key without the file losing its shape.
struct Steer {
    bool alt = false, cache = false;
    std::string_view key;
};
Steer steer(const uint8_t *data, size_t size, size_t max_key);

// Opens the scratch file as `format`; false (after checking the refusal) if
// the adapter refused it.
bool open_as(const std::string &path, const char *format, bool cache,
             std::shared_ptr<chase::DataFile> *out);

// Every query path returns errors as values: a positive errno with a
// sentence.  Anything else aborts (a finding).
void check(const chase::Status &st, const char *what);
[[noreturn]] void finding(const std::string &what);

}  // namespace chase_fuzz
