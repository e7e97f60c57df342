#include "fs_workloads.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <random>

#include "bench_result.h"
#include "chase/chase.h"
#include "chase/ioctl.h"

namespace bench_fs {
namespace {

void write_all(int fd, const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w <= 0) _exit(5);
        c += w;
        n -= static_cast<size_t>(w);
    }
}

bool read_all(int fd, void *p, size_t n) {
    char *c = static_cast<char *>(p);
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r <= 0) return false;
        c += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

}  // namespace

Sample run_processes(unsigned procs, double seconds, const OpFactory &make) {
    std::vector<int> pipes;
    std::vector<pid_t> kids;
    for (unsigned p = 0; p < procs; p++) {
        int fds[2];
        if (pipe(fds) != 0) abort();
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            Op op = make();
            std::mt19937_64 rng(1000 + p);
            Sample s;
            s.lat_ns.reserve(1 << 18);
            int64_t deadline = bench::now_ns() + static_cast<int64_t>(seconds * 1e9);
            while (true) {
                int64_t t0 = bench::now_ns();
                if (t0 >= deadline) break;
                int r = op(rng());
                if (r == 3) {  // the worker's own setup: neither timed nor counted
                    deadline += bench::now_ns() - t0;
                    continue;
                }
                s.lat_ns.push_back(
                    static_cast<uint32_t>(std::min<int64_t>(bench::now_ns() - t0, UINT32_MAX)));
                s.ops++;
                if (r == 1) s.wrong++;
                if (r == 2) s.errors++;
            }
            uint64_t head[3] = {s.ops, s.wrong, s.errors};
            write_all(fds[1], head, sizeof head);
            write_all(fds[1], s.lat_ns.data(), s.lat_ns.size() * 4);
            _exit(0);
        }
        close(fds[1]);
        pipes.push_back(fds[0]);
        kids.push_back(pid);
    }
    Sample all;
    for (int fd : pipes) {
        uint64_t head[3];
        if (read_all(fd, head, sizeof head)) {
            size_t at = all.lat_ns.size();
            all.lat_ns.resize(at + head[0]);
            read_all(fd, all.lat_ns.data() + at, head[0] * 4);
            all.ops += head[0];
            all.wrong += head[1];
            all.errors += head[2];
        } else {
            all.errors++;  // a worker died
        }
        close(fd);
    }
    for (pid_t k : kids) waitpid(k, nullptr, 0);
    return all;
}

std::vector<Sample> run_interleaved(double seconds, const std::vector<OpFactory> &makes) {
    std::vector<Sample> out(makes.size());
    int fds[2];
    if (pipe(fds) != 0) abort();
    pid_t pid = fork();
    if (pid == 0) {  // a child like the other workers (own sessions, own fds)
        close(fds[0]);
        std::vector<Op> ops;
        for (auto &m : makes) ops.push_back(m());
        std::mt19937_64 rng(4242);
        int64_t deadline = bench::now_ns() + static_cast<int64_t>(seconds * 1e9);
        std::vector<Sample> s(ops.size());
        while (bench::now_ns() < deadline) {
            uint64_t r = rng();  // the same key for every op of a round
            for (size_t i = 0; i < ops.size(); i++) {
                int64_t t0 = bench::now_ns();
                int res = ops[i](r);
                s[i].lat_ns.push_back(
                    static_cast<uint32_t>(std::min<int64_t>(bench::now_ns() - t0, UINT32_MAX)));
                s[i].ops++;
                if (res == 1) s[i].wrong++;
                if (res == 2) s[i].errors++;
            }
        }
        for (auto &x : s) {
            uint64_t head[3] = {x.ops, x.wrong, x.errors};
            write_all(fds[1], head, sizeof head);
            write_all(fds[1], x.lat_ns.data(), x.lat_ns.size() * 4);
        }
        _exit(0);
    }
    close(fds[1]);
    for (auto &x : out) {
        uint64_t head[3];
        if (!read_all(fds[0], head, sizeof head)) {
            x.errors++;
            continue;
        }
        x.lat_ns.resize(head[0]);
        read_all(fds[0], x.lat_ns.data(), head[0] * 4);
        x.ops = head[0];
        x.wrong = head[1];
        x.errors = head[2];
    }
    close(fds[0]);
    waitpid(pid, nullptr, 0);
    return out;
}

OpFactory lib_get(const std::string &file, uint64_t nkeys) {
    return [file, nkeys]() -> Op {
        // Each worker process has its own DataFile and Session, as the
        // daemon's threads do.
        auto f = std::make_shared<std::shared_ptr<chase::DataFile>>();
        auto s = std::make_shared<std::unique_ptr<chase::Session>>();
        if (!chase::DataFile::open(file, {}, f.get()).ok()) _exit(6);
        if (!chase::Session::create({}, s.get()).ok()) _exit(7);
        return [f, s, nkeys](uint64_t r) {
            std::string key = std::to_string(r % nkeys), v;
            chase::Status st = (*s)->get(**f, key, &v);
            if (!st.ok()) return 2;
            return v == key ? 0 : 1;
        };
    };
}

OpFactory path_get(const std::string &mounted, uint64_t nkeys) {
    return [mounted, nkeys]() -> Op {
        return [mounted, nkeys](uint64_t r) {
            std::string key = std::to_string(r % nkeys);
            int fd = open((mounted + "@" + key).c_str(), O_RDONLY);
            if (fd < 0) return 2;
            char buf[256];
            ssize_t n = read(fd, buf, sizeof buf);
            close(fd);
            if (n < 0) return 2;
            return std::string(buf, static_cast<size_t>(n)) == key ? 0 : 1;
        };
    };
}

OpFactory xattr_get(const std::string &mounted, uint64_t nkeys) {
    return [mounted, nkeys]() -> Op {
        return [mounted, nkeys](uint64_t r) {
            std::string key = std::to_string(r % nkeys);
            char buf[256];
            // One call with a buffer large enough: no size probe.
            ssize_t n =
                getxattr(mounted.c_str(), ("user.chase.get." + key).c_str(), buf, sizeof buf);
            if (n < 0) return 2;
            return std::string(buf, static_cast<size_t>(n)) == key ? 0 : 1;
        };
    };
}

OpFactory ioctl_get(const std::string &mounted, uint64_t nkeys) {
    return [mounted, nkeys]() -> Op {
        int fd = open(mounted.c_str(), O_RDONLY);
        if (fd < 0) _exit(8);
        auto g = std::make_shared<chase_ioc_get>();
        return [fd, g, nkeys](uint64_t r) {
            std::string key = std::to_string(r % nkeys);
            g->size = sizeof *g;
            g->key_len = static_cast<uint32_t>(key.size());
            g->flags = 0;
            memcpy(g->data, key.data(), key.size());
            if (ioctl(fd, CHASE_IOC_GET, g.get()) != 0) return 2;
            return std::string(g->data, g->value_len) == key ? 0 : 1;
        };
    };
}

Sample lib_inflight(const std::string &file, uint64_t nkeys, unsigned inflight, double seconds) {
    Sample s;
    std::shared_ptr<chase::DataFile> f;
    std::unique_ptr<chase::Session> session;
    chase::SessionOptions so;
    so.max_inflight = inflight;
    if (!chase::DataFile::open(file, {}, &f).ok() || !chase::Session::create(so, &session).ok()) {
        s.errors = 1;
        return s;
    }
    std::mt19937_64 rng(77);
    int64_t deadline = bench::now_ns() + static_cast<int64_t>(seconds * 1e9);
    std::function<void()> submit = [&]() {
        std::string key = std::to_string(rng() % nkeys);
        int64_t t0 = bench::now_ns();
        session->submit_get(*f, key, [&, key, t0](const chase::Status &st, std::string_view v) {
            int64_t t = bench::now_ns();
            s.lat_ns.push_back(static_cast<uint32_t>(std::min<int64_t>(t - t0, UINT32_MAX)));
            s.ops++;
            if (!st.ok())
                s.errors++;
            else if (v != key)
                s.wrong++;
            if (t < deadline) submit();
        });
    };
    for (unsigned i = 0; i < inflight; i++) submit();
    session->drain();
    return s;
}

double seq_read_mib_s(const std::string &path, size_t block) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return 0;
    std::vector<char> buf(block);
    uint64_t total = 0;
    int64_t t0 = bench::now_ns();
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0) total += static_cast<uint64_t>(n);
    double secs = static_cast<double>(bench::now_ns() - t0) / 1e9;
    close(fd);
    return static_cast<double>(total) / (1 << 20) / secs;
}

OpFactory random_read_4k(const std::string &path, uint64_t size) {
    return [path, size]() -> Op {
        int fd = open(path.c_str(), O_RDONLY);
        if (fd < 0) _exit(9);
        return [fd, size](uint64_t r) {
            char buf[4096];
            off_t off = static_cast<off_t>((r % (size / 4096)) * 4096);
            return pread(fd, buf, sizeof buf, off) == 4096 ? 0 : 2;
        };
    };
}

OpFactory create_small_files(const std::string &dir) {
    return [dir]() -> Op {
        auto n = std::make_shared<uint64_t>(0);
        std::string prefix = dir + "/f" + std::to_string(getpid()) + "-";
        return [prefix, n](uint64_t) {
            std::string name = prefix + std::to_string((*n)++);
            int fd = open(name.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
            if (fd < 0) return 2;
            char data[4096] = {};
            bool ok = write(fd, data, sizeof data) == static_cast<ssize_t>(sizeof data);
            close(fd);
            return ok && unlink(name.c_str()) == 0 ? 0 : 2;
        };
    };
}

namespace {

// A directory of the worker's own (metadata of separate directories does
// not contend on one directory's lock).
std::string own_dir(const std::string &dir, const char *kind) {
    std::string d = dir + "/" + kind + std::to_string(getpid());
    mkdir(d.c_str(), 0755);
    return d;
}

}  // namespace

OpFactory create_files(const std::string &dir) {
    return [dir]() -> Op {
        // Every 1000 creates the files go again, untimed: a mount holds a
        // descriptor per file the kernel still knows, and thousands of new
        // files a second would meet the daemon's descriptor limit (EMFILE),
        // which is not what this measures.
        constexpr uint64_t kKeep = 1000;
        auto n = std::make_shared<uint64_t>(0);
        std::string prefix = own_dir(dir, "c") + "/f";
        return [prefix, n](uint64_t) {
            if (*n == kKeep) {
                for (uint64_t i = 0; i < kKeep; i++) unlink((prefix + std::to_string(i)).c_str());
                *n = 0;
                return 3;
            }
            int fd =
                open((prefix + std::to_string((*n)++)).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
            if (fd < 0) return 2;
            close(fd);
            return 0;
        };
    };
}

OpFactory stat_files(const std::string &dir) {
    return [dir]() -> Op {
        constexpr unsigned kFiles = 256;
        std::string prefix = own_dir(dir, "s") + "/f";
        for (unsigned i = 0; i < kFiles; i++) {
            int fd = open((prefix + std::to_string(i)).c_str(), O_CREAT | O_WRONLY, 0644);
            if (fd >= 0) close(fd);
        }
        return [prefix](uint64_t rng) {
            struct stat st;
            return stat((prefix + std::to_string(rng % kFiles)).c_str(), &st) == 0 &&
                           st.st_size == 0
                       ? 0
                       : 2;
        };
    };
}

OpFactory unlink_files(const std::string &dir) {
    return [dir]() -> Op {
        constexpr uint64_t kBatch = 500;  // 16 workers stay far from the EMFILE of create_files
        struct Pool {
            uint64_t next = 0, end = 0;
        };
        auto pool = std::make_shared<Pool>();
        std::string prefix = own_dir(dir, "u") + "/f";
        return [prefix, pool](uint64_t) {
            if (pool->next == pool->end) {  // make the next files to unlink, untimed
                for (uint64_t i = 0; i < kBatch; i++) {
                    int fd = open((prefix + std::to_string(pool->end + i)).c_str(),
                                  O_CREAT | O_WRONLY, 0644);
                    if (fd >= 0) close(fd);
                }
                pool->end += kBatch;
                return 3;
            }
            return unlink((prefix + std::to_string(pool->next++)).c_str()) == 0 ? 0 : 2;
        };
    };
}

void drop_caches() {
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0) return;
    if (write(fd, "3", 1) != 1) {
    }
    close(fd);
}

}  // namespace bench_fs
