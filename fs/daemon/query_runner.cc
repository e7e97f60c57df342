#include "query_runner.h"

#include <cerrno>

#include "answer_format.h"
#include "fs_state.h"

namespace chasefs {
namespace {

chase::Status run_range(chase::Session &s, const chase::DataFile &file, const Query &q,
                        size_t max_answer, std::string *answer) {
    std::vector<chase::Record> records;
    chase::Status st = s.range(file, q.lo, q.hi, q.limit, &records);
    if (!st.ok()) return st;
    answer->clear();
    for (const chase::Record &r : records) {
        append_record_line(answer, r);
        if (answer->size() > max_answer)
            return chase::Status::error(
                EFBIG, "the range answer is larger than max_answer=" + std::to_string(max_answer) +
                           " bytes; add a limit (F@LO..HI:N) or use the range ioctl");
    }
    return {};
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

chase::Session *thread_session(chase::Status *error) {
    thread_local std::unique_ptr<chase::Session> session;
    if (!session) {
        chase::SessionOptions opts;
        opts.engine = fs().config.engine;
        // A daemon thread runs one query at a time: a few slots suffice, and
        // every slot is a block and a scratch area mapped per thread.
        opts.max_inflight = 2;
        *error = chase::Session::create(opts, &session);
        if (!error->ok()) return nullptr;
    }
    return session.get();
}

chase::Status run_query(const chase::DataFile &file, const Query &q, size_t max_answer,
                        std::string *answer) {
    chase::Status st;
    chase::Session *s = thread_session(&st);
    if (!s) return st;
    switch (q.kind) {
        case QueryKind::get:
            return s->get(file, q.key, answer);
        case QueryKind::range:
            return run_range(*s, file, q, max_answer, answer);
        case QueryKind::count:
        case QueryKind::sum:
            return run_aggregate(*s, file, q, answer);
    }
    return chase::Status::error(EINVAL, "unknown query kind");
}

}  // namespace chasefs
