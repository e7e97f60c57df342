// Opening a data file: two descriptors (O_DIRECT for the engines, buffered
// for format recognition), the function set named by user.chase.fn, and
// the format adapter.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "block_cache.h"
#include "extent_cache.h"
#include "bpf_loader.h"
#include "format.h"
#include "stats.h"

namespace chase {

namespace {

// user.chase.fn names a format ("bptree"), or a BPF object file of
// storage functions ("/path/fn.bpf.o").
void read_fn_attribute(int fd, std::string *format, std::string *object) {
    char buf[4096];
    ssize_t n = fgetxattr(fd, "user.chase.fn", buf, sizeof buf - 1);
    if (n <= 0) return;
    std::string v(buf, size_t(n));
    while (!v.empty() && (v.back() == '\n' || v.back() == '\0')) v.pop_back();
    if (v.find('/') != std::string::npos || v.ends_with(".o"))
        *object = v;
    else
        *format = v;
}

}  // namespace

bool DataFile::looks_like_one(int fd) {
    if (fgetxattr(fd, "user.chase.fn", nullptr, 0) >= 0) return true;
    struct stat st;
    if (fstat(fd, &st) < 0) return false;
    return !sniff_format(fd, uint64_t(st.st_size)).empty();
}

Status DataFile::open(const std::string &path, const OpenOptions &opts,
                      std::shared_ptr<DataFile> *out) {
    std::shared_ptr<DataFile> f(new DataFile);
    f->path_ = path;
    f->bfd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->bfd_ < 0) return Status::error(errno, "cannot open " + path + ": " + strerror(errno));
    struct stat st;
    if (fstat(f->bfd_, &st)) return Status::error(errno, "cannot stat " + path);
    if (!S_ISREG(st.st_mode)) return Status::error(EINVAL, path + " is not a regular file");
    f->size_ = uint64_t(st.st_size);
    f->dev_ = st.st_dev;
    f->ino_ = st.st_ino;
    f->mtime_ns_ = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    // Open the same inode again by its /proc path, so a rename over `path`
    // between the two opens cannot hand us two different files.
    std::string self = "/proc/self/fd/" + std::to_string(f->bfd_);
    f->dfd_ = ::open(self.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (f->dfd_ < 0 && errno == EINVAL)  // no O_DIRECT here (tmpfs, some FUSE)
        f->dfd_ = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (f->dfd_ < 0) return Status::error(errno, "cannot open " + path + " for direct I/O");

    std::string format = opts.format, object = opts.function;
    if (format.empty() && object.empty()) read_fn_attribute(f->bfd_, &format, &object);
    if (!object.empty()) {
        const Credentials *as = opts.object_reader ? &*opts.object_reader : nullptr;
        Status s = read_object_functions(object, as, &f->functions_);
        if (!s.ok()) return s;
    }
    Status s = open_format(f->bfd_, f->size_, format, f->functions_, &f->format_);
    if (!s.ok()) {
        s.msg = path + ": " + s.msg;
        return s;
    }
    f->counters_ = std::make_unique<Counters>();
    if (opts.cache_bytes && f->format_->prepares_blocks())
        f->extent_cache_ = std::make_unique<ExtentCache>(opts.cache_bytes);
    else if (opts.cache_bytes)
        f->cache_ = std::make_unique<BlockCache>(opts.cache_bytes);
    *out = std::move(f);
    return {};
}

DataFile::~DataFile() {
    if (dfd_ >= 0) close(dfd_);
    if (bfd_ >= 0) close(bfd_);
}

std::string DataFile::format_name() const {
    return format_->name();
}
std::string DataFile::geometry() const {
    return format_->geometry();
}
Stats DataFile::stats() const {
    Stats s = counters_->snapshot();
    if (cache_) s.cache_hits = cache_->hits();
    if (extent_cache_) s.cache_hits = extent_cache_->hits();
    return s;
}
void DataFile::reset_stats() {
    counters_->reset();
}

}  // namespace chase
