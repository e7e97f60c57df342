#include "engine_user.h"

#include "block_cache.h"
#include "extent_cache.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chase {

namespace {

// The longest read a BlockPrep may ask for: a block and its trailer.
constexpr uint64_t kMaxPrepSpan = 4u << 20;
constexpr uint32_t kKeptBounce = 64u << 10;  // a TiKV block and its sectors

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

UserEngine::UserEngine(std::unique_ptr<Backend> backend, unsigned max_chains, unsigned nslots)
    : backend_(std::move(backend)),
      slot_bounce_(nslots),
      chains_(max_chains),
      slot_chain_(nslots),
      slot_res_(nslots),
      slot_how_(nslots),
      nslots_(nslots) {
    for (unsigned c = max_chains; c-- > 0;) free_chains_.push_back(c);
    for (unsigned s = nslots; s-- > 0;) free_slots_.push_back(s);
}

UserEngine::~UserEngine() = default;

// The slot's buffer for a prepared read of len bytes (nullptr: no memory).
// A slot keeps its buffer for the next read unless it is larger than most
// blocks are: an allocation per read was a tenth of an SST lookup's CPU.
uint8_t *UserEngine::bounce_for(unsigned slot, uint32_t len) {
    Bounce &b = slot_bounce_[slot];
    if (b.cap >= len) return b.buf.get();
    b.buf.reset();
    b.cap = 0;
    void *p = nullptr;
    if (posix_memalign(&p, 4096, len)) return nullptr;
    b.buf.reset(static_cast<uint8_t *>(p));
    b.cap = len;
    return b.buf.get();
}

void UserEngine::release_bounce(unsigned slot) {
    Bounce &b = slot_bounce_[slot];
    if (b.cap > kKeptBounce) {
        b.buf.reset();
        b.cap = 0;
    }
}

Status UserEngine::init() {
    Status st = ring_.init(std::max(nslots_, 8u));
    if (!st.ok()) return st;
    uint8_t *base;
    size_t len;
    backend_->block_area(&base, &len);
    ring_.register_buffer(base, len);
    // Below half the chains at the device, a new read goes out at once
    // (CHASE_EAGER_BELOW overrides, for A/B measurements; 0 = batch all).
    const char *eager = getenv("CHASE_EAGER_BELOW");
    ring_.set_eager_below(eager ? unsigned(atoi(eager))
                                : std::max(1u, unsigned(chains_.size()) / 2));
    return {};
}

void UserEngine::submit(const DataFile &file, std::unique_ptr<ChainSpec> spec, Done done) {
    Waiting w{&file, std::move(spec), std::move(done)};
    if (free_chains_.empty()) {
        waiting_.push_back(std::move(w));
        return;
    }
    unsigned c = free_chains_.back();
    free_chains_.pop_back();
    start(c, std::move(w));
}

void UserEngine::start(unsigned c, Waiting w) {
    Chain &ch = chains_[c];
    ch.file = w.file;
    ch.spec = std::move(w.spec);
    ch.done = std::move(w.done);
    ch.t0 = now_ns();
    ch.id = next_id_++;
    ch.hops = 0;
    ch.round.clear();
    ch.next.clear();
    ch.outstanding = ch.pending_calls = 0;
    ch.end = 0;
    ch.error.clear();
    ch.starting = true;
    active_++;
    memcpy(backend_->scratch(c), ch.spec->scratch, CHASE_SCRATCH_SIZE);
    if (!issue_round(c)) blocked_.push_back(c);
}

void UserEngine::prepare_hop(unsigned slot, const Chain &ch, uint64_t off, uint32_t len,
                             uint32_t hop_no, uint32_t how) {
    chase_hop *h = backend_->hop(slot);
    memset(h, 0, sizeof *h);
    h->offset = off;
    h->file_size = std::max(ch.file->size(), ch.spec->file_size);
    h->len = len;
    h->hop = hop_no;
    slot_how_[slot] = how;
}

// Take the slots for the chain's next round (or its start call) and issue
// the reads; false if not enough slots are free yet.
bool UserEngine::issue_round(unsigned c) {
    Chain &ch = chains_[c];
    if (ch.starting) {
        if (free_slots_.empty()) return false;
        unsigned slot = take_slot(c);
        ch.starting = false;
        prepare_hop(slot, ch, 0, 0, 0);
        ch.pending_calls = 1;
        ready_.push_back({c, slot});
        return true;
    }
    if (free_slots_.size() < ch.next.size()) return false;
    // One chain alone with one read: a synchronous pread is one kernel
    // crossing where io_uring's submit-and-wait is one plus a wakeup.
    bool alone = active_ == 1 && waiting_.empty() && ring_.in_flight() == 0 &&
                 ch.next.size() == 1 && sync_reads_;
    BlockCache *cache = ch.spec->cache_tag ? ch.file->cache() : nullptr;
    std::vector<Read> hits;  // served from the cache, handed in after the loop
    for (auto [off, len] : ch.next) {
        uint64_t aligned = off & ~uint64_t(CHASE_IO_ALIGN - 1);
        if (ch.spec->prep && !ch.spec->mem.empty() && off >= ch.spec->mem_base) {
            // A window of the prepared block: no read.
            uint64_t at = off - ch.spec->mem_base;
            uint32_t n = uint32_t(
                std::min<uint64_t>({uint64_t(len ? len : CHASE_BLOCK_SIZE), CHASE_BLOCK_SIZE,
                                    at < ch.spec->mem.size() ? ch.spec->mem.size() - at : 0}));
            unsigned slot = take_slot(c);
            if (n) memcpy(backend_->block(slot), ch.spec->mem.data() + at, n);
            Read r{off, n, slot};
            r.want_off = off;
            r.want_len = n;
            r.mem = true;
            ch.round.push_back(r);
            hits.push_back(r);
            continue;
        }
        if (ch.spec->prep) {
            uint32_t want = len ? len : CHASE_BLOCK_SIZE;
            uint64_t span =
                std::min<uint64_t>(kMaxPrepSpan, ((off - aligned) + want + CHASE_IO_ALIGN - 1) &
                                                     ~uint64_t(CHASE_IO_ALIGN - 1));
            unsigned slot = take_slot(c);
            uint8_t *buf = bounce_for(slot, uint32_t(span));
            ch.round.push_back({aligned, uint32_t(span), slot, buf, off, want});
            if (!buf) {
                hits.push_back(ch.round.back());  // fails in prepare_block, no read
                continue;
            }
            ExtentCache *xc = ch.spec->cache_tag ? ch.file->extent_cache() : nullptr;
            if (xc && (off - aligned) + want <= span &&
                xc->get(off, want, ch.spec->cache_tag, ch.round.back().bounce + (off - aligned))) {
                ch.round.back().cached = true;  // prepare() checks it again all the same
                hits.push_back(ch.round.back());
                continue;
            }
            if (!alone) ring_.read(ch.file->direct_fd(), buf, uint32_t(span), aligned, slot);
            continue;
        }
        uint64_t want = (off - aligned) + (len ? len : CHASE_BLOCK_SIZE);
        uint32_t rl = uint32_t(std::min<uint64_t>(
            CHASE_BLOCK_SIZE, (want + CHASE_IO_ALIGN - 1) & ~uint64_t(CHASE_IO_ALIGN - 1)));
        unsigned slot = take_slot(c);
        ch.round.push_back({aligned, rl, slot});
        if (cache && rl == BlockCache::kBlock &&
            cache->get(aligned, ch.spec->cache_tag, backend_->block(slot))) {
            ch.round.back().cached = true;
            hits.push_back(ch.round.back());
            continue;
        }
        if (!alone) ring_.read(ch.file->direct_fd(), backend_->block(slot), rl, aligned, slot);
    }
    ch.outstanding = unsigned(ch.next.size());
    ch.next.clear();
    if (alone && hits.empty()) {
        const Read &r = ch.round.front();
        ssize_t got = pread(ch.file->direct_fd(), r.bounce ? r.bounce : backend_->block(r.slot),
                            r.len, r.off);
        on_read(r.slot, got < 0 ? -errno : int(got));
    }
    for (const Read &r : hits)
        on_read(r.slot, r.bounce || r.mem || !ch.spec->prep ? int(r.len) : -ENOMEM,
                /*from_cache=*/true);
    return true;
}

bool UserEngine::prepare_block(unsigned c, Read &r, int got) {
    Chain &ch = chains_[c];
    uint32_t out_len = 0, how = 0;
    uint64_t hop_off = r.want_off;
    if (got < 0 && ch.end >= 0) {
        ch.end = got;
        ch.error = "read of " + std::to_string(r.want_len) + " bytes at " + hex(r.want_off) +
                   " failed: " + strerror(-got);
    } else if (ch.end >= 0) {
        uint64_t skip = r.want_off - r.off;
        uint32_t have =
            uint64_t(got) > skip ? uint32_t(std::min<uint64_t>(got - skip, r.want_len)) : 0;
        Status st =
            ch.spec->prep->prepare(*ch.spec, backend_->scratch(c), r.want_off, r.bounce + skip,
                                   have, backend_->block(r.slot), &out_len, &hop_off, &how);
        if (!st.ok()) {
            ch.end = -st.err;
            ch.error = st.msg;
            out_len = 0;
        } else if (ExtentCache *xc = ch.spec->cache_tag ? ch.file->extent_cache() : nullptr;
                   xc && !r.cached && have == r.want_len) {
            xc->put(r.want_off, have, ch.spec->cache_tag, r.bounce + skip);  // checked: keep it
        }
    }
    release_bounce(r.slot);
    r.bounce = nullptr;
    out_len = std::min(out_len, CHASE_BLOCK_SIZE);
    prepare_hop(r.slot, ch, hop_off, out_len, ++ch.hops, (r.cached ? kHopCache : kHopRead) | how);
    memset(backend_->block(r.slot) + out_len, 0, CHASE_BLOCK_SIZE - out_len);
    return ch.end >= 0;
}

unsigned UserEngine::take_slot(unsigned c) {
    unsigned s = free_slots_.back();
    free_slots_.pop_back();
    slot_chain_[s] = c;
    return s;
}

void UserEngine::on_read(unsigned slot, int res, bool from_cache) {
    unsigned c = slot_chain_[slot];
    Chain &ch = chains_[c];
    BlockCache *cache = ch.spec->cache_tag ? ch.file->cache() : nullptr;
    if (cache && !from_cache && res == int(BlockCache::kBlock))
        cache->put(ch.round_offset(slot), ch.spec->cache_tag, backend_->block(slot));
    slot_res_[slot] = res;
    if (--ch.outstanding) return;
    ch.spec->reads_done_ns = now_ns();  // the round's last read is in
    // The whole round is back: hand its blocks to the function in order.
    for (Read &r : ch.round) {
        int got = slot_res_[r.slot];
        if (r.mem) {
            prepare_hop(r.slot, ch, r.want_off, uint32_t(got), ++ch.hops, kHopMemory);
            memset(backend_->block(r.slot) + got, 0, CHASE_BLOCK_SIZE - got);
            continue;
        }
        if (r.bounce || ch.spec->prep) {
            prepare_block(c, r, got);
            continue;
        }
        if (got < 0 && ch.end >= 0) {
            ch.end = got;
            ch.error = "read of " + std::to_string(r.len) + " bytes at " + hex(r.off) +
                       " failed: " + strerror(-got);
        }
        prepare_hop(r.slot, ch, r.off, got > 0 ? uint32_t(got) : 0, ++ch.hops,
                    r.cached ? kHopCache : kHopRead);
        if (got >= 0 && uint32_t(got) < r.len)  // short read at EOF: no stale bytes
            memset(backend_->block(r.slot) + got, 0, CHASE_BLOCK_SIZE - got);
    }
    if (ch.end < 0) {
        for (const Read &r : ch.round) free_slots_.push_back(r.slot);
        ch.round.clear();
        finish(c, ch.end, ch.error);
        return;
    }
    ch.pending_calls = unsigned(ch.round.size());
    for (const Read &r : ch.round) ready_.push_back({c, r.slot});
    ch.round.clear();
}

// Run every hop whose block is in, batched per function.
void UserEngine::run_ready() {
    std::vector<std::pair<unsigned, unsigned>> batch;
    batch.swap(ready_);
    std::stable_sort(batch.begin(), batch.end(), [&](auto &a, auto &b) {
        return chains_[a.first].spec->fn < chains_[b.first].spec->fn;
    });
    std::vector<chase_batch_entry> entries;
    for (size_t i = 0; i < batch.size();) {
        const Function *fn = chains_[batch[i].first].spec->fn;
        size_t j = i;
        entries.clear();
        while (j < batch.size() && chains_[batch[j].first].spec->fn == fn &&
               entries.size() < CHASE_MAX_BATCH) {
            entries.push_back({batch[j].second, batch[j].first});
            j++;
        }
        Status st = backend_->run(*fn, entries.data(), unsigned(entries.size()));
        for (size_t k = i; k < j; k++) {
            auto [c, slot] = batch[k];
            if (!st.ok()) {
                backend_->hop(slot)->ret = -st.err;
                if (chains_[c].end >= 0) chains_[c].error = st.msg;
            }
            collect(c, slot);
        }
        i = j;
    }
}

// Take one hop's outcome into its chain.
void UserEngine::collect(unsigned c, unsigned slot) {
    Chain &ch = chains_[c];
    const chase_hop *h = backend_->hop(slot);
    int ret = h->ret;
    if (tracer_)
        tracer_(HopTrace{ch.id, h->hop, h->offset, h->len, ret, now_ns() - ch.t0, slot_how_[slot],
                         kind()});
    if (ret < 0) {
        if (ch.end >= 0) ch.end = ret;
    } else if (ret == CHASE_DONE) {
        if (ch.end == 0) ch.end = CHASE_DONE;
    } else if (ret != CHASE_CONTINUE) {
        if (ch.end >= 0) {
            ch.end = -CHASE_E_PROTO;
            ch.error = "storage function returned " + std::to_string(ret) +
                       ", not CONTINUE, DONE or -errno";
        }
    } else if (h->n_next > CHASE_MAX_FANOUT) {
        if (ch.end >= 0) {
            ch.end = -CHASE_E_FANOUT;
            ch.error = "storage function asked for " + std::to_string(h->n_next) +
                       " reads in one hop (at most " + std::to_string(CHASE_MAX_FANOUT) + ")";
        }
    } else {
        for (unsigned i = 0; i < h->n_next; i++) {
            if (h->next_off[i] >= h->file_size) {
                if (ch.end >= 0) {
                    ch.end = -CHASE_E_RANGE;
                    ch.error = "next read at " + hex(h->next_off[i]) +
                               " is outside the file (size " + std::to_string(h->file_size) +
                               ") at hop " + std::to_string(h->hop);
                }
                break;
            }
            ch.next.push_back({h->next_off[i], h->next_len[i]});
        }
    }
    free_slots_.push_back(slot);
    if (--ch.pending_calls == 0) finish_round(c);
}

void UserEngine::finish_round(unsigned c) {
    Chain &ch = chains_[c];
    if (ch.end != 0) return finish(c, ch.end, ch.error);
    if (ch.next.empty())
        return finish(c, -CHASE_E_PROTO,
                      "storage function returned CONTINUE without asking for a read");
    if (ch.next.size() > CHASE_MAX_FANOUT)
        return finish(c, -CHASE_E_FANOUT,
                      "one round asked for " + std::to_string(ch.next.size()) + " reads (at most " +
                          std::to_string(CHASE_MAX_FANOUT) + ")");
    if (ch.hops + ch.next.size() > ch.spec->hop_cap)
        return finish(c, -CHASE_E_HOPCAP,
                      "hop cap of " + std::to_string(ch.spec->hop_cap) +
                          " reached (a pointer cycle or a runaway function)");
    if (!blocked_.empty() || !issue_round(c)) blocked_.push_back(c);
}

void UserEngine::finish(unsigned c, int ret, std::string error) {
    Chain &ch = chains_[c];
    memcpy(ch.spec->scratch, backend_->scratch(c), CHASE_SCRATCH_SIZE);
    ChainResult r{ret, std::move(error), ch.hops, now_ns() - ch.t0};
    auto spec = std::move(ch.spec);
    auto done = std::move(ch.done);
    ch.next.clear();
    active_--;
    free_chains_.push_back(c);
    if (!waiting_.empty()) {
        Waiting w = std::move(waiting_.front());
        waiting_.pop_front();
        unsigned n = free_chains_.back();
        free_chains_.pop_back();
        start(n, std::move(w));
    }
    done(*spec, r);
}

Status UserEngine::drain() {
    while (active_ > 0 || !waiting_.empty()) {
        while (!blocked_.empty() && issue_round(blocked_.front())) blocked_.pop_front();
        if (!ready_.empty()) {
            run_ready();
            continue;
        }
        if (ring_.in_flight() == 0) {
            if (active_ == 0 && waiting_.empty()) break;
            return Status::error(EDEADLK, "chain engine stalled: " + std::to_string(active_) +
                                              " chains active, no read in flight");
        }
        Status st = ring_.wait(1, [&](uint64_t slot, int res) { on_read(unsigned(slot), res); });
        if (!st.ok()) return st;
    }
    return {};
}

Status make_user_engine(EngineKind kind, const FunctionSet *fns, unsigned max_chains,
                        std::unique_ptr<Engine> *out) {
    unsigned nslots = std::max(2 * max_chains, max_chains + CHASE_MAX_FANOUT);
    std::unique_ptr<Backend> backend;
    if (kind == EngineKind::native) {
        if (fns && fns != &builtin_functions())
            return Status::error(EOPNOTSUPP,
                                 "the native engine runs built-in functions only; "
                                 "user-supplied BPF objects need the syscall or kernel engine");
        backend = make_native_backend(nslots, max_chains);
    } else {
        Status st = make_syscall_backend(fns, nslots, max_chains, &backend);
        if (!st.ok()) return st;
    }
    auto engine = std::make_unique<UserEngine>(std::move(backend), max_chains, nslots);
    Status st = engine->init();
    if (!st.ok()) return st;
    *out = std::move(engine);
    return {};
}

}  // namespace chase
