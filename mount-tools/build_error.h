// Errors of the index tools: an errno plus a sentence that says where
// ("in.tsv:12: duplicate key 42 (first on line 3)").  A value, not an
// exception, so every step of a build says plainly whether it worked.
#pragma once

#include <string>

namespace mkindex {

struct BuildError {
    int err = 0;
    std::string msg;

    bool ok() const { return err == 0; }
    static BuildError make(int err, std::string msg) { return BuildError{err, std::move(msg)}; }
    // "what: strerror(errno)" for a failed system call, errno taken now.
    static BuildError from_errno(const std::string &what);
};

}  // namespace mkindex
