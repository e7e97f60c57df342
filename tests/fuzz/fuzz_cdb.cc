// Fuzz target: the cdb adapter (fs/lib/format_cdb.cc: header tables, value
// reads, resumable listings of repeated keys) and the natively compiled
// cdb_get, on the native engine.  The input is the whole cdb file; its last
// byte also switches between the adapter keeping the header and the chain
// reading it (CHASE_CDB_CHAIN_HEADER).  It runs point lookups (fixed keys
// and one cut from the input) and KEY..KEY listings, one of them longer
// than a chain's 64 matches.
// A finding: any crash, sanitizer report or hang, an error without a
// sentence, a listing longer than its limit or holding another key.
#include <cstdlib>
#include <string>
#include <vector>

#include "format_fuzz.h"

using namespace chase_fuzz;

namespace {

void listing(chase::Session &s, const chase::DataFile &f, std::string_view key, size_t limit) {
    std::vector<chase::Record> recs;
    check(s.range(f, key, key, limit, &recs), "range");
    if (recs.size() > limit) finding("listing returned more records than its limit");
    for (const auto &r : recs)
        if (r.key != key) finding("listing of one key returned another");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Steer how = steer(data, size, 40);
    // Read by the adapter at open.
    setenv("CHASE_CDB_CHAIN_HEADER", how.alt ? "1" : "0", 1);
    std::shared_ptr<chase::DataFile> f;
    if (!open_as(write_input(data, size), "cdb", how.cache, &f)) return 0;
    chase::Session &s = native_session();

    std::string mine(how.key);
    for (std::string_view k : {std::string_view("1"), std::string_view("42"),
                               std::string_view("apple"), std::string_view(mine)}) {
        std::string v;
        check(s.get(*f, k, &v), "get");
    }
    listing(s, *f, "1", 3);
    listing(s, *f, mine.empty() ? "dup" : mine, how.cache ? 200 : 2);
    return 0;
}
