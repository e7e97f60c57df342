// Reading a BPF object file that a user named, as that user would read it.
//
// The same rules hold for the daemon (which reads for its callers, with
// their credentials) and for chasectl (which reads as whoever runs it):
//
//  - The path is opened O_PATH first and must name a regular file.  A FIFO,
//    a device, a socket or a directory is EINVAL with its kind named, and is
//    never opened for reading: opening a FIFO for reading waits for a
//    writer, and opening a device may act on it.
//  - The same inode is then opened for reading (through /proc/self/fd, so a
//    rename in between cannot swap it) with O_NONBLOCK, by a thread that
//    carries the reader's fsuid, fsgid and supplementary groups: a user
//    reads only what they could read themselves.
//  - Its size must be 1 .. kMaxObjectBytes (procfs files claim 0 bytes),
//    and no more than that size is read.
//  - A path that does not exist and one the reader may not reach give the
//    same errno (EACCES) and the same sentence.
//
// Reading for other credentials runs on a thread of its own and is given up
// after kObjectReadTimeout (ETIMEDOUT): a path through a filesystem that
// does not answer must not hold the daemon's worker that asked.  At most
// kMaxObjectReaders such reads are in progress at once (EAGAIN beyond).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "chase/chase.h"

namespace chase {

inline constexpr auto kObjectReadTimeout = std::chrono::seconds(5);
inline constexpr unsigned kMaxObjectReaders = 16;

// The bytes of the object at `path`, read as `as` (nullptr: as this
// process, on the calling thread).
Status read_object_file(const std::string &path, const Credentials *as,
                        std::vector<uint8_t> *bytes);

}  // namespace chase
