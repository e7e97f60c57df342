// Fuzz target: the SST reader (fs/lib/sst: footer, metaindex, properties,
// index, filters, checksums, decompression) and the natively compiled
// sst_get and sst_range (restart search, entry scan, windows over large
// blocks), on the native engine.  The input is the whole table.  It runs
// point lookups of fixed keys and one cut from the input, a whole scan and
// a limited range.
// A finding: any crash, sanitizer report or hang, an error without a
// sentence, a range out of order or longer than its limit.
#include <string>
#include <vector>

#include "format_fuzz.h"

using namespace chase_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Steer how = steer(data, size, 40);
    std::shared_ptr<chase::DataFile> f;
    if (!open_as(write_input(data, size), "sst", how.cache, &f)) return 0;
    chase::Session &s = native_session();
    std::string mine(how.key);
    for (std::string_view k :
         {std::string_view(""), std::string_view("1"), std::string_view("42"),
          std::string_view("apple"), std::string_view("\xff\xff"), std::string_view(mine)}) {
        std::string v;
        check(s.get(*f, k, &v), "get");
    }
    std::vector<chase::Record> recs;
    check(s.range(*f, "", "", 0, &recs), "range");
    for (size_t i = 1; i < recs.size(); i++)
        if (recs[i].key <= recs[i - 1].key) finding("range keys out of order or repeated");
    recs.clear();
    check(s.range(*f, mine, "", 3, &recs), "range");
    if (recs.size() > 3) finding("range returned more records than its limit");
    return 0;
}
