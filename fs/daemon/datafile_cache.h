// Opened data files, by backing inode.  An entry is used only while the file
// is exactly the one it was opened from: same (dev, ino) (a rename of a new
// version over F gives a new inode) and no write since: every write through
// the mount drops the entry (ops_file.cc), and size, mtime and ctime catch
// changes made outside the mount.
// Anything else reopens, so no query is answered from stale state; queries in
// flight keep their shared_ptr to the old version and finish on it.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>

#include "chase/chase.h"

namespace chasefs {

struct FileVersion {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileVersion &) const = default;
};

FileVersion version_of(const struct stat &st);

// The DataFile for the file behind `fd` (any fd of it, O_PATH is fine) at
// version v.  Errors: EMEDIUMTYPE when it is not a data file (cached too, so
// ordinary files cost one stat), EBUSY while it is open for writing through
// the mount (open_writers.h), otherwise why libchase could not open it.
chase::Status datafile_for(int fd, const FileVersion &v, std::shared_ptr<chase::DataFile> *out);

// Forget any entry of this inode (its function attribute changed).
void datafile_drop(dev_t dev, ino_t ino);
size_t datafile_cache_size();

}  // namespace chasefs
