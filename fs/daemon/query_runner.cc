#include "query_runner.h"

#include <algorithm>
#include <cerrno>

#include "answer_format.h"
#include "fs_state.h"

namespace chasefs {
namespace {

constexpr size_t kFirstPage = 64, kLargestPage = 4096;
// A key with more records than this (cdb allows repeated keys) cannot be
// paged through by key; no sane file has it.
constexpr size_t kMostRecordsPerKey = size_t(1) << 20;

chase::Status check_growth(const std::string &answer, size_t max_answer, AnswerCharge *charge) {
    if (answer.size() > max_answer)
        return chase::Status::error(
            EFBIG, "the range answer is larger than max_answer=" + std::to_string(max_answer) +
                       " bytes; add a limit (F@LO..HI:N) or use the range ioctl");
    return charge ? charge->resize(answer.capacity()) : chase::Status{};
}

// Pages through the range by key: each page starts at the last key of the
// one before (inclusive), and a full page leaves out its trailing records
// of that key, which the next page reads whole; so repeated keys are
// neither lost nor doubled.
chase::Status run_range(chase::Session &s, const chase::DataFile &file, const Query &q,
                        size_t max_answer, std::string *answer, AnswerCharge *charge) {
    answer->clear();
    std::string lo = q.lo;
    size_t emitted = 0, page = kFirstPage;
    std::vector<chase::Record> records;
    for (;;) {
        size_t ask = q.limit ? std::min(page, q.limit - emitted) : page;
        records.clear();
        chase::Status st = s.range(file, lo, q.hi, ask, &records);
        if (!st.ok()) return st;
        bool last_page = records.size() < ask || (q.limit && emitted + ask == q.limit);
        size_t take = records.size();
        if (!last_page) {
            while (take > 0 && records[take - 1].key == records.back().key) take--;
            if (take == 0) {  // one key fills the page: read a larger one
                if (page >= kMostRecordsPerKey)
                    return chase::Status::error(E2BIG, "more than " +
                                                           std::to_string(kMostRecordsPerKey) +
                                                           " records under one key");
                page *= 2;
                continue;
            }
        }
        size_t before = answer->size();
        for (size_t i = 0; i < take; i++) append_record_line(answer, records[i]);
        emitted += take;
        st = check_growth(*answer, max_answer, charge);
        if (!st.ok()) return st;
        if (last_page) break;
        lo = records.back().key;
        if (answer->size() - before < (1u << 20)) page = std::min(page * 2, kLargestPage);
    }
    answer->shrink_to_fit();
    return charge ? charge->resize(answer->capacity()) : chase::Status{};
}

chase::Status run_aggregate(chase::Session &s, const chase::DataFile &file, const Query &q,
                            std::string *answer) {
    chase::AggResult r;
    chase::Status st = s.aggregate(file, q.lo, q.hi, q.agg, &r);
    if (!st.ok()) return st;
    if (q.kind == QueryKind::count) {
        *answer = format_number_line(r.count);
        return {};
    }
    if (r.overflow) return chase::Status::error(EOVERFLOW, "the sum does not fit in 64 bits");
    *answer = format_number_line(r.sum);
    return {};
}

}  // namespace

chase::Status run_query(const chase::DataFile &file, const Query &q, size_t max_answer,
                        std::string *answer, AnswerCharge *charge) {
    chase::Status st;
    SessionLease s(&st);
    if (!s) return st;
    switch (q.kind) {
        case QueryKind::get:
            st = s->get(file, q.key, answer);
            break;
        case QueryKind::range:
            return run_range(*s, file, q, max_answer, answer, charge);
        case QueryKind::count:
        case QueryKind::sum:
            st = run_aggregate(*s, file, q, answer);
            break;
        default:
            return chase::Status::error(EINVAL, "unknown query kind");
    }
    // A value is held whole once read (its size is the file's business);
    // it is still charged while an open file holds it.
    if (st.ok() && charge) st = charge->resize(answer->capacity());
    return st;
}

}  // namespace chasefs
