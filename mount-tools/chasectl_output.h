// chasectl prints each answer twice over: human text by default, one JSON
// object per command with --json.  This is the small writer both use.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "chase/ioctl.h"

namespace chasectl {

// A hop's CHASE_HOP_* bits (chase::kHop* are the same) as words: where its
// block came from ("read", "cache", "memory"; "-" for the start call) and
// what libchase did to it first ("checked", "decompressed").
inline std::string hop_source(uint32_t how) {
    static const struct {
        uint32_t bit;
        const char *word;
    } words[] = {{CHASE_HOP_READ, "read"},
                 {CHASE_HOP_CACHE, "cache"},
                 {CHASE_HOP_MEMORY, "memory"},
                 {CHASE_HOP_CHECKED, "checked"},
                 {CHASE_HOP_DECOMPRESSED, "decompressed"}};
    std::string out;
    for (auto &w : words)
        if (how & w.bit) out += (out.empty() ? "" : ",") + std::string(w.word);
    return out.empty() ? "-" : out;
}

inline std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    char buf[8];
                    snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    return out + "\"";
}

// Builds {"k": v, ...} in insertion order.
class JsonObject {
   public:
    JsonObject &str(std::string_view k, std::string_view v) { return raw(k, json_quote(v)); }
    JsonObject &num(std::string_view k, uint64_t v) { return raw(k, std::to_string(v)); }
    JsonObject &boolean(std::string_view k, bool v) { return raw(k, v ? "true" : "false"); }
    JsonObject &raw(std::string_view k, std::string_view json) {
        body_ += (body_.empty() ? "" : ",") + json_quote(k) + ":" + std::string(json);
        return *this;
    }
    std::string text() const { return "{" + body_ + "}"; }

   private:
    std::string body_;
};

// Bytes that are not printable text are shown as \xNN in human output.
inline std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else {
            char buf[8];
            snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace chasectl
