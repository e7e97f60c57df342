// The last chasefs error of each source file, in words, for
// user.chase.error.  Kept by (dev, ino) because a query name can fail before
// the kernel ever looked up F itself; bounded, oldest dropped first.
#pragma once

#include <sys/types.h>

#include <string>

namespace chasefs {

void record_file_error(dev_t dev, ino_t ino, const std::string &msg);
void clear_file_error(dev_t dev, ino_t ino);
std::string file_error(dev_t dev, ino_t ino);  // "" if none

}  // namespace chasefs
