// Fuzz target: chase-mkindex's TSV reader (mount-tools/tsv_input.cc:
// read_tsv, sort_and_check_unique).  The input is the TSV file; the answer
// is compared with a model that restates the rules of tsv_input.h
// independently: lines split at '\n' (the last may lack one), one trailing
// '\r' dropped, at most 4096 bytes before that, key = digits only below
// 2^64, a tab, value = the rest (at most 63 bytes, no NUL), no empty line,
// no repeated key; the first bad line is the one reported, else the
// earliest line that repeats an earlier key.
// A finding: any crash or sanitizer report; accepting what the model
// refuses or the reverse; another line number in the message; records that
// are not the model's, in key order.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "format_fuzz.h"
#include "tsv_input.h"

namespace {

struct Model {
    bool ok = true;
    uint64_t bad_line = 0;
    std::map<uint64_t, std::string> records;
};

bool parse_key(std::string_view k, uint64_t *out) {
    if (k.empty() || k.size() > 25) return false;  // leading zeros allowed up to the line cap
    unsigned __int128 v = 0;
    for (char c : k) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + unsigned(c - '0');
        if (v > UINT64_MAX) return false;
    }
    *out = uint64_t(v);
    return true;
}

// Keys longer than 25 characters: only a run of leading zeros can keep them
// below 2^64.
bool parse_long_key(std::string_view k, uint64_t *out) {
    if (k.empty()) return false;
    size_t nz = k.find_first_not_of('0');
    if (nz == std::string_view::npos) nz = k.size() - 1;
    if (k.find_first_not_of("0123456789") != std::string_view::npos) return false;
    return parse_key(k.substr(nz), out);
}

Model model(std::string_view in) {
    Model m;
    std::map<uint64_t, uint64_t> first_line;
    uint64_t lineno = 0, dup_line = 0;
    while (!in.empty()) {
        size_t nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
        lineno++;
        bool good = line.size() <= mkindex::kMaxTsvLine;
        if (good && !line.empty() && line.back() == '\r') line.remove_suffix(1);
        size_t tab = line.find('\t');
        uint64_t key = 0;
        good = good && tab != std::string_view::npos && parse_long_key(line.substr(0, tab), &key);
        std::string_view value = good ? line.substr(tab + 1) : std::string_view();
        good = good && value.size() <= 63 && value.find('\0') == std::string_view::npos;
        if (!good) {
            m.ok = false;
            m.bad_line = lineno;
            return m;
        }
        if (first_line.count(key)) {
            if (!dup_line) dup_line = lineno;
        } else {
            first_line[key] = lineno;
            m.records[key] = std::string(value);
        }
    }
    if (dup_line) {
        m.ok = false;
        m.bad_line = dup_line;
    }
    return m;
}

[[noreturn]] void finding(const std::string &what) {
    fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string &path = chase_fuzz::write_input(data, size);
    std::vector<mkindex::Record> recs;
    mkindex::BuildError e = mkindex::read_tsv(path, &recs);
    Model m = model(std::string_view(reinterpret_cast<const char *>(data), size));
    if (e.ok() != m.ok)
        finding(std::string("read_tsv ") + (e.ok() ? "accepted" : "refused (" + e.msg + ")") +
                " what the model " +
                (m.ok ? "accepts" : "refuses at line " + std::to_string(m.bad_line)));
    if (!e.ok()) {
        std::string where = path + ":" + std::to_string(m.bad_line) + ": ";
        if (e.err != EINVAL || e.msg.compare(0, where.size(), where) != 0)
            finding("read_tsv said '" + e.msg + "', the model expects '" + where + "...'");
        return 0;
    }
    if (recs.size() != m.records.size()) finding("read_tsv lost or invented records");
    size_t i = 0;
    for (const auto &[k, v] : m.records) {
        if (recs[i].key != k || recs[i].value != v)
            finding("record " + std::to_string(i) + " differs from the model");
        i++;
    }
    return 0;
}
