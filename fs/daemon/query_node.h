// Query names: "F@KEY", "F@LO..HI", "F@count:LO..HI", ... next to a data
// file F.  They are never in the source directory and never listed.  A
// lookup checks the name (F is a data file, the caller may read it, the
// query parses) and runs a point query, so an absent key is ENOENT to every
// call, O_CREAT included; ranges and aggregates always exist and run in
// getattr and open.  The kernel is told to drop names that are no longer
// used (query_reaper.cc), so query names do not pile up in the kernel's
// dentry cache or in this table.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fs_state.h"

namespace chasefs {

struct QueryNode;

// Tries `name` as a query name under `parent`.  Returns false if it is not
// one (no '@' that follows the name of a data file); otherwise it has replied
// to req (entry or error).
bool query_lookup(fuse_req_t req, Inode &parent, const char *name);

// Whether `name` under `parent` is in the query namespace of a data file
// (an '@' after the name of one).  Such names are read-only: creating,
// linking or renaming onto one is EROFS, or a real file would shadow the
// query for good (and an absent key, which lookup answers ENOENT, would
// let O_CREAT make one).
bool names_a_query(Inode &parent, const char *name);

QueryNode *as_query(Node *n);
void query_getattr(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi);
void query_open(fuse_req_t req, QueryNode &q, struct fuse_file_info *fi);
void query_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi);
void query_release(fuse_req_t req, struct fuse_file_info *fi);
void query_forget(QueryNode *q, uint64_t n);
size_t query_node_count();
// Runs the getattr/open requests still deferred by back-pressure; call
// before the session goes away.
void query_deferred_stop();
uint64_t query_deferred_count();  // getattr/open requests deferred so far
// Whether the kernel still holds the query name `name` under `parent`, and
// when it was last looked up.
bool query_name_alive(fuse_ino_t parent, const std::string &name,
                      std::chrono::steady_clock::time_point *last_lookup);
// How many query names the reaper leaves to the kernel while they are in
// use (3/8 of the table's high-water mark).
size_t query_names_kept();

// The reaper thread that asks the kernel to forget used query names.
void query_reaper_start(struct fuse_session *se);
// A name just looked up for the first time; one that `may_linger` (a small
// point answer) stays while it is used, within query_names_kept().
void query_reaper_enqueue(fuse_ino_t parent, const std::string &name, bool may_linger);
void query_reaper_stop();
std::string query_reaper_counters();  // "key=value" lines for user.chase.daemon

}  // namespace chasefs
