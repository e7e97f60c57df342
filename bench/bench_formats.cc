// bench_formats: point lookups in real-format files (LMDB, cdb, RocksDB
// SST tables), the real libraries against chasefs's engines, in one run on
// the same files.
//
//   bench_formats [--data DIR] [--records N] [--seconds S] [--cache-pct P] [--runs R]
//                 [--only METHOD] [--only-format F] [--only-cache C] [--only-inflight N]
//                 [--out FILE.jsonl] [--quick]
//
// Files: DIR/formats-v2-N.mdb (liblmdb), DIR/formats-v2-N.cdb (libcdb),
// DIR/formats-v2-N.sst and -tikv.sst (RocksDB's SstFileWriter, with
// RocksDB's defaults and with TiKV's, each also ingested by hard link into
// a RocksDB directory beside it), DIR/formats-v2-N.ldb (LevelDB's
// TableBuilder, its defaults) with a LevelDB database of the same records
// beside it (.leveldb, LevelDB's own Puts, compacted), N records of a
// 16-byte random key and a 100-byte value, made once.
//
// Every measurement is a fresh child process, so that page cache state and
// memory limits are its own:
//   cache=cold      page cache dropped before the run
//   cache=warm      the same process first reads the whole file once (libraries only;
//                   chasefs reads with O_DIRECT and has no page cache to warm)
//   cache=limitP    page cache dropped, and the child runs in a memory
//                   cgroup (v1) whose limit is P% of the file: the "dataset
//                   larger than memory" case; the limit covers everything the
//                   reader keeps (liblmdb's mapped pages, chasefs's caches)
// Methods: liblmdb (mdb_get, one thread per lookup in flight, a read
// transaction renewed per lookup, the usual way), liblmdb-nordahead (the
// same with MDB_NORDAHEAD, LMDB's advice for data larger than memory),
// libcdb (cdb_find, one thread per lookup in flight), libcdb-random (its map
// advised MADV_RANDOM), rocksdb-get (DB::Get on the directory holding the
// table, one thread per lookup in flight, the default block cache: the usual
// way), rocksdb-multiget (DB::MultiGet of all N keys from one thread, its
// block cache as large as chasefs's; Debian's librocksdb has no io_uring, so
// no async_io), leveldb-get (DB::Get on the LevelDB database, one thread
// per lookup in flight, its default 8 MiB block cache), and chasefs's
// native and syscall engines (one thread, N
// chains in flight).  In flight: 1 and 32.  Every run also counts the reads
// the data's block device completed (device_reads_per_op; other processes'
// reads of that device count too).
//
// Output: one JSON line per run (bench_result.h):
//   {"bench":"formats","run":1,"config":{"format":"lmdb","method":"liblmdb",
//    "inflight":32,"cache":"limit10"},"metrics":{"ops":..,"ops_per_s":..,
//    "p50_us":..,"p99_us":..,"cpu_us_per_op":..,"file_mib":..,"errors":..}}
#include <cdb.h>
#include <fcntl.h>
#include <lmdb.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_result.h"
#include "chase/chase.h"
#include "formats_leveldb.h"
#include "formats_rocksdb.h"

namespace {

struct Options {
    std::string data = "/var/tmp/chasefs-bench";
    std::string out = "bench/report/results/formats.jsonl";
    uint64_t records = 4000000;
    double seconds = 3;
    unsigned cache_pct = 10;
    unsigned threads = 1;       // chasefs sessions, each in its own thread
    unsigned cache_share = 60;  // % of the memory limit chasefs's block cache may use
    unsigned runs = 3;          // of each configuration; the report takes medians
    // Run only what matches (debugging, profiling); empty/0 = all.
    std::string only, only_format, only_cache;
    unsigned only_inflight = 0;
};

constexpr size_t kKeyLen = 16, kValueLen = 100;

// Record i's key and value, regenerated from i (no key list to keep).  The
// key is two splitmix64 outputs: cheap, so that the harness adds little to
// the CPU time per lookup that every method is charged with.
uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::string key_of(uint64_t i) {
    std::string k(kKeyLen, '\0');
    uint64_t a = mix64(2 * i), b = mix64(2 * i + 1);
    memcpy(k.data(), &a, 8);
    memcpy(k.data() + 8, &b, 8);
    return k;
}

std::string value_of(uint64_t i) {
    std::string v = "value-" + std::to_string(i) + "-";
    v.resize(kValueLen, 'v');
    return v;
}

void die(const std::string &msg) {
    fprintf(stderr, "bench_formats: %s\n", msg.c_str());
    exit(1);
}

void make_lmdb(const std::string &path, uint64_t n) {
    if (std::filesystem::exists(path)) return;
    fprintf(stderr, "bench_formats: writing %s (%llu records)\n", path.c_str(),
            (unsigned long long)n);
    std::string tmp = path + ".tmp";
    unlink(tmp.c_str());
    MDB_env *env;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, size_t(64) << 30);
    if (mdb_env_open(env, tmp.c_str(), MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0644))
        die("cannot create " + tmp);
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_txn_begin(env, nullptr, 0, &txn);
    mdb_dbi_open(txn, nullptr, 0, &dbi);
    for (uint64_t i = 0; i < n; i++) {
        std::string k = key_of(i), v = value_of(i);
        MDB_val K{k.size(), k.data()}, V{v.size(), v.data()};
        if (mdb_put(txn, dbi, &K, &V, 0)) die("mdb_put failed");
    }
    mdb_txn_commit(txn);
    mdb_env_sync(env, 1);
    mdb_env_close(env);
    rename(tmp.c_str(), path.c_str());
}

void make_cdb(const std::string &path, uint64_t n) {
    if (std::filesystem::exists(path)) return;
    fprintf(stderr, "bench_formats: writing %s\n", path.c_str());
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct cdb_make m;
    cdb_make_start(&m, fd);
    for (uint64_t i = 0; i < n; i++) {
        std::string k = key_of(i), v = value_of(i);
        cdb_make_add(&m, k.data(), unsigned(k.size()), v.data(), unsigned(v.size()));
    }
    cdb_make_finish(&m);
    fsync(fd);
    close(fd);
    rename(tmp.c_str(), path.c_str());
}

void drop_caches() {
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0 || write(fd, "3", 1) != 1) die("cannot drop the page cache (run as root)");
    close(fd);
}

std::string g_cgroup_dir;  // the memory cgroup this process entered, if any

// A memory cgroup (v1) for this process with the given limit.
void enter_memory_cgroup(uint64_t limit) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[512];
    std::string path;
    while (f && fgets(line, sizeof line, f)) {
        std::string l(line);
        size_t m = l.find(":memory:");
        if (m != std::string::npos) path = l.substr(m + 8, l.size() - m - 9);
    }
    if (f) fclose(f);
    std::string dir = "/sys/fs/cgroup/memory" + path + "/chasefs-bench-" + std::to_string(getpid());
    if (mkdir(dir.c_str(), 0755) && errno != EEXIST) die("cannot create memory cgroup " + dir);
    auto put = [&](const char *file, const std::string &v) {
        int fd = open((dir + "/" + file).c_str(), O_WRONLY);
        if (fd < 0 || write(fd, v.data(), v.size()) != ssize_t(v.size()))
            die(std::string("cannot write ") + file + " of " + dir);
        close(fd);
    };
    put("memory.limit_in_bytes", std::to_string(limit));
    put("cgroup.procs", std::to_string(getpid()));
    g_cgroup_dir = dir;
}

// Bytes charged to this process's memory cgroup now (0 outside one).
uint64_t cgroup_usage() {
    if (g_cgroup_dir.empty()) return 0;
    FILE *f = fopen((g_cgroup_dir + "/memory.usage_in_bytes").c_str(), "r");
    unsigned long long v = 0;
    if (f && fscanf(f, "%llu", &v) != 1) v = 0;
    if (f) fclose(f);
    return v;
}

// Latencies go into a buffer allocated and touched before the child joins
// its memory cgroup, so the limit is spent on the reader's data alone.
struct RunOut {
    std::vector<uint64_t> lat = std::vector<uint64_t>(size_t(1) << 23, 1);
    std::atomic<size_t> n{0};
    std::atomic<uint64_t> errors{0};
    uint64_t cache_hits = 0;              // chasefs: blocks its block cache served
    std::optional<uint64_t> cache_bytes;  // chasefs: the cache it ran with
    void add(uint64_t ns) {
        size_t i = n++;
        if (i < lat.size()) lat[i] = ns;
    }
    size_t count() const { return std::min(n.load(), lat.size()); }
    double quantile_us(double q) {
        size_t c = count();
        if (!c) return 0;
        size_t k = std::min(c - 1, size_t(q * double(c)));
        std::nth_element(lat.begin(), lat.begin() + long(k), lat.begin() + long(c));
        return double(lat[k]) / 1e3;
    }
};

// Threads of a library, one per lookup in flight, each looking up random
// present keys until the deadline.
void run_threads(unsigned n, double seconds, RunOut *out,
                 const std::function<std::function<bool(uint64_t)>()> &make_worker,
                 uint64_t records) {
    int64_t deadline = bench::now_ns() + int64_t(seconds * 1e9);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < n; t++)
        ts.emplace_back([&, t] {
            auto lookup = make_worker();
            std::mt19937_64 rng(t + 1);
            uint64_t errors = 0;
            while (bench::now_ns() < deadline) {
                uint64_t i = rng() % records;
                int64_t t0 = bench::now_ns();
                if (!lookup(i)) errors++;
                out->add(uint64_t(bench::now_ns() - t0));
            }
            out->errors += errors;
        });
    for (auto &t : ts) t.join();
}

// nordahead: MDB_NORDAHEAD, what LMDB's documentation advises for
// databases larger than memory (no readahead on the map).
void run_liblmdb(const std::string &path, unsigned n, double s, uint64_t records, bool nordahead,
                 RunOut *out) {
    MDB_env *env;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, size_t(64) << 30);
    mdb_env_set_maxreaders(env, 256);
    if (mdb_env_open(env, path.c_str(),
                     MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS | (nordahead ? MDB_NORDAHEAD : 0), 0644))
        die("mdb_env_open " + path);
    MDB_dbi dbi;
    MDB_txn *t0;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &t0) || mdb_dbi_open(t0, nullptr, 0, &dbi))
        die("mdb_dbi_open " + path);
    mdb_txn_commit(t0);
    run_threads(
        n, s, out,
        [&]() -> std::function<bool(uint64_t)> {
            auto txn = std::make_shared<MDB_txn *>(nullptr);
            mdb_txn_begin(env, nullptr, MDB_RDONLY, txn.get());
            mdb_txn_reset(*txn);
            return [txn, dbi](uint64_t i) {
                std::string k = key_of(i);
                MDB_val K{k.size(), k.data()}, V;
                mdb_txn_renew(*txn);
                int rc = mdb_get(*txn, dbi, &K, &V);
                bool ok = rc == 0 && V.mv_size == kValueLen &&
                          memcmp(V.mv_data, value_of(i).data(), kValueLen) == 0;
                mdb_txn_reset(*txn);
                return ok;
            };
        },
        records);
    mdb_env_close(env);
}

// A store used the usual way: one DB::Get per lookup, one thread per
// lookup in flight (RocksDB with its default block cache, LevelDB).
template <typename Db>
void run_db_get(Db &db, unsigned n, double s, uint64_t records, RunOut *out) {
    run_threads(
        n, s, out,
        [&]() -> std::function<bool(uint64_t)> {
            return [&db](uint64_t i) {
                std::string v;
                return db.get(key_of(i), &v) && v == value_of(i);
            };
        },
        records);
}

// RocksDB's strongest form here: one thread, MultiGet of n keys at a time;
// each key is charged the batch's latency.
void run_rocksdb_multiget(const std::string &dir, unsigned n, double s, uint64_t records,
                          uint64_t cache_bytes, RunOut *out) {
    bench_sst::Db db(dir, cache_bytes);
    int64_t deadline = bench::now_ns() + int64_t(s * 1e9);
    std::mt19937_64 rng(11);
    std::vector<uint64_t> ids(n);
    std::vector<std::string> keys(n), values;
    std::vector<bool> ok;
    while (bench::now_ns() < deadline) {
        for (unsigned j = 0; j < n; j++) keys[j] = key_of(ids[j] = rng() % records);
        int64_t t0 = bench::now_ns();
        db.multi_get(keys, &values, &ok);
        uint64_t ns = uint64_t(bench::now_ns() - t0);
        for (unsigned j = 0; j < n; j++) {
            out->add(ns);
            if (!ok[j] || values[j] != value_of(ids[j])) out->errors++;
        }
    }
}

// Reads completed by the block device holding path (/sys/dev/block/M:m/stat).
uint64_t device_reads(const std::string &path) {
    struct stat st;
    if (stat(path.c_str(), &st)) return 0;
    char sys[96];
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    FILE *f = fopen(sys, "r");
    if (!f) return 0;
    unsigned long long reads = 0;
    if (fscanf(f, "%llu", &reads) != 1) reads = 0;
    fclose(f);
    return reads;
}

// random: madvise(MADV_RANDOM) on libcdb's map, the same advice for a
// file larger than memory.
void run_libcdb(const std::string &path, unsigned n, double s, uint64_t records, bool random,
                RunOut *out) {
    run_threads(
        n, s, out,
        [&]() -> std::function<bool(uint64_t)> {
            int fd = open(path.c_str(), O_RDONLY);
            auto c = std::make_shared<struct cdb>();
            if (fd < 0 || cdb_init(c.get(), fd) != 0) die("cdb_init " + path);
            if (random) madvise(const_cast<unsigned char *>(c->cdb_mem), c->cdb_fsize, MADV_RANDOM);
            return [c](uint64_t i) {
                std::string k = key_of(i);
                if (cdb_find(c.get(), k.data(), unsigned(k.size())) <= 0) return false;
                char v[kValueLen];
                if (cdb_datalen(c.get()) != kValueLen) return false;
                cdb_read(c.get(), v, kValueLen, cdb_datapos(c.get()));
                return memcmp(v, value_of(i).data(), kValueLen) == 0;
            };
        },
        records);
}

// One session (one thread, its chains in flight) per thread; the DataFile
// is shared, as in the daemon.  The sessions are made, and their functions
// loaded by one lookup each, before enter_limit() puts the process in its
// memory cgroup: loading is a one-time cost a daemon pays at mount, and
// the kernel verifier's transient memory for it (96 MiB at its peak for
// sst_get on 6.18) would otherwise be charged to a limit meant for the
// data.  The file is opened again inside the limit, with the page cache
// dropped, so its index and filter are charged there.
void run_chasefs(const std::string &path, const std::string &format, const std::string &engine,
                 unsigned inflight, unsigned threads, uint64_t cache_bytes, double s,
                 uint64_t records, uint64_t limit_bytes, const std::function<void()> &enter_limit,
                 RunOut *out) {
    std::shared_ptr<chase::DataFile> file;
    chase::OpenOptions oo;
    oo.format = format;
    oo.cache_bytes = cache_bytes;
    threads = std::max(1u, std::min(threads, inflight));  // no thread without a chain
    std::vector<std::unique_ptr<chase::Session>> sessions(threads);
    {
        chase::Status st = chase::DataFile::open(path, oo, &file);
        if (!st.ok()) die(st.to_string());
        for (unsigned t = 0; t < threads; t++) {
            chase::SessionOptions so;
            so.engine = *chase::parse_engine(engine);
            so.max_inflight = inflight / threads + (t < inflight % threads);
            st = chase::Session::create(so, &sessions[t]);
            if (!st.ok()) die(engine + ": " + st.to_string());
            std::string v;
            st = sessions[t]->get(*file, key_of(t), &v);
            if (!st.ok() || v != value_of(t)) die(engine + ": the warm-up lookup failed");
        }
        file.reset();
        // Give back the pages the warm-up's open freed: reused, they would
        // stay charged outside the cgroup and the open inside it would
        // look free.
        malloc_trim(0);
        enter_limit();
        // A format that keeps a large index (SST tables) leaves less of the
        // limit to the cache: measure what the open itself is charged, and
        // give the cache what remains less 12 MiB of headroom (measured:
        // bounce buffers, thread arenas; anonymous memory over the limit is
        // the OOM killer's, not reclaim's).
        if (oo.cache_bytes && format == "sst") {
            chase::OpenOptions bare = oo;
            bare.cache_bytes = 0;
            st = chase::DataFile::open(path, bare, &file);
            if (!st.ok()) die(st.to_string());
            uint64_t used = cgroup_usage(), headroom = 12 << 20;
            file.reset();
            oo.cache_bytes = std::min(
                oo.cache_bytes, limit_bytes > used + headroom ? limit_bytes - used - headroom : 0);
        }
        st = chase::DataFile::open(path, oo, &file);
        if (!st.ok()) die(st.to_string());
    }
    out->cache_bytes = oo.cache_bytes;
    int64_t deadline = bench::now_ns() + int64_t(s * 1e9);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; t++)
        ts.emplace_back([&, t] {
            unsigned mine = inflight / threads + (t < inflight % threads);
            chase::Session *session = sessions[t].get();
            chase::Status st;
            std::mt19937_64 rng(7 + t);
            std::function<void()> submit_one = [&]() {
                uint64_t i = rng() % records;
                int64_t t0 = bench::now_ns();
                chase::Status r = session->submit_get(
                    *file, key_of(i), [&, i, t0](const chase::Status &st, std::string_view v) {
                        out->add(uint64_t(bench::now_ns() - t0));
                        if (!st.ok() || v != value_of(i)) out->errors++;
                        if (bench::now_ns() < deadline) submit_one();
                    });
                if (!r.ok()) die(r.to_string());
            };
            for (unsigned j = 0; j < mine; j++) submit_one();
            st = session->drain();
            if (!st.ok()) die(st.to_string());
        });
    for (auto &t : ts) t.join();
    out->cache_hits = file->stats().cache_hits;
}

// One measurement in a child process; returns its JSON line.
std::string measure(const Options &o, const std::string &format, const std::string &path,
                    const std::string &method, unsigned inflight, const std::string &cache,
                    int run) {
    if ((!o.only.empty() && o.only != method) ||
        (!o.only_format.empty() && o.only_format != format) ||
        (!o.only_cache.empty() && o.only_cache != cache) ||
        (o.only_inflight && o.only_inflight != inflight))
        return "";
    int fds[2];
    if (pipe(fds)) die("pipe");
    bool lsm = format.rfind("sst", 0) == 0 || format == "ldb";  // compressed tables
    uint64_t size = std::filesystem::file_size(path);
    if (cache != "warm") drop_caches();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        RunOut out;
        // The memory limit is P% of the data: the file's size, or for a
        // compressed SST table the records it holds (RocksDB's Snappy and
        // LZ4 shrink these values to a quarter, and the limit would then
        // be too small for either reader's code and fixed buffers).
        uint64_t data = lsm ? o.records * (kKeyLen + kValueLen) : size;
        bool chasefs = !(method.rfind("lib", 0) == 0 || method.rfind("rocksdb", 0) == 0 ||
                         method.rfind("leveldb", 0) == 0);
        auto enter_limit = [&] {
            if (cache.rfind("limit", 0) == 0) {
                if (chasefs) drop_caches();  // what the warm-up read goes
                enter_memory_cgroup(data * o.cache_pct / 100);
            }
        };
        if (!chasefs) enter_limit();  // chasefs's run enters it after loading its functions
        if (cache == "warm") {        // read the whole file through the page cache
            int fd = open(path.c_str(), O_RDONLY);
            std::vector<char> buf(1 << 20);
            while (read(fd, buf.data(), buf.size()) > 0) {
            }
            close(fd);
        }
        // chasefs's own cache takes what the limit leaves after the
        // process's other memory (heap, the LMDB branch pages, the page
        // cache its buffered meta reads use): 60% of the limit.
        uint64_t cache_bytes = chasefs && cache.rfind("limit", 0) == 0
                                   ? data * o.cache_pct / 100 * o.cache_share / 100
                                   : 0;
        bench::Usage u0 = bench::Usage::now();
        uint64_t reads0 = device_reads(path);
        int64_t t0 = bench::now_ns();
        if (method == "rocksdb-get") {
            bench_sst::Db db(path + ".rocksdb", 0);
            run_db_get(db, inflight, o.seconds, o.records, &out);
        } else if (method == "leveldb-get") {
            bench_ldb::Db db(path + ".leveldb");
            run_db_get(db, inflight, o.seconds, o.records, &out);
        } else if (method == "rocksdb-multiget")
            run_rocksdb_multiget(path + ".rocksdb", inflight, o.seconds, o.records,
                                 data * o.cache_pct / 100 * o.cache_share / 100, &out);
        else if (method == "liblmdb" || method == "liblmdb-nordahead")
            run_liblmdb(path, inflight, o.seconds, o.records, method != "liblmdb", &out);
        else if (method == "libcdb" || method == "libcdb-random")
            run_libcdb(path, inflight, o.seconds, o.records, method != "libcdb", &out);
        else
            run_chasefs(path, lsm ? "sst" : format, method, inflight, o.threads, cache_bytes,
                        o.seconds, o.records, data * o.cache_pct / 100, enter_limit, &out);
        double wall = double(bench::now_ns() - t0) / 1e9;
        bench::Usage u1 = bench::Usage::now();
        uint64_t reads1 = device_reads(path);
        bench::Result r;
        r.bench = "formats";
        r.run = run;
        r.unix_time = int64_t(::time(nullptr));
        r.set("format", format);
        r.set("method", method);
        r.set("inflight", long(inflight));
        r.set("cache", cache);
        double ops = double(out.count());
        r.metric("ops", ops);
        r.metric("ops_per_s", ops / wall);
        r.metric("p50_us", out.quantile_us(0.5));
        r.metric("p99_us", out.quantile_us(0.99));
        r.metric("cpu_us_per_op", ops ? (u1.cpu_s - u0.cpu_s) * 1e6 / ops : 0);
        r.metric("file_mib", double(size) / (1 << 20));
        r.metric("limit_mib",
                 cache.rfind("limit", 0) == 0 ? double(data * o.cache_pct / 100) / (1 << 20) : 0);
        r.metric("errors", double(out.errors.load()));
        r.metric("cache_mib", double(out.cache_bytes.value_or(cache_bytes)) / (1 << 20));
        r.metric("cache_hits_per_op", ops ? double(out.cache_hits) / ops : 0);
        r.metric("device_reads_per_op", ops ? double(reads1 - reads0) / ops : 0);
        std::string line = r.json() + "\n";
        if (write(fds[1], line.data(), line.size()) < 0) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    std::string line;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) line.append(buf, size_t(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "bench_formats: %s %s x%u %s failed (%s %d%s)\n", format.c_str(),
                method.c_str(), inflight, cache.c_str(),
                WIFSIGNALED(status) ? "killed by signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                    ? ", e.g. the memory cgroup's OOM killer"
                    : "");
    return line;
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " wants a value");
            return argv[++i];
        };
        if (a == "--data")
            o.data = next();
        else if (a == "--out")
            o.out = next();
        else if (a == "--records")
            o.records = std::stoull(next());
        else if (a == "--seconds")
            o.seconds = std::stod(next());
        else if (a == "--cache-pct")
            o.cache_pct = unsigned(std::stoul(next()));
        else if (a == "--quick")
            o.records = 200000, o.seconds = 1;
        else if (a == "--cache-share")
            o.cache_share = unsigned(std::stoul(next()));
        else if (a == "--threads")
            o.threads = unsigned(std::stoul(next()));
        else if (a == "--runs")
            o.runs = unsigned(std::stoul(next()));
        else if (a == "--only")
            o.only = next();
        else if (a == "--only-format")
            o.only_format = next();
        else if (a == "--only-cache")
            o.only_cache = next();
        else if (a == "--only-inflight")
            o.only_inflight = unsigned(std::stoul(next()));
        else
            die("unknown argument " + a + " (see the comment at the top of bench_formats.cc)");
    }
    std::filesystem::create_directories(o.data);
    // v2: the splitmix64 keys (files of the earlier keys are not reused).
    std::string base = o.data + "/formats-v2-" + std::to_string(o.records);
    auto wanted = [&](const char *f) { return o.only_format.empty() || o.only_format == f; };
    if (wanted("lmdb")) make_lmdb(base + ".mdb", o.records);
    if (wanted("cdb")) make_cdb(base + ".cdb", o.records);
    for (bool tikv : {false, true})
        if (wanted(tikv ? "sst-tikv" : "sst")) {
            std::string sst = base + (tikv ? "-tikv.sst" : ".sst");
            bench_sst::make_table(sst, sst + ".rocksdb", o.records, tikv, key_of, value_of);
        }
    if (wanted("ldb")) {
        // In a child of its own: LevelDB's Env starts a background thread
        // once per process, and a measurement forked after it would wait
        // for it forever in DB::Open.
        pid_t pid = fork();
        if (pid == 0) {
            bench_ldb::make_table(base + ".ldb", base + ".ldb.leveldb", o.records, key_of,
                                  value_of);
            _exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            die("making the LevelDB table and database failed");
    }
    std::vector<std::string> engines;
    for (auto k : chase::available_engines())
        if (k != chase::EngineKind::automatic) engines.push_back(chase::engine_name(k));
    FILE *out = fopen(o.out.c_str(), "w");
    if (!out) die("cannot write " + o.out);
    std::string limit = "limit" + std::to_string(o.cache_pct);
    struct Config {
        std::string format, path, method, cache;
        unsigned inflight;
    };
    std::vector<Config> configs;
    for (auto [format, lib, path] :
         {std::tuple<std::string, std::string, std::string>{"lmdb", "liblmdb", base + ".mdb"},
          {"cdb", "libcdb", base + ".cdb"}}) {
        std::string advised = format == "lmdb" ? "liblmdb-nordahead" : "libcdb-random";
        for (unsigned inflight : {1u, 32u}) {
            for (const std::string &cache : {std::string("cold"), std::string("warm"), limit})
                configs.push_back({format, path, lib, cache, inflight});
            for (const std::string &cache : {std::string("cold"), limit})
                configs.push_back({format, path, advised, cache, inflight});
            for (const std::string &engine : engines)
                for (const std::string &cache : {std::string("cold"), limit})
                    configs.push_back({format, path, engine, cache, inflight});
        }
    }
    for (auto [format, path] : {std::pair<std::string, std::string>{"sst", base + ".sst"},
                                {"sst-tikv", base + "-tikv.sst"}})
        for (unsigned inflight : {1u, 32u})
            for (const std::string &cache : {std::string("cold"), limit}) {
                for (const char *lib : {"rocksdb-get", "rocksdb-multiget"})
                    configs.push_back({format, path, lib, cache, inflight});
                for (const std::string &engine : engines)
                    configs.push_back({format, path, engine, cache, inflight});
            }
    for (unsigned inflight : {1u, 32u})
        for (const std::string &cache : {std::string("cold"), limit}) {
            configs.push_back({"ldb", base + ".ldb", "leveldb-get", cache, inflight});
            for (const std::string &engine : engines)
                configs.push_back({"ldb", base + ".ldb", engine, cache, inflight});
        }
    // Runs interleave (every configuration once, then again) so that a
    // neighbour's burst on the shared machine hits all methods alike.
    for (unsigned run = 1; run <= o.runs; run++)
        for (const Config &c : configs) {
            std::string line =
                measure(o, c.format, c.path, c.method, c.inflight, c.cache, int(run));
            if (line.empty()) continue;
            fputs(line.c_str(), out);
            fputs(line.c_str(), stdout);
            fflush(out);
        }
    fclose(out);
    return 0;
}
