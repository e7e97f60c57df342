// Memory for the answers of query names, bounded per user and in total.
//
// An open range name holds its answer until the file is closed (a reader
// may seek anywhere in it), so without a bound any user could grow the
// daemon by opening descriptors (40 opens of one 12.7 MB range took it
// from 6.7 to 620 MiB).  Every answer is charged, while it is built and
// for as long as a node or an open file holds it, to the uid whose request
// built it:
//
//   -o user_answer_memory=SIZE   per uid      (default 128 MiB)  -> EDQUOT
//   -o answer_memory=SIZE        the daemon   (default 512 MiB)  -> ENOBUFS
//
// Past either, the request that would grow it fails at once with that
// errno and a sentence in user.chase.error of the data file; nothing waits.
// Usage is in user.chase.daemon and user.chase.stats of the mount root.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "chase/chase.h"

namespace chasefs {

// Bytes charged to one uid; released when it goes.
class AnswerCharge {
   public:
    explicit AnswerCharge(uid_t uid) : uid_(uid) {}
    AnswerCharge(const AnswerCharge &) = delete;
    AnswerCharge &operator=(const AnswerCharge &) = delete;
    ~AnswerCharge();
    // Grows (or shrinks) the charge to `bytes`; fails, charging nothing
    // more, if a budget would be exceeded.
    chase::Status resize(size_t bytes);
    size_t bytes() const { return bytes_; }

   private:
    uid_t uid_;
    size_t bytes_ = 0;
};

void answer_budget_configure(uint64_t total, uint64_t per_user);
// "key=value" lines: bytes in use, peak, budgets, refusals, top users.
std::string answer_budget_counters();

}  // namespace chasefs
