// One reader-writer lock per source file, by (dev, ino), whether or not the
// kernel currently holds a node for it: writes through the mount take it
// exclusively, queries take it shared.  So a query never runs on a
// half-written data file, and a query name looked up before the kernel ever
// opened F is covered too.  Striped: files share one of a fixed set of locks.
#pragma once

#include <sys/types.h>

#include <shared_mutex>

namespace chasefs {

std::shared_mutex &content_lock(dev_t dev, ino_t ino);

}  // namespace chasefs
