// A format adapter turns a query into a chain (which storage function, what
// goes into its scratch area) and the scratch area after the chain into an
// answer.  One adapter per on-disk format; engines never look inside.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chase/chase.h"
#include "function.h"

namespace chase {

struct ChainSpec;

// Blocks a format must check or transform before its function may read
// them: a checksum to verify, a compressed block to inflate.  A chain that
// carries one gets every read exactly as asked, [off, off + len) however it
// straddles sectors, and its function sees what prepare() made of it.
// Only the user-space engines see each block; the kernel runs a chain
// without coming back, so a Session runs these chains on a user-space
// engine when its engine is the kernel's.
class BlockPrep {
   public:
    virtual ~BlockPrep() = default;
    // data: the file's bytes [off, off + len) (fewer at the end of the file).
    // Writes at most CHASE_BLOCK_SIZE bytes to out, their count to *out_len
    // and the offset the function is to see them at to *out_off (off, or
    // a place in spec.mem); may update the chain's scratch area (the
    // engine's live copy) and put a block too large for one hop into
    // spec.mem, whose windows the chain then reads.
    // *how gets kHopChecked and kHopDecompressed as they apply (the trace).
    virtual Status prepare(ChainSpec &spec, uint8_t *scratch, uint64_t off, const uint8_t *data,
                           uint32_t len, uint8_t *out, uint32_t *out_len, uint64_t *out_off,
                           uint32_t *how) const = 0;
};

// What an engine runs: one storage function over one file, with its query.
struct ChainSpec {
    const Function *fn = nullptr;
    alignas(64) uint8_t scratch[CHASE_SCRATCH_SIZE] = {};
    unsigned hop_cap = CHASE_DEFAULT_HOP_CAP;
    // Nonzero: this chain may read blocks from the file's block cache that
    // were stored under the same tag, and stores what it reads under it
    // (block_cache.h says who may set it).
    uint64_t cache_tag = 0;
    // Nonzero: the file's size as the format last saw it, when that is more
    // than DataFile::size() (a file that grows in place, like LMDB's).
    uint64_t file_size = 0;
    // Set by the user-space engines: now_ns() when the chain's last read was
    // seen complete (0 = unknown).  A format's check of the file made after
    // this moment covers every block the chain read.
    uint64_t reads_done_ns = 0;
    // Set by formats whose blocks need preparing (see BlockPrep).
    const BlockPrep *prep = nullptr;
    // A prepared block larger than a hop: the chain's reads at offsets in
    // [mem_base, mem_base + mem.size()) (past the end of the file; file_size
    // covers them) are served from it, a window of up to a block at a time.
    std::string mem;
    uint64_t mem_base = 0;
};

// A range or aggregate runs as several chains, each resuming where the last
// one stopped; the adapter keeps its resume point here between them.
struct ScanCursor {
    std::string lo, hi;  // text keys as the user gave them ("" = unbounded)
    size_t limit = 0;    // records wanted (range), 0 = all
    size_t taken = 0;    // records returned so far
    bool started = false;
    bool finished = false;
    uint8_t state[64] = {};  // adapter-private resume point
};

class Format {
   public:
    virtual ~Format() = default;
    virtual const char *name() const = 0;
    virtual std::string geometry() const = 0;
    // Levels of the structure (reads per point lookup, for planning).
    virtual unsigned depth() const = 0;

    virtual Status plan_get(std::string_view key, ChainSpec *c) const = 0;
    // ret is the chain's result: CHASE_DONE or -errno.
    virtual Status finish_get(const ChainSpec &c, int ret, std::string *value) const = 0;

    // Batches: formats that cannot batch in one chain return false here and
    // the session runs one chain per key.
    // Its chains carry a BlockPrep: the file's cache is an ExtentCache.
    virtual bool prepares_blocks() const { return false; }
    virtual bool can_batch() const { return false; }
    virtual size_t max_batch() const { return 1; }
    virtual Status plan_get_batch(const std::vector<std::string> &keys, ChainSpec *c) const;
    virtual Status finish_get_batch(const ChainSpec &c, int ret,
                                    std::vector<std::optional<std::string>> *values) const;

    virtual Status plan_range(ScanCursor *cur, ChainSpec *c) const;
    virtual Status finish_range(ScanCursor *cur, const ChainSpec &c, int ret,
                                std::vector<Record> *out) const;
    virtual Status plan_aggregate(ScanCursor *cur, const AggSpec &spec, ChainSpec *c) const;
    virtual Status finish_aggregate(ScanCursor *cur, const ChainSpec &c, int ret,
                                    AggResult *acc) const;
};

// Recognise the file (by magic number, or by the format named in opts or in
// the user.chase.fn attribute) and build its adapter.  fd is a buffered fd of
// the file, size its size.  Functions come from the built-in set unless the
// caller passes a user-supplied one.
Status open_format(int fd, uint64_t size, const std::string &format_name,
                   const std::shared_ptr<FunctionSet> &user_fns, std::unique_ptr<Format> *out);

// The format a file looks like: by magic number, or for formats without one
// (cdb) by a structural check of its header; "" if none.  For attach --detect.
std::string detect_format(int fd, uint64_t size);
// The format whose magic number the file begins with, or "" (no structural
// guesses: those are detect_format's).
std::string sniff_format(int fd, uint64_t size);

// Names of the formats that can be named explicitly.
std::vector<std::string> format_names();

}  // namespace chase
