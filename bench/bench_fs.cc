// bench_fs: the filesystem face against its baselines, in one run on the same
// files.  It mounts chasefs over the directory of a chase B+-tree file and
// prints one JSON line per configuration (bench/README.md has the shape):
//
//   queries  lib (libchase in the benchmark process), path (open+read+close
//            of F@KEY), xattr (getxattr user.chase.get.KEY), ioctl
//            (CHASE_IOC_GET) from 1 and 16 processes; libchase with 16
//            chains in flight from one thread
//   files    sequential read of a large ordinary file, cold and warm, and
//            4 KiB random reads and small-file creation, mount vs backing
//   memory   16 processes look up N distinct query names; the daemon's RSS
//            idle, at its peak, and after
//
// and "fs_check" lines with the issue-3 targets computed from this run.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include "bench_result.h"
#include "chase/chase.h"
#include "fs_workloads.h"

using namespace bench_fs;

namespace {

struct Options {
    std::string chasefs, file, work;
    double seconds = 2;
    int run = 1, depth = 0;
    std::string modes = "queries,files,memory";
    unsigned big_mib = 512;
    unsigned long names = 1000000;
    std::string mount_opts;  // -o for chasefs, for A/B runs ("" = defaults)
};

void usage() {
    fprintf(stderr,
            "usage: bench_fs --chasefs BIN --file F.db --work DIR [--seconds S] [--run N]\n"
            "                [--depth D] [--modes queries,files,memory] [--big-mib M]\n"
            "                [--names N] [--mount-opts OPTS]\n");
    exit(2);
}

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--chasefs")
            o.chasefs = val();
        else if (a == "--file")
            o.file = val();
        else if (a == "--work")
            o.work = val();
        else if (a == "--seconds")
            o.seconds = std::stod(val());
        else if (a == "--run")
            o.run = std::stoi(val());
        else if (a == "--depth")
            o.depth = std::stoi(val());
        else if (a == "--modes")
            o.modes = val();
        else if (a == "--big-mib")
            o.big_mib = static_cast<unsigned>(std::stoul(val()));
        else if (a == "--names")
            o.names = std::stoul(val());
        else if (a == "--mount-opts")
            o.mount_opts = val();
        else
            usage();
    }
    if (o.chasefs.empty() || o.file.empty() || o.work.empty()) usage();
    return o;
}

// The mount: chasefs -f SRC MNT as a child of this process.
struct Mount {
    pid_t pid = -1;
    std::string mnt;
    bool start(const std::string &bin, const std::string &src, const std::string &m,
               const std::string &opts) {
        mnt = m;
        mkdir(mnt.c_str(), 0755);
        pid = fork();
        if (pid == 0) {
            // The daemon's own messages go to a log beside the mount point,
            // so this program's stderr carries only real failures.
            int log = open((mnt + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (log >= 0) {
                dup2(log, 1);
                dup2(log, 2);
            }
            if (opts.empty())
                execl(bin.c_str(), bin.c_str(), "-f", src.c_str(), mnt.c_str(), (char *)nullptr);
            else
                execl(bin.c_str(), bin.c_str(), "-f", "-o", opts.c_str(), src.c_str(), mnt.c_str(),
                      (char *)nullptr);
            _exit(127);
        }
        for (int i = 0; i < 2000; i++) {
            struct stat a, b;
            if (stat(mnt.c_str(), &a) == 0 && stat((mnt + "/..").c_str(), &b) == 0 &&
                a.st_dev != b.st_dev)
                return true;
            usleep(10000);
        }
        return false;
    }
    ~Mount() {
        if (pid <= 0) return;
        std::string cmd = "fusermount3 -u '" + mnt + "'";
        if (system(cmd.c_str()) != 0) kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
    }
};

long rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

uint64_t key_count(const std::string &file) {
    std::shared_ptr<chase::DataFile> f;
    chase::Status st = chase::DataFile::open(file, {}, &f);
    if (!st.ok()) {
        fprintf(stderr, "bench_fs: %s\n", st.to_string().c_str());
        exit(1);
    }
    std::string g = f->geometry();
    size_t at = g.find("keys=");
    return at == std::string::npos ? 0 : std::stoull(g.substr(at + 5));
}

struct Emitter {
    const Options &o;
    std::map<std::string, double> kept;  // for the checks
    bench::Result make(const std::string &method) {
        bench::Result r;
        r.bench = "fs";
        r.run = o.run;
        if (o.depth) r.set("depth", static_cast<long>(o.depth));
        r.set("method", method);
        return r;
    }
    void sample(const std::string &method, unsigned procs, double secs, Sample s) {
        bench::Result r = make(method);
        r.set("procs", static_cast<long>(procs));
        bench::Latencies lat;
        lat.reserve(s.lat_ns.size());
        for (uint32_t ns : s.lat_ns) lat.add(ns);
        double ops_s = static_cast<double>(s.ops) / secs;
        double p50 = lat.quantile_us(0.5);
        r.metric("ops", static_cast<double>(s.ops));
        r.metric("ops_per_s", ops_s);
        r.metric("p50_us", p50);
        r.metric("p99_us", lat.quantile_us(0.99));
        r.metric("wrong", static_cast<double>(s.wrong));
        r.metric("errors", static_cast<double>(s.errors));
        puts(r.json().c_str());
        fflush(stdout);
        kept[method + "/" + std::to_string(procs) + "/ops_s"] = ops_s;
        kept[method + "/" + std::to_string(procs) + "/p50"] = p50;
        if (s.wrong || s.errors)
            fprintf(stderr, "bench_fs: %s x%u: %llu wrong, %llu errors\n", method.c_str(), procs,
                    (unsigned long long)s.wrong, (unsigned long long)s.errors);
    }
    void check(const std::string &name, double value, double limit, bool met,
               const std::string &unit) {
        bench::Result r;
        r.bench = "fs_check";
        r.run = o.run;
        if (o.depth) r.set("depth", static_cast<long>(o.depth));
        r.set("target", name);
        r.set("unit", unit);
        r.metric("value", value);
        r.metric("limit", limit);
        r.metric("met", met ? 1 : 0);
        puts(r.json().c_str());
        fflush(stdout);
    }
};

void run_queries(const Options &o, Emitter &em, const std::string &backing,
                 const std::string &mounted, uint64_t nkeys) {
    // One query in flight: the four ways take turns in one process, on the
    // same keys, so the machine's noise falls on all of them alike.
    std::vector<Sample> turns =
        run_interleaved(4 * o.seconds, {lib_get(backing, nkeys), path_get(mounted, nkeys),
                                        xattr_get(mounted, nkeys), ioctl_get(mounted, nkeys)});
    const char *names[] = {"lib", "path", "xattr", "ioctl"};
    for (size_t i = 0; i < turns.size(); i++)
        em.sample(std::string(names[i]) + "_turns", 1, 4 * o.seconds, turns[i]);
    for (unsigned procs : {1u, 16u}) {
        em.sample("lib", procs, o.seconds,
                  run_processes(procs, o.seconds, lib_get(backing, nkeys)));
        em.sample("path", procs, o.seconds,
                  run_processes(procs, o.seconds, path_get(mounted, nkeys)));
        em.sample("xattr", procs, o.seconds,
                  run_processes(procs, o.seconds, xattr_get(mounted, nkeys)));
        em.sample("ioctl", procs, o.seconds,
                  run_processes(procs, o.seconds, ioctl_get(mounted, nkeys)));
    }
    em.sample("lib_inflight16", 1, o.seconds, lib_inflight(backing, nkeys, 16, o.seconds));
    auto &k = em.kept;
    double lib_p50 = k["lib_turns/1/p50"];
    double x = k["xattr_turns/1/p50"] - lib_p50, i = k["ioctl_turns/1/p50"] - lib_p50,
           p = k["path_turns/1/p50"] - lib_p50;
    em.check("xattr p50 - lib p50 at 1 in flight", x, 30, x <= 30, "us");
    em.check("ioctl p50 - lib p50 at 1 in flight", i, 30, i <= 30, "us");
    em.check("path open+read+close p50 - lib p50 at 1 in flight", p, 100, p <= 100, "us");
    double ratio = k["path/16/ops_s"] / std::max(1.0, k["lib_inflight16/1/ops_s"]);
    em.check("path lookups/s at 16 procs / libchase at 16 in flight", ratio, 0.7, ratio >= 0.7,
             "ratio");
}

std::string ensure_big_file(const std::string &dir, unsigned mib) {
    std::string path = dir + "/bench-fs-big.bin";
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && st.st_size == static_cast<off_t>(mib) << 20) return path;
    FILE *f = fopen(path.c_str(), "w");
    std::vector<char> buf(1 << 20);
    for (size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<char>(i * 131 + 7);
    for (unsigned i = 0; i < mib; i++) fwrite(buf.data(), 1, buf.size(), f);
    fclose(f);
    return path;
}

// Ordinary files through the mount, with kernel passthrough where the
// kernel has it (the default, -o passthrough=auto) and with it forced off
// (a second mount), against the backing directory in the same run.
void run_files(const Options &o, Emitter &em, const std::string &src, const std::string &mnt,
               const std::string &mnt_off) {
    std::string big = ensure_big_file(src, o.big_mib);
    const std::pair<const char *, std::string> places[] = {
        {"backing", big},
        {"mount", mnt + "/bench-fs-big.bin"},
        {"mount_nopassthrough", mnt_off + "/bench-fs-big.bin"}};
    std::map<std::string, double> mib;
    for (const char *cache : {"cold", "warm"}) {
        for (const auto &[where, path] : places) {
            if (std::string(cache) == "cold")
                drop_caches();
            else
                seq_read_mib_s(path, 1 << 20);  // warm it
            double rate = seq_read_mib_s(path, 1 << 20);
            bench::Result r = em.make("seqread");
            r.set("where", where);
            r.set("cache", cache);
            r.set("file_mib", static_cast<long>(o.big_mib));
            r.metric("mib_per_s", rate);
            puts(r.json().c_str());
            fflush(stdout);
            mib[std::string(where) + "/" + cache] = rate;
        }
    }
    auto ratio = [](double a, double b) { return a / std::max(1e-9, b); };
    double cold = ratio(mib["mount/cold"], mib["backing/cold"]);
    em.check("sequential read, not cached: mount / backing", cold, 0.8, cold >= 0.8, "ratio");
    double warm = ratio(mib["mount/warm"], mib["backing/warm"]);
    em.check("sequential read, cached: mount (passthrough) / backing", warm, 0.95, warm >= 0.95,
             "ratio");
    double warm_off = ratio(mib["mount_nopassthrough/warm"], mib["backing/warm"]);
    em.check("sequential read, cached: mount without passthrough / backing (reported)", warm_off, 0,
             true, "ratio");

    uint64_t size = static_cast<uint64_t>(o.big_mib) << 20;
    for (const char *cache : {"cold", "warm"})
        for (const auto &[where, path] : places) {
            if (std::string(cache) == "cold")
                drop_caches();
            else
                seq_read_mib_s(path, 1 << 20);
            em.sample(std::string("randread4k_") + cache + "_" + where, 1, o.seconds,
                      run_processes(1, o.seconds, random_read_4k(path, size)));
        }
    auto &k = em.kept;
    double rand = ratio(k["randread4k_warm_mount/1/ops_s"], k["randread4k_warm_backing/1/ops_s"]);
    em.check("4 KiB random reads, cached: mount (passthrough) / backing", rand, 0.95, rand >= 0.95,
             "ratio");
    double rand_off = ratio(k["randread4k_warm_mount_nopassthrough/1/ops_s"],
                            k["randread4k_warm_backing/1/ops_s"]);
    em.check("4 KiB random reads, cached: mount without passthrough / backing (reported)", rand_off,
             0, true, "ratio");

    // Metadata from 1 and 16 processes, each in a directory of its own.
    std::string mdir = "bench-fs-meta";
    std::string cmd = "rm -rf '" + src + "/" + mdir + "'";
    if (system(cmd.c_str()) != 0) fprintf(stderr, "bench_fs: %s failed\n", cmd.c_str());
    mkdir((src + "/" + mdir).c_str(), 0755);
    using Workload = OpFactory (*)(const std::string &);
    const std::pair<const char *, Workload> ops[] = {
        {"create", create_files}, {"stat", stat_files}, {"unlink", unlink_files}};
    for (unsigned procs : {1u, 16u})
        for (const auto &[what, make] : ops)
            for (const char *where : {"backing", "mount"}) {
                std::string dir = (std::string(where) == "mount" ? mnt : src) + "/" + mdir;
                em.sample(std::string(what) + "_" + where, procs, o.seconds,
                          run_processes(procs, o.seconds, make(dir)));
            }
    if (system(cmd.c_str()) != 0) fprintf(stderr, "bench_fs: %s failed\n", cmd.c_str());
    for (const auto &[what, make] : ops)
        for (unsigned procs : {1u, 16u}) {
            std::string p = std::to_string(procs);
            double r = ratio(k[std::string(what) + "_mount/" + p + "/ops_s"],
                             k[std::string(what) + "_backing/" + p + "/ops_s"]);
            bool target = std::string(what) == "create" && procs == 16;
            em.check(std::string(what) + "s/s from " + p + " process" + (procs > 1 ? "es" : "") +
                         ", separate directories: mount / backing" + (target ? "" : " (reported)"),
                     r, target ? 0.3 : 0, !target || r >= 0.3, "ratio");
        }
}

void run_memory(const Options &o, Emitter &em, const Mount &m, const std::string &mounted) {
    unsigned procs = 16;
    // Warm up first (worker threads and their libchase sessions stay for the
    // daemon's life), so "idle" is the size of a daemon that has served.
    run_processes(procs, 0.5, path_get(mounted, 1000));
    sleep(2);
    long idle = rss_kib(m.pid);
    unsigned long per = o.names / procs;
    std::atomic<bool> done{false};
    long peak = idle;
    std::string at_peak;  // the daemon's counters when the peak was seen
    std::thread sampler([&] {
        while (!done) {
            long now = rss_kib(m.pid);
            if (now > peak) {
                peak = now;
                char buf[4096] = {};
                ssize_t n = getxattr(m.mnt.c_str(), "user.chase.daemon", buf, sizeof buf - 1);
                at_peak.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
            }
            usleep(20000);
        }
    });
    int64_t t0 = bench::now_ns();
    std::vector<pid_t> kids;
    for (unsigned p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid == 0) {
            int bad = 0;
            for (unsigned long i = 0; i < per; i++) {
                // Distinct names that always have an answer.
                unsigned long k = p * per + i;
                std::string name =
                    mounted + "@count:" + std::to_string(k) + ".." + std::to_string(k + 1);
                struct stat st;
                if (stat(name.c_str(), &st) != 0) bad++;
            }
            _exit(bad ? 1 : 0);
        }
        kids.push_back(pid);
    }
    int failed = 0;
    for (pid_t k : kids) {
        int status;
        waitpid(k, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status)) failed++;
    }
    double secs = static_cast<double>(bench::now_ns() - t0) / 1e9;
    done = true;
    sampler.join();
    // Give the reaper and the kernel's forgets a moment, then look again.
    long after = 0;
    std::string counters;
    for (int i = 0; i < 50; i++) {
        usleep(100000);
        after = rss_kib(m.pid);
        char buf[4096] = {};
        ssize_t n = getxattr(m.mnt.c_str(), "user.chase.daemon", buf, sizeof buf - 1);
        counters.assign(buf, n > 0 ? n : 0);
        if (after <= idle + 4096 && counters.find("query_nodes=0\n") != std::string::npos) break;
    }
    size_t at = counters.find("query_nodes=");
    double nodes_after = at == std::string::npos ? -1 : std::stod(counters.substr(at + 12));
    bench::Result r = em.make("distinct_names");
    r.set("procs", static_cast<long>(procs));
    r.set("names", static_cast<long>(per * procs));
    r.metric("names_per_s", static_cast<double>(per * procs) / secs);
    r.metric("rss_idle_mib", idle / 1024.0);
    r.metric("rss_peak_mib", peak / 1024.0);
    r.metric("rss_after_mib", after / 1024.0);
    r.metric("query_nodes_after", nodes_after);
    size_t qp = at_peak.find("query_nodes=");
    r.metric("query_nodes_at_peak",
             qp == std::string::npos ? -1 : std::stod(at_peak.substr(qp + 12)));
    r.metric("failed_procs", failed);
    puts(r.json().c_str());
    fflush(stdout);
    em.check("daemon RSS peak during distinct names", peak / 1024.0, 128, peak / 1024.0 < 128,
             "MiB");
    double back = (after - idle) / 1024.0;
    em.check("daemon RSS after - idle", back, 8, back <= 8, "MiB");
}

}  // namespace

int main(int argc, char **argv) {
    Options o = parse(argc, argv);
    std::string dir = o.file.substr(0, o.file.find_last_of('/'));
    std::string base = o.file.substr(o.file.find_last_of('/') + 1);
    uint64_t nkeys = key_count(o.file);
    Mount m;
    mkdir(o.work.c_str(), 0755);
    if (!m.start(o.chasefs, dir, o.work + "/mnt", o.mount_opts)) {
        fprintf(stderr, "bench_fs: chasefs did not mount %s\n", dir.c_str());
        return 1;
    }
    Emitter em{o, {}};
    std::string mounted = m.mnt + "/" + base;
    if (o.modes.find("queries") != std::string::npos) run_queries(o, em, o.file, mounted, nkeys);
    if (o.modes.find("files") != std::string::npos) {
        Mount off;
        std::string opts =
            o.mount_opts.empty() ? "passthrough=off" : o.mount_opts + ",passthrough=off";
        if (!off.start(o.chasefs, dir, o.work + "/mnt-nopassthrough", opts)) {
            fprintf(stderr, "bench_fs: chasefs -o passthrough=off did not mount %s\n", dir.c_str());
            return 1;
        }
        run_files(o, em, dir, m.mnt, off.mnt);
    }
    if (o.modes.find("memory") != std::string::npos) run_memory(o, em, m, mounted);
    return 0;
}
