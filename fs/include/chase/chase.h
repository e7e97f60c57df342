// libchase: run storage functions over data files.
//
//   auto file = chase::DataFile::open("users.db");      // shared, thread-safe
//   auto session = chase::Session::create({});          // one per thread
//   std::string v;
//   chase::Status st = session->get(*file, "42", &v);   // st.err == ENOENT if absent
//
// A DataFile is an opened file whose format was recognised (or named), with
// its statistics.  A Session owns an engine: an io_uring, the block and
// scratch slots of its chains in flight, and the loaded programs.  Sessions
// are not shared between threads; DataFiles are.
//
// Keys are given in the format's text form: a decimal u64 for the chase
// B+-tree, the raw bytes for LMDB and cdb.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chase {

// errno plus a sentence; errors are values on every query path.
struct Status {
    int err = 0;
    std::string msg;

    bool ok() const { return err == 0; }
    static Status error(int err, std::string msg) { return Status{err, std::move(msg)}; }
    // "ENOENT: key 42 not found" style text.
    std::string to_string() const;
};

enum class EngineKind { automatic, kernel, syscall, native };
const char *engine_name(EngineKind kind);
std::optional<EngineKind> parse_engine(std::string_view name);

struct Record {
    std::string key;  // text form, as accepted by get()
    std::string value;
};

enum class FilterOp { none, lt, le, eq, ne, ge, gt };
std::optional<FilterOp> parse_filter_op(std::string_view op);

struct AggSpec {
    FilterOp op = FilterOp::none;  // applied to the value read as a decimal number
    uint64_t arg = 0;
    bool want_sum = false;  // a plain count reads no values
};

struct AggResult {
    uint64_t count = 0;    // records in range passing the filter
    uint64_t sum = 0;      // of their numeric values, mod 2^64
    uint64_t numeric = 0;  // of those, how many had a numeric value
    bool overflow = false;
};

// Counters of one data file, summed over every session that used it.
struct Stats {
    uint64_t lookups = 0, ranges = 0, aggregates = 0;
    uint64_t hops = 0;    // blocks handed to the function
    uint64_t errors = 0;  // chains that ended in an error other than ENOENT
    uint64_t not_found = 0;
    uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0;  // query latency
    uint64_t cache_hits = 0;  // blocks served from the block cache, not the disk
};

// Whose permissions a BPF object file is read with.  The daemon reads the
// objects its users name as those users would (their uid, gid and
// supplementary groups, see object_file.h); a tool reads as itself.
struct Credentials {
    uint32_t uid = 0, gid = 0;
    std::vector<uint32_t> groups;  // supplementary groups
};

// The largest BPF object file libchase reads (bytes).  Storage functions are
// a few KiB to a few hundred KiB; the cap keeps a hostile path from growing
// the reader without bound.
inline constexpr uint64_t kMaxObjectBytes = 8u << 20;

struct OpenOptions {
    std::string format;    // "" = recognise by magic number / user.chase.fn
    std::string function;  // a BPF object to run instead of the built-in one
    // Read `function` (or the object user.chase.fn names) with these
    // credentials instead of the process's own.
    std::optional<Credentials> object_reader;
    // Memory for blocks kept between chains (formats that can prove a
    // cached block current: LMDB by its snapshot, SST tables, which are
    // immutable).  0 = every hop reads the disk.
    uint64_t cache_bytes = 0;
};

class Format;
class FunctionSet;
class BlockCache;
class ExtentCache;

class DataFile {
   public:
    static Status open(const std::string &path, const OpenOptions &opts,
                       std::shared_ptr<DataFile> *out);
    // Whether open() would take the file at fd (readable, any offset) for a
    // data file without being told its format: it carries user.chase.fn, or
    // begins with a known magic number.  Cheap (one xattr, one 4 KiB read);
    // formats without a magic number count only with the attribute.
    static bool looks_like_one(int fd);
    ~DataFile();

    const std::string &path() const { return path_; }
    uint64_t size() const { return size_; }
    // O_DIRECT fd the engines read through (a buffered one where the
    // filesystem has no O_DIRECT), and a buffered fd for the format's own reads.
    int direct_fd() const { return dfd_; }
    int buffered_fd() const { return bfd_; }
    const Format &format() const { return *format_; }
    std::string format_name() const;
    // "key=value" lines describing the structure (depth, keys, ...).
    std::string geometry() const;
    // Identity of the backing file when it was opened (for staleness checks).
    uint64_t dev() const { return dev_; }
    uint64_t ino() const { return ino_; }
    int64_t mtime_ns() const { return mtime_ns_; }

    Stats stats() const;
    void reset_stats();

    // Internal: the statistics sink the engines report into.
    struct Counters;
    Counters &counters() const { return *counters_; }
    const std::shared_ptr<FunctionSet> &functions() const { return functions_; }
    BlockCache *cache() const { return cache_.get(); }  // nullptr: none
    // For formats whose blocks libchase prepares (any length, any offset);
    // such a file has this instead of cache().
    ExtentCache *extent_cache() const { return extent_cache_.get(); }

   private:
    DataFile() = default;
    std::string path_;
    int dfd_ = -1, bfd_ = -1;
    uint64_t size_ = 0, dev_ = 0, ino_ = 0;
    int64_t mtime_ns_ = 0;
    std::unique_ptr<Format> format_;
    std::unique_ptr<Counters> counters_;
    std::shared_ptr<FunctionSet> functions_;  // user-supplied object, if any
    std::unique_ptr<BlockCache> cache_;
    std::unique_ptr<ExtentCache> extent_cache_;
};

struct SessionOptions {
    EngineKind engine = EngineKind::automatic;
    unsigned max_inflight = 64;  // chains in flight; bounds memory
    unsigned hop_cap = 64;       // per chain (batches scale it by their size)
};

// One hop of a traced query.
struct HopTrace {
    uint64_t chain;
    uint32_t hop;
    uint64_t offset;
    uint32_t len;
    int ret;
    uint64_t t_ns;     // since the query started
    uint32_t how = 0;  // kHop* bits: where the block came from, what was done to it
    // The engine that ran this hop: the session's own, or for chains the
    // kernel path cannot run (blocks libchase prepares) the one it used.
    EngineKind engine = EngineKind::automatic;
};

// HopTrace::how (the same bits as CHASE_HOP_* in ioctl.h).  The start call
// has none; the kernel engine reports no hops at all (they stay in the
// kernel: its counters and tracepoint).
enum : uint32_t {
    kHopRead = 1u,           // read from the device for this hop
    kHopCache = 2u,          // served from the file's block cache, no read
    kHopMemory = 4u,         // a window of a block libchase holds in memory, no read
    kHopChecked = 8u,        // its checksum was verified before the function saw it
    kHopDecompressed = 16u,  // stored compressed, decompressed by libchase
};

class Engine;

class Session {
   public:
    static Status create(const SessionOptions &opts, std::unique_ptr<Session> *out);
    ~Session();

    EngineKind engine() const;

    // Synchronous queries: each runs its request to completion (and, on the
    // way, every chain already submitted on this session).
    Status get(const DataFile &f, std::string_view key, std::string *value);
    Status get_batch(const DataFile &f, const std::vector<std::string> &keys,
                     std::vector<std::optional<std::string>> *values);
    // Records with lo <= key <= hi, at most limit of them (0 = all).
    Status range(const DataFile &f, std::string_view lo, std::string_view hi, size_t limit,
                 std::vector<Record> *out);
    Status aggregate(const DataFile &f, std::string_view lo, std::string_view hi,
                     const AggSpec &spec, AggResult *out);

    // Asynchronous point lookups: many chains in flight from this thread.
    using GetCallback = std::function<void(const Status &, std::string_view value)>;
    Status submit_get(const DataFile &f, std::string_view key, GetCallback done);
    // Drives the engine until every submitted request has called back.
    Status drain();
    size_t inflight() const;

    // Called for every hop of later queries (chasectl trace); nullptr stops.
    void set_tracer(std::function<void(const HopTrace &)> tracer);

   private:
    struct Impl;
    Session();
    std::unique_ptr<Impl> impl_;
};

// Which engines this kernel and process can run, best first.
std::vector<EngineKind> available_engines();

// Load a BPF object as a user-supplied storage function without running it:
// the helper allow-list, then the running kernel's verifier.  On refusal the
// Status says why (the verifier's log is in *log).  The object is read as
// `as` (nullptr: as this process), under the rules of read_object_file().
Status verify_object(const std::string &path, std::string *log, const Credentials *as = nullptr);

}  // namespace chase
