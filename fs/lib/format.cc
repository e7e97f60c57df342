// The table of formats, recognition by magic number, and the defaults for
// operations a format does not offer.
#include "format.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "format_registry.h"

namespace chase {

namespace {

// Add a format here (and its adapter file to fs/CMakeLists.txt).
const FormatEntry *const kFormats[] = {
    &kBptreeFormat,
    &kLmdbFormat,
    &kCdbFormat,
    &kSstFormat,
};

// The file's last bytes, for magic numbers kept at the end.
size_t read_tail(int fd, uint64_t size, uint8_t (&tail)[64]) {
    size_t n = size < sizeof tail ? size_t(size) : sizeof tail;
    if (n == 0) return 0;
    ssize_t got = pread(fd, tail, n, off_t(size - n));
    return got == ssize_t(n) ? n : 0;
}

const FormatEntry *sniff_edges(int fd, uint64_t size, const uint8_t *head, size_t n) {
    for (const FormatEntry *f : kFormats)
        if (f->sniff && f->sniff(head, n, size)) return f;
    uint8_t tail[64];
    size_t tn = 0;
    bool read = false;
    for (const FormatEntry *f : kFormats) {
        if (!f->sniff_tail) continue;
        if (!read) tn = read_tail(fd, size, tail), read = true;
        if (tn && f->sniff_tail(tail, tn, size)) return f;
    }
    return nullptr;
}

Status unsupported(const Format &f, const char *what) {
    return Status::error(EOPNOTSUPP, std::string("the ") + f.name() + " format has no " + what);
}

}  // namespace

Status Format::plan_get_batch(const std::vector<std::string> &, ChainSpec *) const {
    return unsupported(*this, "batched lookup");
}
Status Format::finish_get_batch(const ChainSpec &, int,
                                std::vector<std::optional<std::string>> *) const {
    return unsupported(*this, "batched lookup");
}
Status Format::plan_range(ScanCursor *, ChainSpec *) const {
    return unsupported(*this, "range scan (it is not ordered)");
}
Status Format::finish_range(ScanCursor *, const ChainSpec &, int, std::vector<Record> *) const {
    return unsupported(*this, "range scan (it is not ordered)");
}
Status Format::plan_aggregate(ScanCursor *, const AggSpec &, ChainSpec *) const {
    return unsupported(*this, "aggregates (it is not ordered)");
}
Status Format::finish_aggregate(ScanCursor *, const ChainSpec &, int, AggResult *) const {
    return unsupported(*this, "aggregates (it is not ordered)");
}

const Function *find_function(const std::shared_ptr<FunctionSet> &user, const char *name) {
    if (user)
        if (const Function *fn = user->find(name)) return fn;
    return builtin_functions().find(name);
}

Status open_format(int fd, uint64_t size, const std::string &format_name,
                   const std::shared_ptr<FunctionSet> &user_fns, std::unique_ptr<Format> *out) {
    if (!format_name.empty()) {
        for (const FormatEntry *f : kFormats)
            if (format_name == f->name) return f->open(fd, size, user_fns, out);
        std::string known;
        for (const FormatEntry *f : kFormats)
            known += std::string(known.empty() ? "" : ", ") + f->name;
        return Status::error(EINVAL, "unknown format '" + format_name + "' (known: " + known + ")");
    }
    uint8_t head[4096] = {};
    ssize_t n = pread(fd, head, sizeof head, 0);
    if (n < 0) return Status::error(errno, "reading the file's first block failed");
    if (const FormatEntry *f = sniff_edges(fd, size, head, size_t(n)))
        return f->open(fd, size, user_fns, out);
    return Status::error(EMEDIUMTYPE,
                         "not a recognised data file (no known magic number; name the format "
                         "with the user.chase.fn attribute)");
}

namespace {

// By magic number first; then, if `structural`, by the header checks of
// formats without one.
std::string format_from_head(int fd, uint64_t size, bool structural) {
    uint8_t head[4096] = {};
    ssize_t n = pread(fd, head, sizeof head, 0);
    if (n < 0) return "";
    if (const FormatEntry *f = sniff_edges(fd, size, head, size_t(n))) return f->name;
    if (structural)
        for (const FormatEntry *f : kFormats)
            if (f->detect && f->detect(head, size_t(n), size)) return f->name;
    return "";
}

}  // namespace

std::string sniff_format(int fd, uint64_t size) {
    return format_from_head(fd, size, false);
}

std::string detect_format(int fd, uint64_t size) {
    return format_from_head(fd, size, true);
}

std::string printable_key(std::string_view key) {
    std::string out;
    for (unsigned char c : key.substr(0, 64)) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else {
            char b[5];
            snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        }
    }
    if (key.size() > 64) out += "...";
    return out;
}

std::vector<std::string> format_names() {
    std::vector<std::string> names;
    for (const FormatEntry *f : kFormats) names.push_back(f->name);
    return names;
}

}  // namespace chase
