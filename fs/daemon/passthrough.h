// Passthrough of ordinary files (Linux >= 6.9, CONFIG_FUSE_PASSTHROUGH):
// the reads, writes and mmap of an open ordinary file go from the kernel
// straight to the backing file, never through the daemon.
//
// Which opens: regular files that are not data files when opened (no
// user.chase.fn, no known magic number).  Data files stay on the daemon's
// path, because their writes must hold the content lock that keeps queries
// from seeing a half-written file; query names are never backing files.
// The kernel wants every open of an inode in one mode while any is open, so
// an inode already open in one mode gets that mode again.
//
// Negotiated in INIT (kernel_replies.cc) unless -o passthrough=off; the
// first backing file the kernel refuses (not root, or a kernel that took the
// flag but cannot) turns it off for the mount, said once in the log.
#pragma once

#include <cstdint>
#include <string>

#include "fs_state.h"

namespace chasefs {

// From the init operation: whether to ask the kernel for passthrough.
bool passthrough_negotiate();

// For an open of the regular file at dirfd/path (a create: perhaps absent),
// before it is opened, since O_TRUNC would hide what the file was: whether
// it is a data file.  False when absent or when passthrough is off.
bool passthrough_is_data_file(int dirfd, const std::string &path);
// The same for a known inode; the answer is kept on the inode while the
// file's ctime and size stay as they were.
bool passthrough_is_data_file(Inode &inode);

// After the open succeeded with descriptor fh: the backing id to reply with
// (open_reply_expect_passthrough), or 0 to serve this open as before.  Every
// call is matched by passthrough_released(inode, fh).
int passthrough_opened(Inode &inode, uint64_t fh, bool data_file);
void passthrough_released(Inode &inode, uint64_t fh);

// "passthrough=on|off (why)\npassthrough_opens=N\n" for user.chase.daemon.
std::string passthrough_text();

}  // namespace chasefs
