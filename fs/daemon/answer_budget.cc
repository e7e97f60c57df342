#include "answer_budget.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <vector>

namespace chasefs {
namespace {

struct Budget {
    std::mutex mutex;
    uint64_t total_limit = 512ull << 20, user_limit = 128ull << 20;
    uint64_t in_use = 0, peak = 0, refused = 0;
    std::map<uid_t, uint64_t> by_uid;  // only uids holding something
};

Budget &budget() {
    static Budget b;
    return b;
}

std::string mib(uint64_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

void answer_budget_configure(uint64_t total, uint64_t per_user) {
    Budget &b = budget();
    std::lock_guard<std::mutex> g(b.mutex);
    b.total_limit = total;
    b.user_limit = per_user;
}

chase::Status AnswerCharge::resize(size_t bytes) {
    Budget &b = budget();
    std::lock_guard<std::mutex> g(b.mutex);
    if (bytes > bytes_) {
        uint64_t more = bytes - bytes_;
        uint64_t &mine = b.by_uid[uid_];
        if (mine + more > b.user_limit) {
            b.refused++;
            if (mine == 0) b.by_uid.erase(uid_);
            return chase::Status::error(
                EDQUOT, "uid " + std::to_string(uid_) + " would hold more than " +
                            mib(b.user_limit) +
                            " of query answers (-o user_answer_memory); close open answers, "
                            "add a limit (F@LO..HI:N) or use the range ioctl");
        }
        if (b.in_use + more > b.total_limit) {
            b.refused++;
            if (mine == 0) b.by_uid.erase(uid_);
            return chase::Status::error(
                ENOBUFS, "the daemon's memory for query answers (" + mib(b.total_limit) +
                             ", -o answer_memory) is in use; try again when answers are closed");
        }
        mine += more;
        b.in_use += more;
        b.peak = std::max(b.peak, b.in_use);
    } else {
        uint64_t less = bytes_ - bytes;
        auto it = b.by_uid.find(uid_);
        if (it != b.by_uid.end()) {
            it->second -= std::min(it->second, less);
            if (it->second == 0) b.by_uid.erase(it);
        }
        b.in_use -= std::min(b.in_use, less);
    }
    bytes_ = bytes;
    return {};
}

AnswerCharge::~AnswerCharge() {
    resize(0);
}

std::string answer_budget_counters() {
    Budget &b = budget();
    std::lock_guard<std::mutex> g(b.mutex);
    std::string out;
    out += "answer_bytes=" + std::to_string(b.in_use) + "\n";
    out += "answer_bytes_peak=" + std::to_string(b.peak) + "\n";
    out += "answer_memory=" + std::to_string(b.total_limit) + "\n";
    out += "user_answer_memory=" + std::to_string(b.user_limit) + "\n";
    out += "answers_refused=" + std::to_string(b.refused) + "\n";
    std::vector<std::pair<uint64_t, uid_t>> top;
    for (auto &[uid, bytes] : b.by_uid) top.push_back({bytes, uid});
    std::sort(top.rbegin(), top.rend());
    if (top.size() > 8) top.resize(8);
    for (auto &[bytes, uid] : top)
        out += "answer_bytes_uid_" + std::to_string(uid) + "=" + std::to_string(bytes) + "\n";
    return out;
}

}  // namespace chasefs
