// Files being written through the mount, by (dev, ino).  A data file being
// rewritten in place is neither the old nor the new version until the writer
// is done, so queries on it answer EBUSY meanwhile (with the reason in
// user.chase.error) instead of a mix of both.  Publishing by rename of a
// finished file over F never hits this: the new file is closed before the
// rename, and F's old inode was never open for writing.
//
// "Done" is close(): FLUSH is synchronous, while RELEASE reaches the daemon
// only after close() has returned, so a query made right after close() would
// still have found the writer.  An open file stops counting as a writer at
// each flush, and counts again from its next write (a duplicate descriptor
// may go on writing after another one was closed).
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace chasefs {

// fh is the open file's handle (fuse_file_info::fh), unique while it is open.
void writer_opened(uint64_t fh, dev_t dev, ino_t ino);
void writer_writes(uint64_t fh);    // before a write, truncate or fallocate through fh
void writer_flushed(uint64_t fh);   // at flush: close() of one of its descriptors
void writer_released(uint64_t fh);  // at release, or when the open's reply failed
bool has_open_writers(dev_t dev, ino_t ino);

}  // namespace chasefs
