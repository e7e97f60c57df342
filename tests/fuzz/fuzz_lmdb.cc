// Fuzz target: the LMDB adapter (fs/lib/format_lmdb.cc: meta pages, the
// named-database walk, the cached descent, overflow reads, the snapshot
// check) and the natively compiled lmdb_get and lmdb_range, on the native
// engine.  The input is the whole data.mdb; its last byte also switches
// between the adapter reading the meta pages and the chain reading them
// (CHASE_LMDB_CHAIN_META) and turns a block cache on or off.  It runs point
// lookups (fixed keys, a NAME/KEY of a named database, one key cut from the
// input) and three ranges.
// A finding: any crash, sanitizer report or hang, an error without a
// sentence, a range longer than its limit.
#include <cstdlib>
#include <string>
#include <vector>

#include "format_fuzz.h"

using namespace chase_fuzz;

namespace {

void range(chase::Session &s, const chase::DataFile &f, std::string_view lo, std::string_view hi,
           size_t limit) {
    std::vector<chase::Record> recs;
    check(s.range(f, lo, hi, limit, &recs), "range");
    if (recs.size() > limit) finding("range returned more records than its limit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Steer how = steer(data, size, 40);
    // Read by the adapter at open.
    setenv("CHASE_LMDB_CHAIN_META", how.alt ? "1" : "0", 1);
    std::shared_ptr<chase::DataFile> f;
    if (!open_as(write_input(data, size), "lmdb", how.cache, &f)) return 0;
    chase::Session &s = native_session();

    std::string mine(how.key);
    for (std::string_view k :
         {std::string_view("1"), std::string_view("42"), std::string_view("apple"),
          std::string_view("users/alice"), std::string_view(mine)}) {
        std::string v;
        check(s.get(*f, k, &v), "get");
    }
    range(s, *f, "", "", how.alt ? 7 : 2);
    range(s, *f, mine, "", 3);
    range(s, *f, "users/a", "users/z", 5);
    return 0;
}
