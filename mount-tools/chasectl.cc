// chasectl: query data files, verify storage functions, read statistics.
//
//   chasectl [--engine E] [--json] get FILE KEY...
//   chasectl [--engine E] [--json] range FILE LO HI [--limit N]
//   chasectl [--engine E] [--json] agg FILE LO HI [--sum] [--where OP:N]
//   chasectl [--engine E] [--json] trace FILE KEY
//   chasectl [--json] info FILE          format, geometry, engines
//   chasectl [--json] verify OBJ         allow-list + the kernel verifier
//   chasectl [--json] engines            what this machine can run
//
// FILE is a plain path here; answers come from libchase in this process.
// Exit status: 0 answered, 1 a key was absent, 2 an error (errno in words).
#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "chasectl_mount.h"
#include "chase/chase.h"
#include "chasectl_output.h"

using namespace chase;
using chasectl::hop_source;
using chasectl::json_quote;
using chasectl::JsonObject;
using chasectl::printable;

namespace {

struct Options {
    EngineKind engine = EngineKind::automatic;
    bool json = false;
    size_t limit = 0;
    bool sum = false;
    FilterOp op = FilterOp::none;
    uint64_t arg = 0;
    unsigned inflight = 64;
    bool detect = false;  // attach --detect
};

[[noreturn]] void usage(int code) {
    fputs(
        "usage: chasectl [--engine auto|kernel|syscall|native] [--json] COMMAND ...\n"
        "  get FILE KEY...                 values of the keys (in flight together)\n"
        "  range FILE LO HI [--limit N]    records with LO <= key <= HI (\"\" = unbounded)\n"
        "  agg FILE LO HI [--sum] [--where OP:N]\n"
        "                                  count (and sum) of records whose value, read\n"
        "                                  as a number, satisfies OP N (lt le eq ne ge gt)\n"
        "  trace FILE KEY                  each hop of one lookup: hop, offset, length, time\n"
        "  info FILE                       format, geometry, statistics\n"
        "  verify OBJ                      check a BPF object as the loader would\n"
        "  engines                         engines this machine can run, best first\n"
        "files under a chasefs mount (asked through the daemon), also:\n"
        "  stats FILE                      info, plus the function, engine and counters\n"
        "  attach FILE FN                  set the storage function (built-in name or\n"
        "                                  BPF object path); --detect names the format\n"
        "  detach FILE                     back to the format's built-in function\n"
        "  --version                       chasectl's version\n",
        code ? stderr : stdout);
    exit(code);
}

// The commands that only a mount can answer, named as such off a mount.
bool mount_only(const std::string &cmd) {
    return cmd == "attach" || cmd == "detach";
}

int fail(const Options &o, const std::string &what, const Status &st) {
    if (o.json)
        printf("%s\n", JsonObject()
                           .str("error", strerrorname_np(st.err) ? strerrorname_np(st.err) : "")
                           .num("errno", st.err)
                           .str("message", what + ": " + st.msg)
                           .text()
                           .c_str());
    else
        fprintf(stderr, "chasectl: %s: %s\n", what.c_str(), st.to_string().c_str());
    return 2;
}

struct Context {
    std::shared_ptr<DataFile> file;
    std::unique_ptr<Session> session;
};

int open_context(const Options &o, const std::string &path, Context *c) {
    Status st = DataFile::open(path, {}, &c->file);
    if (!st.ok()) return fail(o, path, st);
    SessionOptions so;
    so.engine = o.engine;
    so.max_inflight = o.inflight;
    st = Session::create(so, &c->session);
    if (!st.ok()) return fail(o, std::string("engine ") + engine_name(o.engine), st);
    return 0;
}

int cmd_get(const Options &o, const std::string &path, const std::vector<std::string> &keys) {
    Context c;
    if (int r = open_context(o, path, &c)) return r;
    struct Answer {
        Status st;
        std::string value;
    };
    std::vector<Answer> answers(keys.size());
    for (size_t i = 0; i < keys.size(); i++) {
        Status st =
            c.session->submit_get(*c.file, keys[i], [&, i](const Status &s, std::string_view v) {
                answers[i] = {s, std::string(v)};
            });
        if (!st.ok()) answers[i].st = st;
    }
    Status st = c.session->drain();
    if (!st.ok()) return fail(o, path, st);
    int rc = 0;
    std::string json;
    for (size_t i = 0; i < keys.size(); i++) {
        const Answer &a = answers[i];
        if (a.st.err && a.st.err != ENOENT) rc = 2;
        if (a.st.err == ENOENT && rc == 0) rc = 1;
        if (o.json) {
            JsonObject j;
            j.str("key", keys[i]).boolean("found", a.st.ok());
            if (a.st.ok()) j.str("value", a.value);
            if (!a.st.ok()) j.num("errno", a.st.err).str("message", a.st.msg);
            json += (json.empty() ? "" : ",") + j.text();
        } else if (a.st.ok()) {
            printf(keys.size() > 1 ? "%s\t%s\n" : "%.0s%s\n", printable(keys[i]).c_str(),
                   printable(a.value).c_str());
        } else {
            fprintf(stderr, "chasectl: %s@%s: %s\n", path.c_str(), printable(keys[i]).c_str(),
                    a.st.to_string().c_str());
        }
    }
    if (o.json)
        printf("%s\n", JsonObject()
                           .str("engine", engine_name(c.session->engine()))
                           .raw("results", "[" + json + "]")
                           .text()
                           .c_str());
    return rc;
}

int cmd_range(const Options &o, const std::string &path, const std::string &lo,
              const std::string &hi) {
    Context c;
    if (int r = open_context(o, path, &c)) return r;
    std::vector<Record> recs;
    Status st = c.session->range(*c.file, lo, hi, o.limit, &recs);
    if (!st.ok()) return fail(o, path, st);
    if (o.json) {
        std::string arr;
        for (auto &r : recs)
            arr += (arr.empty() ? "" : ",") +
                   JsonObject().str("key", r.key).str("value", r.value).text();
        printf("%s\n", JsonObject()
                           .str("engine", engine_name(c.session->engine()))
                           .num("count", recs.size())
                           .raw("records", "[" + arr + "]")
                           .text()
                           .c_str());
    } else {
        for (auto &r : recs)
            printf("%s\t%s\n", printable(r.key).c_str(), printable(r.value).c_str());
    }
    return 0;
}

int cmd_agg(const Options &o, const std::string &path, const std::string &lo,
            const std::string &hi) {
    Context c;
    if (int r = open_context(o, path, &c)) return r;
    AggResult a;
    Status st = c.session->aggregate(*c.file, lo, hi, {o.op, o.arg, o.sum}, &a);
    if (!st.ok()) return fail(o, path, st);
    if (o.json) {
        JsonObject j;
        j.str("engine", engine_name(c.session->engine())).num("count", a.count);
        if (o.sum || o.op != FilterOp::none)
            j.num("sum", a.sum).num("numeric", a.numeric).boolean("overflow", a.overflow);
        printf("%s\n", j.text().c_str());
    } else {
        printf("count\t%llu\n", (unsigned long long)a.count);
        if (o.sum || o.op != FilterOp::none)
            printf("sum\t%llu%s\nnumeric\t%llu\n", (unsigned long long)a.sum,
                   a.overflow ? " (wrapped mod 2^64)" : "", (unsigned long long)a.numeric);
    }
    return 0;
}

int cmd_trace(const Options &o, const std::string &path, const std::string &key) {
    Context c;
    if (int r = open_context(o, path, &c)) return r;
    std::vector<HopTrace> hops;
    c.session->set_tracer([&](const HopTrace &h) { hops.push_back(h); });
    std::string value;
    Status st = c.session->get(*c.file, key, &value);
    // The kernel engine reports no hops; a chain it handed to another
    // engine (bpf/README.md, BlockPrep) does, and says which.
    EngineKind ran = hops.empty() ? c.session->engine() : hops.front().engine;
    if (o.json) {
        std::string arr;
        for (auto &h : hops)
            arr += (arr.empty() ? "" : ",") + JsonObject()
                                                  .num("hop", h.hop)
                                                  .num("offset", h.offset)
                                                  .num("length", h.len)
                                                  .raw("ret", std::to_string(h.ret))
                                                  .num("time_ns", h.t_ns)
                                                  .str("source", hop_source(h.how))
                                                  .text();
        JsonObject j;
        j.str("engine", engine_name(c.session->engine()));
        if (ran != c.session->engine()) j.str("chain_engine", engine_name(ran));
        j.raw("hops", "[" + arr + "]");
        j.num("errno", st.err);
        if (st.ok()) j.str("value", value);
        printf("%s\n", j.text().c_str());
    } else {
        printf("engine %s", engine_name(c.session->engine()));
        if (ran != c.session->engine()) printf(" (this chain ran on %s)", engine_name(ran));
        printf("\n%4s %12s %6s %8s %10s  %s\n", "hop", "offset", "length", "ret", "time_us",
               "source");
        for (auto &h : hops)
            printf("%4u %12llu %6u %8d %10.1f  %s\n", h.hop, (unsigned long long)h.offset, h.len,
                   h.ret, h.t_ns / 1000.0, hop_source(h.how).c_str());
        if (st.ok())
            printf("value %s\n", printable(value).c_str());
        else
            printf("error %s\n", st.to_string().c_str());
    }
    return st.ok() ? 0 : st.err == ENOENT ? 1 : 2;
}

int cmd_info(const Options &o, const std::string &path) {
    std::shared_ptr<DataFile> f;
    Status st = DataFile::open(path, {}, &f);
    if (!st.ok()) return fail(o, path, st);
    std::string geo = f->geometry();
    if (o.json) {
        JsonObject g;
        size_t at = 0;
        while (at < geo.size()) {
            size_t nl = geo.find('\n', at), eq = geo.find('=', at);
            if (nl == std::string::npos) nl = geo.size();
            if (eq != std::string::npos && eq < nl)
                g.str(geo.substr(at, eq - at), geo.substr(eq + 1, nl - eq - 1));
            at = nl + 1;
        }
        printf("%s\n", JsonObject()
                           .str("path", path)
                           .str("format", f->format_name())
                           .num("size", f->size())
                           .raw("geometry", g.text())
                           .text()
                           .c_str());
    } else {
        printf("path=%s\nsize=%llu\n%s", path.c_str(), (unsigned long long)f->size(), geo.c_str());
    }
    return 0;
}

int cmd_verify(const Options &o, const std::string &obj) {
    std::string log;
    Status st = verify_object(obj, &log);
    if (o.json) {
        JsonObject j;
        j.str("object", obj).boolean("accepted", st.ok());
        if (!st.ok()) j.num("errno", st.err).str("message", st.msg).str("verifier_log", log);
        printf("%s\n", j.text().c_str());
    } else if (st.ok()) {
        printf("%s: accepted by the helper allow-list and the kernel verifier\n", obj.c_str());
    } else {
        fprintf(stderr, "chasectl: %s: refused: %s\n", obj.c_str(), st.to_string().c_str());
        if (!log.empty()) fprintf(stderr, "--- verifier log ---\n%s", log.c_str());
    }
    return st.ok() ? 0 : 2;
}

int cmd_engines(const Options &o) {
    auto kinds = available_engines();
    std::string arr;
    for (auto k : kinds) {
        arr += (arr.empty() ? "" : ",") + json_quote(engine_name(k));
        if (!o.json) printf("%s\n", engine_name(k));
    }
    if (o.json) printf("{\"engines\":[%s]}\n", arr.c_str());
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    static const option longopts[] = {
        {"engine", required_argument, nullptr, 'e'}, {"json", no_argument, nullptr, 'j'},
        {"limit", required_argument, nullptr, 'l'},  {"sum", no_argument, nullptr, 's'},
        {"where", required_argument, nullptr, 'w'},  {"inflight", required_argument, nullptr, 'i'},
        {"help", no_argument, nullptr, 'h'},         {"version", no_argument, nullptr, 'V'},
        {"detect", no_argument, nullptr, 'D'},       {nullptr, 0, nullptr, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "e:jl:sw:i:h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'e': {
                auto k = parse_engine(optarg);
                if (!k) {
                    fprintf(stderr,
                            "chasectl: unknown engine '%s' (auto, kernel, syscall, native)\n",
                            optarg);
                    return 2;
                }
                o.engine = *k;
                break;
            }
            case 'j':
                o.json = true;
                break;
            case 'l':
                o.limit = strtoull(optarg, nullptr, 10);
                break;
            case 's':
                o.sum = true;
                break;
            case 'i':
                o.inflight = unsigned(strtoul(optarg, nullptr, 10));
                break;
            case 'w': {
                std::string w = optarg;
                size_t colon = w.find(':');
                auto op = parse_filter_op(w.substr(0, colon));
                char *end = nullptr;
                errno = 0;
                if (op && colon != std::string::npos && colon + 1 < w.size())
                    o.arg = strtoull(w.c_str() + colon + 1, &end, 10);
                if (!op || !end || *end || errno || w[colon + 1] == '-') {
                    fprintf(stderr,
                            "chasectl: --where takes OP:N, OP one of lt le eq ne ge gt, N a "
                            "decimal number (e.g. --where ge:900)\n");
                    return 2;
                }
                o.op = *op;
                break;
            }
            case 'D':
                o.detect = true;
                break;
            case 'h':
                usage(0);
            case 'V':
                printf("chasectl %s\n", CHASEFS_VERSION);
                return 0;
            default:
                usage(2);
        }
    }
    // Options may also follow the command's arguments (chasectl range F 1 9 --limit 3).
    std::vector<std::string> args;
    for (int i = optind; i < argc; i++) args.push_back(argv[i]);
    if (args.empty()) usage(2);
    std::string cmd = args[0];
    // A file under a chasefs mount is asked through the daemon instead.
    chasectl_mount::Options mo;
    mo.json = o.json;
    mo.limit = o.limit;
    mo.sum = o.sum;
    mo.filter = static_cast<int>(o.op);
    mo.filter_arg = o.arg;
    mo.detect = o.detect;
    if (int rc = chasectl_mount::run(args, mo, stdout, stderr); rc >= 0) return rc;
    if (mount_only(cmd)) {
        if (args.size() < 2) usage(2);
        fprintf(stderr,
                "chasectl: %s works only on files under a chasefs mount; %s is not under one\n",
                cmd.c_str(), args[1].c_str());
        return 2;
    }
    auto need = [&](size_t n) {
        if (args.size() < n + 1) usage(2);
    };
    if (cmd == "get") {
        need(2);
        return cmd_get(o, args[1], {args.begin() + 2, args.end()});
    }
    if (cmd == "range") {
        need(3);
        return cmd_range(o, args[1], args[2], args[3]);
    }
    if (cmd == "agg") {
        need(3);
        return cmd_agg(o, args[1], args[2], args[3]);
    }
    if (cmd == "trace") {
        need(2);
        return cmd_trace(o, args[1], args[2]);
    }
    if (cmd == "info" || cmd == "stats") {
        need(1);
        return cmd_info(o, args[1]);
    }
    if (cmd == "verify") {
        need(1);
        return cmd_verify(o, args[1]);
    }
    if (cmd == "engines") return cmd_engines(o);
    fprintf(stderr, "chasectl: unknown command '%s'\n", cmd.c_str());
    usage(2);
}
