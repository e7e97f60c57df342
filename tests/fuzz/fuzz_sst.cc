// Fuzz target: the SST reader (fs/lib/sst: footer, metaindex, properties,
// index, filters, checksums, decompression) and the natively compiled
// sst_get (restart search, entry scan, windows over large blocks), on the
// native engine.  The input is the whole table.  It runs point lookups of
// fixed keys and one cut from the input.
// A finding: any crash, sanitizer report or hang, or an error without a
// sentence.
#include <string>

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
    return 0;
}
