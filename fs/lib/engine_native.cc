// The native backend: blocks, scratch areas and hop records in ordinary
// memory, and the storage function compiled into libchase.  Needs no
// privilege; trusted (built-in) functions only.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine_user.h"

namespace chase {

namespace {

struct FreeDeleter {
    void operator()(void *p) const { free(p); }
};
using Memory = std::unique_ptr<uint8_t, FreeDeleter>;

Memory alloc_pages(size_t bytes) {
    void *p = aligned_alloc(4096, (bytes + 4095) & ~size_t(4095));
    if (!p) throw std::bad_alloc();
    memset(p, 0, bytes);
    return Memory(static_cast<uint8_t *>(p));
}

class NativeBackend final : public Backend {
   public:
    NativeBackend(unsigned nslots, unsigned nchains)
        : nslots_(nslots),
          blocks_(alloc_pages(size_t(nslots) * CHASE_BLOCK_SIZE)),
          scratch_(alloc_pages(size_t(nchains) * CHASE_SCRATCH_SIZE)),
          hops_(nslots) {}

    EngineKind kind() const override { return EngineKind::native; }
    uint8_t *block(unsigned slot) override {
        return blocks_.get() + size_t(slot) * CHASE_BLOCK_SIZE;
    }
    uint8_t *scratch(unsigned c) override {
        return scratch_.get() + size_t(c) * CHASE_SCRATCH_SIZE;
    }
    chase_hop *hop(unsigned slot) override { return &hops_[slot]; }
    void block_area(uint8_t **base, size_t *len) override {
        *base = blocks_.get();
        *len = size_t(nslots_) * CHASE_BLOCK_SIZE;
    }

    Status run(const Function &fn, const chase_batch_entry *batch, unsigned n) override {
        if (!fn.native)
            return Status::error(EOPNOTSUPP, "function " + fn.name + " has no native build");
        for (unsigned i = 0; i < n; i++) {
            chase_ctx ctx{block(batch[i].slot), scratch(batch[i].chain), hop(batch[i].slot)};
            ctx.hop->ret = fn.native(&ctx);
        }
        return {};
    }

   private:
    unsigned nslots_;
    Memory blocks_, scratch_;
    std::vector<chase_hop> hops_;
};

}  // namespace

std::unique_ptr<Backend> make_native_backend(unsigned nslots, unsigned nchains) {
    return std::make_unique<NativeBackend>(nslots, nchains);
}

}  // namespace chase
