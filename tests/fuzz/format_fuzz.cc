#include "format_fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace chase_fuzz {

namespace {

std::string scratch_path() {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/chase-fuzz-" + std::to_string(getpid()) + ".data";
}

}  // namespace

const std::string &write_input(const uint8_t *data, size_t size) {
    static const std::string path = [] {
        std::string p = scratch_path();
        static std::string at_exit = p;
        atexit([] { unlink(at_exit.c_str()); });
        return p;
    }();
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) finding("cannot create " + path);
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) finding("cannot write " + path);
        done += size_t(n);
    }
    close(fd);
    return path;
}

chase::Session &native_session() {
    static std::unique_ptr<chase::Session> session = [] {
        std::unique_ptr<chase::Session> s;
        chase::SessionOptions o;
        o.engine = chase::EngineKind::native;
        o.max_inflight = 8;
        chase::Status st = chase::Session::create(o, &s);
        if (!st.ok()) finding("no native session: " + st.to_string());
        return s;
    }();
    return *session;
}

Steer steer(const uint8_t *data, size_t size, size_t max_key) {
    Steer s;
    if (size == 0) return s;
    uint8_t b = data[size - 1];
    s.alt = b & 0x80;
    s.cache = b & 0x40;
    size_t len = std::min<size_t>((b & 0x3f) % (max_key + 1), size - 1);
    s.key = std::string_view(reinterpret_cast<const char *>(data) + size - 1 - len, len);
    return s;
}

bool open_as(const std::string &path, const char *format, bool cache,
             std::shared_ptr<chase::DataFile> *out) {
    chase::OpenOptions o;
    o.format = format;
    o.cache_bytes = cache ? 64 << 10 : 0;
    chase::Status st = chase::DataFile::open(path, o, out);
    check(st, "open");
    return st.ok();
}

void check(const chase::Status &st, const char *what) {
    if (st.ok()) return;
    if (st.err < 0 || st.err > 4095)
        finding(std::string(what) + " returned errno " + std::to_string(st.err));
    if (st.msg.empty()) finding(std::string(what) + " failed without a sentence");
}

void finding(const std::string &what) {
    fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    abort();
}

}  // namespace chase_fuzz
