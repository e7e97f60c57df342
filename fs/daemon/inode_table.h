// The table of backing inodes the kernel holds references to, keyed by the
// source's (st_dev, st_ino) so hard links share one node and inode numbers
// stay those of the source.
#pragma once

#include <sys/stat.h>

#include "fs_state.h"

namespace chasefs {

// Finds or creates the node of `st`, counts one kernel lookup and returns it.
// Takes ownership of `fd` (an O_PATH fd of the object): it is kept for a new
// node and closed when the node already exists.
Inode *inode_acquire(int fd, const struct stat &st);

// Drops n kernel lookups; the node (and its fd) goes away at zero.
void inode_forget(Inode *inode, uint64_t n);

size_t inode_count();

}  // namespace chasefs
