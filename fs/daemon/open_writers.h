// Files open for writing through the mount, by (dev, ino).  A data file
// being rewritten in place is neither the old nor the new version until the
// writer closes it, so queries on it answer EBUSY meanwhile (with the reason
// in user.chase.error) instead of a mix of both.  Publishing by rename of a
// finished file over F never hits this: the new file is closed before the
// rename, and F's old inode was never open for writing.
#pragma once

#include <sys/types.h>

namespace chasefs {

void writer_opened(dev_t dev, ino_t ino);
void writer_closed(dev_t dev, ino_t ino);
bool has_open_writers(dev_t dev, ino_t ino);

}  // namespace chasefs
