#include "query_path.h"

#include <cerrno>
#include <cstdlib>

namespace chasefs {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool parse_count(std::string_view text, uint64_t *out) {
    if (text.empty() || text.size() > 20) return false;
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
        if (next / 10 != v) return false;  // overflow
        v = next;
    }
    *out = v;
    return true;
}

// "lo..hi" with both ends decoded; the ".." is the first one in the text
// (dots of keys that would be ambiguous are escaped).
bool parse_range(std::string_view text, std::string *lo, std::string *hi, std::string *error) {
    size_t dots = text.find("..");
    if (dots == std::string_view::npos) {
        *error = "a range needs LO..HI (either end may be empty)";
        return false;
    }
    if (!percent_decode(text.substr(0, dots), lo, error)) return false;
    return percent_decode(text.substr(dots + 2), hi, error);
}

bool parse_aggregate(std::string_view text, bool want_sum, Query *q, std::string *error) {
    q->kind = want_sum ? QueryKind::sum : QueryKind::count;
    q->agg.want_sum = want_sum;
    size_t colon = text.find(':');
    if (!parse_range(text.substr(0, colon), &q->lo, &q->hi, error)) return false;
    if (colon == std::string_view::npos) return true;
    std::string_view filter = text.substr(colon + 1);
    size_t second = filter.find(':');
    if (second == std::string_view::npos) {
        *error = "a filter is OP:NUMBER with OP one of lt le eq ne ge gt";
        return false;
    }
    auto op = chase::parse_filter_op(filter.substr(0, second));
    if (!op || *op == chase::FilterOp::none) {
        *error = "unknown filter operator '" + std::string(filter.substr(0, second)) +
                 "' (use lt le eq ne ge gt)";
        return false;
    }
    if (!parse_count(filter.substr(second + 1), &q->agg.arg)) {
        *error = "the filter argument must be a decimal number below 2^64";
        return false;
    }
    q->agg.op = *op;
    return true;
}

}  // namespace

bool percent_decode(std::string_view in, std::string *out, std::string *error) {
    out->clear();
    out->reserve(in.size());
    for (size_t i = 0; i < in.size(); i++) {
        if (in[i] != '%') {
            out->push_back(in[i]);
            continue;
        }
        int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
        int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            *error = "'%' must be followed by two hex digits (write a literal '%' as %25)";
            return false;
        }
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

std::string percent_encode(std::string_view key) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : key) {
        bool plain =
            c > 0x20 && c < 0x7f && c != '%' && c != '/' && c != ':' && c != '.' && c != '@';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

bool parse_query(std::string_view text, Query *q, std::string *error) {
    *q = Query{};
    if (text.empty()) {
        *error = "empty query after '@'";
        return false;
    }
    if (starts_with(text, "count:")) return parse_aggregate(text.substr(6), false, q, error);
    if (starts_with(text, "sum:")) return parse_aggregate(text.substr(4), true, q, error);
    if (text.find("..") != std::string_view::npos) {
        q->kind = QueryKind::range;
        size_t dots = text.find("..");
        size_t colon = text.find(':', dots + 2);
        if (!parse_range(text.substr(0, colon), &q->lo, &q->hi, error)) return false;
        if (colon != std::string_view::npos) {
            uint64_t limit;
            if (!parse_count(text.substr(colon + 1), &limit) || limit == 0) {
                *error = "a range limit (after ':') must be a positive decimal number";
                return false;
            }
            q->limit = static_cast<size_t>(limit);
        }
        // A ':' before the ".." would be a separator nobody asked for.
        if (text.substr(0, dots).find(':') != std::string_view::npos) {
            *error = "':' in a range key must be written %3A";
            return false;
        }
        return true;
    }
    q->kind = QueryKind::get;
    if (!percent_decode(text, &q->key, error)) return false;
    if (q->key.empty()) {
        *error = "empty key";
        return false;
    }
    return true;
}

}  // namespace chasefs
