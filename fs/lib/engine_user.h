// The user-space chain engine: the chain table, the slot pool and the
// io_uring, with a Backend that owns the memory blocks, scratch areas and
// hop records live in and runs the storage function on completed hops.
//
//   submit() ──► start call ──► Backend::run (a batch of hops) ──► next reads
//        ▲                                                           │
//        └──── chain done ◄── Backend::run ◄── io_uring O_DIRECT ◄───┘
//
// Rounds.  The reads a hop asks for form the chain's next round.  All reads
// of a round are issued together; when all are back, the function runs on
// each block in the order it asked for them, every call seeing the scratch
// the previous one left.  A round ends the chain with the first negative
// return, else with CHASE_DONE if any call returned it, else the union of
// the reads the calls asked for is the next round.
#pragma once

#include <cstdlib>
#include <deque>
#include <vector>

#include "engine.h"
#include "io_ring.h"

namespace chase {

class Backend {
   public:
    virtual ~Backend() = default;
    virtual EngineKind kind() const = 0;
    // Memory: nslots blocks and hop records, nchains scratch areas.
    virtual uint8_t *block(unsigned slot) = 0;  // CHASE_BLOCK_SIZE, page-aligned
    virtual uint8_t *scratch(unsigned chain) = 0;
    virtual chase_hop *hop(unsigned slot) = 0;
    // The block area as one range, for io_uring buffer registration.
    virtual void block_area(uint8_t **base, size_t *len) = 0;
    // Run fn on each entry in order; each result goes to hop(slot)->ret.
    virtual Status run(const Function &fn, const chase_batch_entry *batch, unsigned n) = 0;
};

class UserEngine final : public Engine {
   public:
    UserEngine(std::unique_ptr<Backend> backend, unsigned max_chains, unsigned nslots);
    ~UserEngine() override;
    Status init();

    EngineKind kind() const override { return backend_->kind(); }
    void submit(const DataFile &file, std::unique_ptr<ChainSpec> spec, Done done) override;
    Status drain() override;
    size_t inflight() const override { return active_ + waiting_.size(); }
    void set_tracer(std::function<void(const HopTrace &)> t) override { tracer_ = std::move(t); }

   private:
    struct Read {
        uint64_t off;  // 512-aligned
        uint32_t len;
        unsigned slot;
        // A read for a BlockPrep: the aligned span lands here, and the
        // function gets [want_off, want_off + want_len) as prepared.
        uint8_t *bounce = nullptr;
        uint64_t want_off = 0;
        uint32_t want_len = 0;
        bool mem = false;     // a window of ChainSpec::mem, copied in already
        bool cached = false;  // served from the file's block cache
    };
    struct Chain {
        const DataFile *file = nullptr;
        std::unique_ptr<ChainSpec> spec;
        Done done;
        uint64_t t0 = 0, id = 0;
        uint32_t hops = 0;                                // blocks handed to the function so far
        bool starting = false;                            // the start call has not run yet
        std::vector<Read> round;                          // reads at the device
        unsigned outstanding = 0;                         // of them, not yet back
        unsigned pending_calls = 0;                       // hops of this round not yet run
        std::vector<std::pair<uint64_t, uint32_t>> next;  // asked for in this round
        int end = 0;                                      // 0 = running, else the chain's result
        std::string error;

        uint64_t round_offset(unsigned slot) const {
            for (const Read &r : round)
                if (r.slot == slot) return r.off;
            return 0;
        }
    };
    struct Waiting {
        const DataFile *file;
        std::unique_ptr<ChainSpec> spec;
        Done done;
    };

    void start(unsigned c, Waiting w);
    bool issue_round(unsigned c);
    unsigned take_slot(unsigned c);
    // how: the kHop* bits the tracer reports for this hop's block.
    void prepare_hop(unsigned slot, const Chain &ch, uint64_t off, uint32_t len, uint32_t hop,
                     uint32_t how = 0);
    // The hop of a read made for a BlockPrep; false if the chain failed.
    bool prepare_block(unsigned c, Read &r, int got);
    // from_cache: the block came from the file's block cache, not the disk.
    void on_read(unsigned slot, int res, bool from_cache = false);
    void run_ready();
    void collect(unsigned c, unsigned slot);
    void finish_round(unsigned c);
    void finish(unsigned c, int ret, std::string error = {});

    uint8_t *bounce_for(unsigned slot, uint32_t len);
    void release_bounce(unsigned slot);

    std::unique_ptr<Backend> backend_;
    // Prepared reads (BlockPrep) land in their slot's buffer.  Declared
    // before ring_ so that they outlive it (and any read still in flight).
    struct Bounce {
        std::unique_ptr<uint8_t, decltype(&free)> buf{nullptr, &free};
        uint32_t cap = 0;
    };
    std::vector<Bounce> slot_bounce_;
    IoRing ring_;
    std::vector<Chain> chains_;
    std::vector<unsigned> slot_chain_;  // which chain holds each slot
    std::vector<int> slot_res_;         // the read's result, until the round is in
    std::vector<uint32_t> slot_how_;    // kHop* bits of the slot's block, for the tracer
    unsigned nslots_;
    std::vector<unsigned> free_chains_, free_slots_;
    std::deque<Waiting> waiting_;   // submitted, no chain slot yet
    std::deque<unsigned> blocked_;  // rounds waiting for enough free slots (FIFO)
    std::vector<std::pair<unsigned, unsigned>> ready_;  // (chain, slot) to run
    unsigned active_ = 0;
    uint64_t next_id_ = 1;
    bool sync_reads_ = getenv("CHASE_NO_SYNC_READS") == nullptr;  // for A/B measurements
    std::function<void(const HopTrace &)> tracer_;
};

std::unique_ptr<Backend> make_native_backend(unsigned nslots, unsigned nchains);
Status make_syscall_backend(const FunctionSet *fns, unsigned nslots, unsigned nchains,
                            std::unique_ptr<Backend> *out);

}  // namespace chase
