// Fuzz target: the query-name parser of the daemon (fs/daemon/query_path.cc:
// parse_query, percent_decode, percent_encode).  The input is parsed as the
// text after "F@" as it is, and is also taken as raw key bytes that must
// survive a trip through the names a tool would build for them: F@KEY,
// F@LO..HI:N and F@count:LO..HI:ge:N, with LO and HI the input's two halves.
// A finding: any crash or sanitizer report, a refusal without a reason, a
// parse that yields an empty point key, an encoded name that holds '/', NUL
// or a byte outside printable ASCII, or any round trip that does not give
// back the bytes (and numbers) it started from.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "query_path.h"

using chasefs::parse_query;
using chasefs::percent_encode;
using chasefs::Query;
using chasefs::QueryKind;

namespace {

[[noreturn]] void finding(const std::string &what) {
    fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    abort();
}

Query must_parse(const std::string &text) {
    Query q;
    std::string why;
    if (!parse_query(text, &q, &why)) finding("refused its own encoding '" + text + "': " + why);
    return q;
}

void check_encoding(const std::string &enc) {
    for (unsigned char c : enc)
        if (c <= 0x20 || c >= 0x7f || c == '/') finding("encoding holds byte " + std::to_string(c));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text(reinterpret_cast<const char *>(data), size);
    Query q;
    std::string why;
    if (!parse_query(text, &q, &why)) {
        if (why.empty()) finding("refused without a reason");
    } else if (q.kind == QueryKind::get && q.key.empty()) {
        finding("an empty point key was accepted");
    }

    std::string enc = percent_encode(text);
    check_encoding(enc);
    std::string back;
    if (!chasefs::percent_decode(enc, &back, &why) || back != text)
        finding("percent_decode(percent_encode(x)) != x");
    if (!text.empty()) {
        q = must_parse(enc);
        if (q.kind != QueryKind::get || q.key != text) finding("F@KEY did not give back KEY");
    }

    std::string lo = text.substr(0, size / 2), hi = text.substr(size / 2);
    uint64_t n = 0;
    for (size_t i = 0; i < size && i < 8; i++) n = n << 8 | data[i];
    std::string ns = std::to_string(n);
    std::string range = percent_encode(lo) + ".." + percent_encode(hi);
    q = must_parse(range + ":" + std::to_string(n | 1));
    if (q.kind != QueryKind::range || q.lo != lo || q.hi != hi || q.limit != (n | 1))
        finding("F@LO..HI:N did not give back LO, HI and N");
    q = must_parse("count:" + range + ":ge:" + ns);
    if (q.kind != QueryKind::count || q.lo != lo || q.hi != hi || q.agg.op != chase::FilterOp::ge ||
        q.agg.arg != n || q.agg.want_sum)
        finding("F@count:LO..HI:ge:N did not give back LO, HI and N");
    q = must_parse("sum:" + range);
    if (q.kind != QueryKind::sum || q.lo != lo || q.hi != hi || !q.agg.want_sum)
        finding("F@sum:LO..HI did not give back LO and HI");

    // Numbers: the parser's own overflow check against the library's (the
    // parser also takes at most 20 digits, leading zeros included).
    if (size > 0 && size <= 24) {
        uint64_t want;
        auto [end, ec] = std::from_chars(text.data(), text.data() + size, want);
        bool digits = text.find_first_not_of("0123456789") == std::string::npos;
        bool fits = digits && size <= 20 && ec == std::errc() && end == text.data() + size;
        bool ok = parse_query("..:" + text, &q, &why);
        if (ok != (fits && want > 0) || (ok && q.limit != want))
            finding("range limit '" + text + "' parsed differently from std::from_chars");
    }
    return 0;
}
