#include "answer_format.h"

namespace chasefs {

void append_escaped(std::string *out, std::string_view field) {
    static const char kHex[] = "0123456789abcdef";
    for (unsigned char c : field) {
        if (c == '\\') {
            out->append("\\\\");
        } else if (c == '\t') {
            out->append("\\t");
        } else if (c == '\n') {
            out->append("\\n");
        } else if (c < 0x20 || c == 0x7f) {
            out->append("\\x");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 15]);
        } else {
            out->push_back(static_cast<char>(c));
        }
    }
}

void append_record_line(std::string *out, const chase::Record &r) {
    append_escaped(out, r.key);
    out->push_back('\t');
    append_escaped(out, r.value);
    out->push_back('\n');
}

std::string format_number_line(uint64_t n) {
    return std::to_string(n) + "\n";
}

}  // namespace chasefs
