// The workloads of bench_fs, each run in P forked processes for a fixed
// time, every answer checked.  One function per way of asking.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench_fs {

struct Sample {
    uint64_t ops = 0, wrong = 0, errors = 0;
    std::vector<uint32_t> lat_ns;
};

// One operation of a worker: returns 0 on a right answer, 1 wrong, 2 error;
// 3 for the worker's own setup between operations (not timed or counted).
using Op = std::function<int(uint64_t rng)>;
// Makes a worker's operation (called in the child, after fork).
using OpFactory = std::function<Op()>;

// Runs `procs` processes, each calling its op until `seconds` have passed.
Sample run_processes(unsigned procs, double seconds, const OpFactory &make);

// Query workloads on data file F (keys 0..nkeys-1, value = key in decimal).
OpFactory lib_get(const std::string &backing_file, uint64_t nkeys);
OpFactory path_get(const std::string &mounted_file, uint64_t nkeys);
OpFactory xattr_get(const std::string &mounted_file, uint64_t nkeys);
OpFactory ioctl_get(const std::string &mounted_file, uint64_t nkeys);

// One process that takes turns between the ops (op 0, 1, 2, ... 0, 1, ...),
// so the noise of a shared machine falls on every op alike: the fair way to
// compare latencies at one query in flight.  One Sample per op.
std::vector<Sample> run_interleaved(double seconds, const std::vector<OpFactory> &makes);

// libchase with `inflight` chains from one thread, for `seconds`.
Sample lib_inflight(const std::string &backing_file, uint64_t nkeys, unsigned inflight,
                    double seconds);

// Ordinary files.
double seq_read_mib_s(const std::string &path, size_t block);  // whole file once
OpFactory random_read_4k(const std::string &path, uint64_t size);
OpFactory create_small_files(const std::string &dir);
// Metadata, each worker in a directory of its own under dir: create (and
// close) new empty files; stat one of 256 files; unlink files made for it.
OpFactory create_files(const std::string &dir);
OpFactory stat_files(const std::string &dir);
OpFactory unlink_files(const std::string &dir);

void drop_caches();

}  // namespace bench_fs
