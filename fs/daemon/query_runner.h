// Runs a parsed query on a data file with a libchase session lent for the
// request (session_pool.h) and renders the answer as bytes
// (answer_format.h).
#pragma once

#include <memory>
#include <string>

#include "answer_budget.h"
#include "chase/chase.h"
#include "query_path.h"
#include "session_pool.h"

namespace chasefs {

// ENOENT for an absent key; EFBIG when a range answer would exceed
// max_answer (the caller should add a limit or use the ioctl).  A range is
// read a page of records at a time and charged to `charge` (if given) as it
// grows, so neither the records nor the answer outgrow a budget before the
// query stops: EDQUOT/ENOBUFS (answer_budget.h).
chase::Status run_query(const chase::DataFile &file, const Query &q, size_t max_answer,
                        std::string *answer, AnswerCharge *charge = nullptr);

}  // namespace chasefs
