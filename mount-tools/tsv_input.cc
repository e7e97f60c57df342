#include "tsv_input.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>

#include <sys/stat.h>

namespace mkindex {

namespace {

// Shows a piece of untrusted input inside a message: printable ASCII as is,
// everything else as \xNN, cut after 40 bytes.
std::string quoted(std::string_view s) {
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < 40; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
            out += char(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > 40) out += "...";
    return out + "'";
}

BuildError line_error(const std::string &path, uint64_t line, const std::string &why) {
    return BuildError::make(EINVAL, path + ":" + std::to_string(line) + ": " + why);
}

// One line, without its newline, into a record.
BuildError parse_line(const std::string &path, uint64_t lineno, std::string_view line,
                      Record *rec) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return line_error(path, lineno, "empty line");
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
        return line_error(path, lineno, "missing tab between key and value");
    std::string_view key = line.substr(0, tab), value = line.substr(tab + 1);
    if (key.empty()) return line_error(path, lineno, "empty key");
    if (!std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return line_error(path, lineno, "key " + quoted(key) + " is not a decimal number");
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), rec->key);
    if (ec == std::errc::result_out_of_range)
        return line_error(path, lineno,
                          "key " + quoted(key) + " is larger than 18446744073709551615");
    if (ec != std::errc() || end != key.data() + key.size())
        return line_error(path, lineno, "key " + quoted(key) + " is not a decimal number");
    if (size_t nul = value.find('\0'); nul != std::string_view::npos)
        return line_error(path, lineno,
                          "value contains a NUL byte at column " + std::to_string(tab + 2 + nul));
    if (value.size() > kMaxValueLen)
        return line_error(
            path, lineno,
            "value is " + std::to_string(value.size()) + " bytes long; at most 63 are allowed");
    rec->line = lineno;
    rec->value.assign(value);
    return {};
}

}  // namespace

BuildError read_tsv(const std::string &path, std::vector<Record> *out, Progress *progress) {
    out->clear();
    bool from_stdin = path == "-";
    const std::string name = from_stdin ? "<stdin>" : path;
    std::unique_ptr<FILE, int (*)(FILE *)> f(from_stdin ? stdin : std::fopen(path.c_str(), "rb"),
                                             from_stdin ? [](FILE *) { return 0; } : std::fclose);
    if (!f) return BuildError::from_errno(path);
    if (progress) {
        struct stat st {};
        bool sized = fstat(fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode);
        progress->start_phase("reading " + name, sized ? uint64_t(st.st_size) : 0);
    }
    uint64_t consumed = 0;

    // Lines are read with a fixed cap so that a binary or runaway file is
    // rejected instead of swallowed whole.
    std::string line;
    uint64_t lineno = 0;
    char buf[1 << 16];
    bool too_long = false;
    auto finish_line = [&]() -> BuildError {
        lineno++;
        if (too_long)
            return line_error(name, lineno,
                              "line longer than " + std::to_string(kMaxTsvLine) + " bytes");
        Record r;
        if (BuildError e = parse_line(name, lineno, line, &r); !e.ok()) return e;
        out->push_back(std::move(r));
        line.clear();
        if (progress) progress->update(consumed);
        return {};
    };
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
        consumed += n;
        std::string_view chunk(buf, n);
        while (!chunk.empty()) {
            size_t nl = chunk.find('\n');
            std::string_view piece = chunk.substr(0, nl);
            if (line.size() + piece.size() > kMaxTsvLine)
                too_long = true;
            else
                line.append(piece);
            if (nl == std::string_view::npos) break;
            if (BuildError e = finish_line(); !e.ok()) return e;
            chunk.remove_prefix(nl + 1);
        }
    }
    if (std::ferror(f.get())) return BuildError::from_errno(name + ": read");
    if (!line.empty() || too_long) {  // last line without a newline
        if (BuildError e = finish_line(); !e.ok()) return e;
    }
    return sort_and_check_unique(name, out);
}

BuildError sort_and_check_unique(const std::string &name, std::vector<Record> *recs) {
    std::stable_sort(recs->begin(), recs->end(),
                     [](const Record &a, const Record &b) { return a.key < b.key; });
    const Record *worst = nullptr, *first = nullptr;
    for (size_t i = 1; i < recs->size(); i++) {
        const Record &a = (*recs)[i - 1], &b = (*recs)[i];
        if (a.key != b.key) continue;
        // Equal keys keep their file order, so a is the earlier line.
        if (!worst || b.line < worst->line) {
            worst = &b;
            first = &a;
            while (first != recs->data() && (first - 1)->key == a.key) first--;
        }
    }
    if (worst)
        return line_error(name, worst->line,
                          "duplicate key " + std::to_string(worst->key) + " (first on line " +
                              std::to_string(first->line) + ")");
    return {};
}

}  // namespace mkindex
