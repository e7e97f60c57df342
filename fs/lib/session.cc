// A Session turns queries into chains (through the file's format), runs
// them on its engine, and turns the final scratch areas into answers.
// Files with a user-supplied function set get an engine of their own, so
// their programs never share memory with another set's chains.
#include <algorithm>
#include <cerrno>
#include <map>

#include "engine.h"
#include "stats.h"

namespace chase {

struct Session::Impl {
    SessionOptions opts;
    EngineKind kind = EngineKind::native;
    std::unique_ptr<Engine> builtin;
    std::map<const FunctionSet *, std::unique_ptr<Engine>> user;
    std::function<void(const HopTrace &)> tracer;

    // Chains whose blocks need preparing (ChainSpec::prep) when the engine
    // is the kernel's: the tagged-fd path hands the function raw device
    // blocks of at most one hop, so these run on the syscall engine (the
    // same BPF functions, verified and run by the kernel through
    // BPF_PROG_RUN); built-in sets fall back to native only if it cannot.
    std::unique_ptr<Engine> builtin_user;
    std::map<const FunctionSet *, std::unique_ptr<Engine>> user_user;

    Status engine_for(const DataFile &f, const ChainSpec &spec, Engine **out) {
        Status st = engine_for(f, out);
        if (!st.ok() || !spec.prep || (*out)->kind() != EngineKind::kernel) return st;
        const FunctionSet *set = f.functions().get();
        std::unique_ptr<Engine> &e = set ? user_user[set] : builtin_user;
        if (!e) {
            st = Engine::create(EngineKind::syscall, set, opts.max_inflight, &e);
            if (!st.ok() && !set)
                st = Engine::create(EngineKind::native, set, opts.max_inflight, &e);
            if (!st.ok()) {
                st.msg = f.path() + ": " + st.msg;
                return st;
            }
            e->set_tracer(tracer);
        }
        *out = e.get();
        return {};
    }

    Status engine_for(const DataFile &f, Engine **out) {
        const FunctionSet *set = f.functions().get();
        if (!set) {
            *out = builtin.get();
            return {};
        }
        auto it = user.find(set);
        if (it == user.end()) {
            std::unique_ptr<Engine> e;
            Status st = Engine::create(kind, set, opts.max_inflight, &e);
            if (!st.ok()) {
                st.msg = f.path() + ": " + st.msg;
                return st;
            }
            e->set_tracer(tracer);
            it = user.emplace(set, std::move(e)).first;
        }
        *out = it->second.get();
        return {};
    }

    std::unique_ptr<ChainSpec> new_spec() {
        auto spec = std::make_unique<ChainSpec>();
        spec->hop_cap = opts.hop_cap;
        return spec;
    }

    // Run one chain to completion on its engine.
    Status run(const DataFile &f, std::unique_ptr<ChainSpec> spec, ChainResult *r,
               std::unique_ptr<ChainSpec> *back) {
        Engine *e;
        Status st = engine_for(f, *spec, &e);
        if (!st.ok()) return st;
        e->submit(f, std::move(spec), [&](ChainSpec &s, const ChainResult &res) {
            *r = res;
            back->reset(new ChainSpec(s));
        });
        return e->drain();
    }
};

Session::Session() : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;

Status Session::create(const SessionOptions &opts, std::unique_ptr<Session> *out) {
    std::unique_ptr<Session> s(new Session);
    s->impl_->opts = opts;
    if (opts.hop_cap == 0) return Status::error(EINVAL, "the hop cap must be at least 1");
    Status st = Engine::create(opts.engine, nullptr, opts.max_inflight, &s->impl_->builtin);
    if (!st.ok()) return st;
    s->impl_->kind = s->impl_->builtin->kind();
    *out = std::move(s);
    return {};
}

EngineKind Session::engine() const {
    return impl_->kind;
}

size_t Session::inflight() const {
    size_t n = impl_->builtin->inflight();
    for (auto &[set, e] : impl_->user) n += e->inflight();
    if (impl_->builtin_user) n += impl_->builtin_user->inflight();
    for (auto &[set, e] : impl_->user_user) n += e->inflight();
    return n;
}

void Session::set_tracer(std::function<void(const HopTrace &)> tracer) {
    impl_->tracer = tracer;
    impl_->builtin->set_tracer(tracer);
    for (auto &[set, e] : impl_->user) e->set_tracer(tracer);
    if (impl_->builtin_user) impl_->builtin_user->set_tracer(tracer);
    for (auto &[set, e] : impl_->user_user) e->set_tracer(tracer);
}

// A scan that has read more blocks than a correct walk of the whole file
// could (every node once, every value window a few times) is going round a
// sibling-link cycle across its resumed chains.
static bool scan_runaway(const DataFile &f, const ChainSpec &last, uint64_t hops, Status *st) {
    uint64_t size = std::max(f.size(), last.file_size);  // a file that grew since it was opened
    uint64_t bound = 4 * (size / CHASE_IO_ALIGN) + 4 * CHASE_DEFAULT_HOP_CAP;
    if (hops <= bound) return false;
    *st = Status::error(ELOOP, "scan read " + std::to_string(hops) +
                                   " blocks, more than the file holds: a cycle in its links");
    return true;
}

// An engine-level failure carries its own words; otherwise the format
// explains the function's result.
static bool engine_error(const ChainResult &r, Status *st) {
    if (r.ret >= 0 || r.error.empty()) return false;
    *st = Status::error(-r.ret, r.error);
    return true;
}

// A format answers EAGAIN when the file changed under the chain (an LMDB
// writer committed and may have reused a page it read); the lookup is run
// again on the new version, a few times, before the caller hears of it.
static constexpr int kStaleRetries = 4;

// spec is the planned chain, or nullptr to plan it again (a retry).
static void submit_get_try(Engine *e, const DataFile &f, std::string key, int tries_left,
                           Session::GetCallback done, unsigned hop_cap,
                           std::unique_ptr<ChainSpec> spec) {
    if (!spec) {
        spec = std::make_unique<ChainSpec>();
        spec->hop_cap = hop_cap;
        Status st = f.format().plan_get(key, spec.get());
        if (!st.ok()) return done(st, {});
    }
    e->submit(f, std::move(spec),
              [e, &f, key = std::move(key), tries_left, done = std::move(done), hop_cap](
                  ChainSpec &s, const ChainResult &r) mutable {
                  std::string value;
                  Status st;
                  if (!engine_error(r, &st)) st = f.format().finish_get(s, r.ret, &value);
                  if (st.err == EAGAIN && tries_left > 0)
                      return submit_get_try(e, f, std::move(key), tries_left - 1, std::move(done),
                                            hop_cap, nullptr);
                  f.counters().record(QueryKind::get, st.err, r.hops, r.latency_ns);
                  done(st, value);
              });
}

Status Session::submit_get(const DataFile &f, std::string_view key, GetCallback done) {
    auto spec = impl_->new_spec();
    Status st = f.format().plan_get(key, spec.get());  // a bad key is refused here
    if (!st.ok()) return st;
    Engine *e;
    st = impl_->engine_for(f, *spec, &e);
    if (!st.ok()) return st;
    submit_get_try(e, f, std::string(key), kStaleRetries, std::move(done), impl_->opts.hop_cap,
                   std::move(spec));
    return {};
}

Status Session::drain() {
    Status st = impl_->builtin->drain();
    auto drain_one = [&](Engine *e) {
        Status s2 = e->drain();
        if (st.ok()) st = s2;
    };
    for (auto &[set, e] : impl_->user) drain_one(e.get());
    if (impl_->builtin_user) drain_one(impl_->builtin_user.get());
    for (auto &[set, e] : impl_->user_user) drain_one(e.get());
    return st;
}

Status Session::get(const DataFile &f, std::string_view key, std::string *value) {
    Status result;
    Status st = submit_get(f, key, [&](const Status &s, std::string_view v) {
        result = s;
        if (s.ok()) value->assign(v);
    });
    if (!st.ok()) return st;
    st = drain();
    return st.ok() ? result : st;
}

Status Session::get_batch(const DataFile &f, const std::vector<std::string> &keys,
                          std::vector<std::optional<std::string>> *values) {
    values->clear();
    const Format &fmt = f.format();
    if (!fmt.can_batch()) {
        values->resize(keys.size());
        Status first;
        for (size_t i = 0; i < keys.size(); i++) {
            Status st = submit_get(f, keys[i], [&, i](const Status &s, std::string_view v) {
                if (s.ok())
                    (*values)[i] = std::string(v);
                else if (s.err != ENOENT && first.ok())
                    first = s;
            });
            if (!st.ok()) return st;
        }
        Status st = drain();
        return st.ok() ? first : st;
    }
    for (size_t at = 0; at < keys.size(); at += fmt.max_batch()) {
        std::vector<std::string> chunk(keys.begin() + at,
                                       keys.begin() + std::min(keys.size(), at + fmt.max_batch()));
        auto spec = impl_->new_spec();
        Status st = fmt.plan_get_batch(chunk, spec.get());
        if (!st.ok()) return st;
        ChainResult r;
        std::unique_ptr<ChainSpec> back;
        st = impl_->run(f, std::move(spec), &r, &back);
        if (!st.ok()) return st;
        size_t before = values->size();
        if (!engine_error(r, &st)) st = fmt.finish_get_batch(*back, r.ret, values);
        // Every key counts as a lookup, with its batch's latency; the hops
        // are the chain's.
        for (size_t k = 0; k < chunk.size(); k++) {
            bool miss = st.ok() && before + k < values->size() && !(*values)[before + k];
            f.counters().record(QueryKind::get, miss ? ENOENT : st.err, k ? 0 : r.hops,
                                r.latency_ns);
        }
        if (!st.ok()) return st;
    }
    return {};
}

Status Session::range(const DataFile &f, std::string_view lo, std::string_view hi, size_t limit,
                      std::vector<Record> *out) {
    ScanCursor cur;
    cur.lo = lo;
    cur.hi = hi;
    cur.limit = limit;
    uint64_t t0 = now_ns(), hops = 0;
    Status st;
    while (st.ok() && !cur.finished) {
        auto spec = impl_->new_spec();
        st = f.format().plan_range(&cur, spec.get());
        if (!st.ok()) break;
        ChainResult r;
        std::unique_ptr<ChainSpec> back;
        st = impl_->run(f, std::move(spec), &r, &back);
        if (!st.ok()) break;
        hops += r.hops;
        if (!engine_error(r, &st)) st = f.format().finish_range(&cur, *back, r.ret, out);
        if (st.ok()) scan_runaway(f, *back, hops, &st);
    }
    f.counters().record(QueryKind::range, st.err, hops, now_ns() - t0);
    return st;
}

Status Session::aggregate(const DataFile &f, std::string_view lo, std::string_view hi,
                          const AggSpec &spec, AggResult *out) {
    ScanCursor cur;
    cur.lo = lo;
    cur.hi = hi;
    *out = {};
    uint64_t t0 = now_ns(), hops = 0;
    Status st;
    while (st.ok() && !cur.finished) {
        auto chain = impl_->new_spec();
        st = f.format().plan_aggregate(&cur, spec, chain.get());
        if (!st.ok()) break;
        ChainResult r;
        std::unique_ptr<ChainSpec> back;
        st = impl_->run(f, std::move(chain), &r, &back);
        if (!st.ok()) break;
        hops += r.hops;
        if (!engine_error(r, &st)) st = f.format().finish_aggregate(&cur, *back, r.ret, out);
        if (st.ok()) scan_runaway(f, *back, hops, &st);
    }
    f.counters().record(QueryKind::aggregate, st.err, hops, now_ns() - t0);
    return st;
}

}  // namespace chase
