#include "chasectl_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "chase/ioctl.h"
#include "chasectl_output.h"
#include "format.h"  // detect_format (libchase)

namespace chasectl_mount {
namespace {

// mountinfo escapes blanks and backslashes in paths as \ooo.
std::string unescape_mountinfo(const std::string &s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out + "\"";
}

std::string attr(const std::string &path, const char *name, int *err) {
    char buf[65536];
    ssize_t n = getxattr(path.c_str(), name, buf, sizeof buf);
    *err = n < 0 ? errno : 0;
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// The daemon keeps the reason of its last refusal in user.chase.error.
void report(FILE *err, const std::string &path, const std::string &what, int e) {
    int ignored;
    std::string why = attr(path, "user.chase.error", &ignored);
    fprintf(err, "chasectl: %s %s: %s%s%s\n", what.c_str(), path.c_str(), strerror(e),
            why.empty() ? "" : "\n  ", why.c_str());
}

int open_data_file(const std::string &path, FILE *err) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fprintf(err, "chasectl: cannot open %s: %s\n", path.c_str(), strerror(errno));
    return fd;
}

int cmd_stats(const std::string &f, bool json, FILE *out, FILE *err) {
    const char *names[] = {"format", "geometry", "engine", "stats", "fn", "error"};
    std::string text, js = "{";
    for (const char *n : names) {
        int e;
        std::string v = attr(f, ("user.chase." + std::string(n)).c_str(), &e);
        if (e == ENODATA) continue;
        if (e) {
            report(err, f, std::string("reading user.chase.") + n + " of", e);
            return 1;
        }
        if (js.size() > 1) js += ",";
        js += json_string(n) + ":" + json_string(v);
        if (v.find('\n') != std::string::npos) {
            text += std::string(n) + ":\n";
            std::istringstream lines(v);
            std::string line;
            while (std::getline(lines, line)) text += "  " + line + "\n";
        } else {
            text += std::string(n) + ": " + v + "\n";
        }
    }
    fputs(json ? (js + "}\n").c_str() : text.c_str(), out);
    return 0;
}

int cmd_attach(const std::string &f, const std::string &fn, FILE *err) {
    if (setxattr(f.c_str(), "user.chase.fn", fn.data(), fn.size(), 0) != 0) {
        report(err, f, "attach " + fn + " to", errno);
        return 1;
    }
    return 0;
}

// attach F --detect: the format F looks like (magic number, or for cdb the
// shape of its header; libchase's detect_format), attached by name.
int cmd_attach_detect(const std::string &f, FILE *out, FILE *err) {
    int fd = open(f.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        report(err, f, "open", errno);
        if (fd >= 0) close(fd);
        return 1;
    }
    std::string name = chase::detect_format(fd, uint64_t(st.st_size));
    close(fd);
    if (name.empty()) {
        fprintf(err,
                "chasectl: %s: no known format recognised (no magic number, and not a cdb "
                "file); name one: chasectl attach F FORMAT\n",
                f.c_str());
        return 1;
    }
    if (int rc = cmd_attach(f, name, err)) return rc;
    fprintf(out, "%s: %s\n", f.c_str(), name.c_str());
    return 0;
}

int cmd_detach(const std::string &f, FILE *err) {
    if (removexattr(f.c_str(), "user.chase.fn") != 0) {
        report(err, f, "detach the function of", errno);
        return 1;
    }
    return 0;
}

int cmd_get(const std::string &f, const std::string &key, bool json, FILE *out, FILE *err) {
    if (key.size() > CHASE_IOC_DATA_MAX) {
        fprintf(err, "chasectl: key longer than %d bytes\n", CHASE_IOC_DATA_MAX);
        return 2;
    }
    int fd = open_data_file(f, err);
    if (fd < 0) return 1;
    auto g = std::make_unique<chase_ioc_get>();
    memset(g.get(), 0, sizeof *g);
    g->size = sizeof *g;
    g->key_len = static_cast<uint32_t>(key.size());
    memcpy(g->data, key.data(), key.size());
    int rc = ioctl(fd, CHASE_IOC_GET, g.get());
    int e = errno;
    close(fd);
    if (rc != 0) {
        if (e == ENOENT) {
            fprintf(err, "chasectl: key %s not found in %s\n", chasectl::printable(key).c_str(),
                    f.c_str());
            return 1;
        }
        report(err, f, "get " + key + " from", e);
        return 1;
    }
    std::string v(g->data, std::min<size_t>(g->value_len, CHASE_IOC_DATA_MAX));
    if (json)
        fprintf(out, "{\"key\":%s,\"value\":%s}\n", json_string(key).c_str(),
                json_string(v).c_str());
    else
        fprintf(out, "%s\n", chasectl::printable(v).c_str());  // as off a mount
    return 0;
}

int cmd_range(const std::string &f, const std::string &lo, const std::string &hi, size_t limit,
              bool json, FILE *out, FILE *err) {
    if (lo.size() + hi.size() > CHASE_IOC_DATA_MAX) {
        fprintf(err, "chasectl: keys longer than %d bytes together\n", CHASE_IOC_DATA_MAX);
        return 2;
    }
    int fd = open_data_file(f, err);
    if (fd < 0) return 1;
    auto r = std::make_unique<chase_ioc_range>();
    std::string from = lo;
    bool exclusive = false, first = true;
    size_t total = 0;
    if (json) fputs("[", out);
    while (limit == 0 || total < limit) {
        memset(r.get(), 0, sizeof *r);
        r->size = sizeof *r;
        r->lo_len = static_cast<uint32_t>(from.size());
        r->hi_len = static_cast<uint32_t>(hi.size());
        memcpy(r->data, from.data(), from.size());
        memcpy(r->data + from.size(), hi.data(), hi.size());
        r->max_records =
            limit ? static_cast<uint32_t>(std::min<size_t>(limit - total, 1u << 20)) : 0;
        r->flags = exclusive ? CHASE_IOC_LO_EXCLUSIVE : 0;
        if (ioctl(fd, CHASE_IOC_RANGE, r.get()) != 0) {
            int e = errno;
            close(fd);
            if (json) fputs("]\n", out);
            report(err, f, "range over", e);
            return 1;
        }
        uint32_t pos = 0;
        std::string last;
        for (uint32_t i = 0; i < r->count; i++) {
            uint32_t kl, vl;
            memcpy(&kl, r->data + pos, 4);
            memcpy(&vl, r->data + pos + 4, 4);
            last.assign(r->data + pos + 8, kl);
            std::string v(r->data + pos + 8 + kl, vl);
            if (json)
                fprintf(out, "%s{\"key\":%s,\"value\":%s}", first ? "" : ",",
                        json_string(last).c_str(), json_string(v).c_str());
            else
                fprintf(out, "%s\t%s\n", chasectl::printable(last).c_str(),
                        chasectl::printable(v).c_str());
            first = false;
            pos += 8 + kl + vl;
        }
        total += r->count;
        if (!(r->flags & CHASE_IOC_MORE) || r->count == 0) break;
        from = last;
        exclusive = true;
    }
    if (json) fputs("]\n", out);
    close(fd);
    return 0;
}

int cmd_agg(const std::string &f, const std::string &lo, const std::string &hi, const Options &o,
            FILE *out, FILE *err) {
    if (lo.size() + hi.size() > CHASE_IOC_DATA_MAX) {
        fprintf(err, "chasectl: keys longer than %d bytes together\n", CHASE_IOC_DATA_MAX);
        return 2;
    }
    if (o.filter < CHASE_FILTER_NONE || o.filter > CHASE_FILTER_GT) {
        fprintf(err, "chasectl: unknown filter %d\n", o.filter);
        return 2;
    }
    int fd = open_data_file(f, err);
    if (fd < 0) return 1;
    auto g = std::make_unique<chase_ioc_agg>();
    memset(g.get(), 0, sizeof *g);
    g->size = sizeof *g;
    g->lo_len = static_cast<uint32_t>(lo.size());
    g->hi_len = static_cast<uint32_t>(hi.size());
    memcpy(g->data, lo.data(), lo.size());
    memcpy(g->data + lo.size(), hi.data(), hi.size());
    g->filter = static_cast<uint32_t>(o.filter);
    g->filter_arg = o.filter_arg;
    g->want_sum = o.sum;
    int rc = ioctl(fd, CHASE_IOC_AGG, g.get());
    int e = errno;
    close(fd);
    if (rc != 0) {
        report(err, f, "aggregate over", e);
        return 1;
    }
    if (o.json)
        fprintf(out, "{\"count\":%llu,\"sum\":%llu,\"numeric\":%llu,\"overflow\":%s}\n",
                (unsigned long long)g->count, (unsigned long long)g->sum,
                (unsigned long long)g->numeric, g->overflow ? "true" : "false");
    else {  // the same lines as chasectl's plain-file form
        fprintf(out, "count\t%llu\n", (unsigned long long)g->count);
        if (o.sum || o.filter != CHASE_FILTER_NONE)
            fprintf(out, "sum\t%llu%s\nnumeric\t%llu\n", (unsigned long long)g->sum,
                    g->overflow ? " (wrapped mod 2^64)" : "", (unsigned long long)g->numeric);
    }
    return 0;
}

int cmd_trace(const std::string &f, const std::string &key, bool json, FILE *out, FILE *err) {
    if (key.size() > CHASE_IOC_TRACE_KEY_MAX) {
        fprintf(err, "chasectl: key longer than %d bytes\n", CHASE_IOC_TRACE_KEY_MAX);
        return 2;
    }
    int fd = open_data_file(f, err);
    if (fd < 0) return 1;
    auto t = std::make_unique<chase_ioc_trace>();
    memset(t.get(), 0, sizeof *t);
    t->size = sizeof *t;
    t->key_len = static_cast<uint32_t>(key.size());
    memcpy(t->key, key.data(), key.size());
    int rc = ioctl(fd, CHASE_IOC_TRACE, t.get());
    int e = errno;
    close(fd);
    if (rc != 0) {
        report(err, f, "trace " + key + " in", e);
        return 1;
    }
    int ignored;
    std::string engine = attr(f, "user.chase.engine", &ignored);
    std::string v(t->value, std::min<size_t>(t->value_len, CHASE_IOC_TRACE_VALUE_MAX));
    // The same shape as chasectl's plain-file trace.
    if (json) {
        fprintf(out, "{\"engine\":%s,\"hops\":[", json_string(engine).c_str());
        for (uint32_t i = 0; i < t->nhops; i++) {
            const chase_ioc_hop &h = t->hops[i];
            fprintf(out,
                    "%s{\"hop\":%u,\"offset\":%llu,\"length\":%u,\"ret\":%d,\"time_ns\":%llu,"
                    "\"source\":\"%s\"}",
                    i ? "," : "", h.hop, (unsigned long long)h.offset, h.len, h.ret,
                    (unsigned long long)h.t_ns, chasectl::hop_source(h.how).c_str());
        }
        fprintf(out, "],\"errno\":%d", -t->status);
        if (t->status == 0) fprintf(out, ",\"value\":%s", json_string(v).c_str());
        fputs("}\n", out);
    } else {
        fprintf(out, "engine %s\n%4s %12s %6s %8s %10s  %s\n", engine.c_str(), "hop", "offset",
                "length", "ret", "time_us", "source");
        for (uint32_t i = 0; i < t->nhops; i++) {
            const chase_ioc_hop &h = t->hops[i];
            fprintf(out, "%4u %12llu %6u %8d %10.1f  %s\n", h.hop, (unsigned long long)h.offset,
                    h.len, h.ret, h.t_ns / 1000.0, chasectl::hop_source(h.how).c_str());
        }
        if (t->status == 0)
            fprintf(out, "value %s\n", v.c_str());
        else
            fprintf(out, "error %s\n", strerror(-t->status));
    }
    if (t->flags & CHASE_IOC_TRUNCATED) fprintf(err, "chasectl: trace or value truncated\n");
    return t->status == 0 ? 0 : t->status == -ENOENT ? 1 : 2;
}

}  // namespace

bool on_chasefs(const std::string &path) {
    char real[PATH_MAX];
    if (!realpath(path.c_str(), real)) {
        // F@KEY-style names are not real: look at the directory.
        std::string dir = path.substr(0, path.find_last_of('/') + 1);
        if (dir.empty()) dir = ".";
        if (!realpath(dir.c_str(), real)) return false;
    }
    std::string p = real;
    std::ifstream mi("/proc/self/mountinfo");
    std::string line, best_type;
    size_t best_len = 0;
    while (std::getline(mi, line)) {
        std::istringstream ls(line);
        std::string id, parent, devno, root, mnt;
        ls >> id >> parent >> devno >> root >> mnt;
        size_t dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream rest(line.substr(dash + 3));
        std::string type;
        rest >> type;
        mnt = unescape_mountinfo(mnt);
        bool under = p == mnt || (p.size() > mnt.size() && p.compare(0, mnt.size(), mnt) == 0 &&
                                  (mnt == "/" || p[mnt.size()] == '/'));
        // Later lines are mounted on top of earlier ones at the same place.
        if (under && mnt.size() >= best_len) {
            best_len = mnt.size();
            best_type = type;
        }
    }
    return best_type == "fuse.chasefs";
}

int run(const std::vector<std::string> &a, const Options &o, FILE *out, FILE *err) {
    if (a.size() < 2 || !on_chasefs(a[1])) return -1;
    const std::string &cmd = a[0], &f = a[1];
    if ((cmd == "stats" || cmd == "info") && a.size() == 2) return cmd_stats(f, o.json, out, err);
    if (cmd == "attach" && a.size() == 3) return cmd_attach(f, a[2], err);
    if (cmd == "attach" && a.size() == 2 && o.detect) return cmd_attach_detect(f, out, err);
    if (cmd == "detach" && a.size() == 2) return cmd_detach(f, err);
    if (cmd == "get" && a.size() >= 3) {
        int worst = 0;
        for (size_t i = 2; i < a.size(); i++)
            worst = std::max(worst, cmd_get(f, a[i], o.json, out, err));
        return worst;
    }
    if (cmd == "trace" && a.size() == 3) return cmd_trace(f, a[2], o.json, out, err);
    if (cmd == "agg" && a.size() == 4) return cmd_agg(f, a[2], a[3], o, out, err);
    if (cmd == "range" && a.size() == 4) return cmd_range(f, a[2], a[3], o.limit, o.json, out, err);
    fprintf(
        err,
        "usage (files under a chasefs mount): chasectl stats|detach F | attach F FN|--detect |\n"
        "       get F KEY... | trace F KEY | range F LO HI [--limit N] |\n"
        "       agg F LO HI [--sum] [--where OP:N]\n");
    return 2;
}

}  // namespace chasectl_mount
