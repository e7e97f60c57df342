// The chase ioctls (fs/include/chase/ioctl.h) on an open data file.  The
// query runs on the file this fd has open — after a rename of a new version
// over the name, an fd opened before keeps answering from its own version,
// as read() on it would.
#include <errno.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "chase/ioctl.h"
#include "content_lock.h"
#include "datafile_cache.h"
#include "file_errors.h"
#include "ioctl_args.h"
#include "ops.h"
#include "query_runner.h"

namespace chasefs {
namespace {

struct OpenDataFile {
    std::shared_ptr<chase::DataFile> file;
    chase::Status status;
    struct stat st = {};
};

OpenDataFile data_file_of(Inode &inode, int fh) {
    OpenDataFile d;
    if (fstat(fh, &d.st) < 0) {
        d.status = chase::Status::error(errno, strerror(errno));
        return d;
    }
    d.status = datafile_for(fh, version_of(d.st), &d.file);
    return d;
}

chase::Status ioc_get(chase::Session &s, const chase::DataFile &f, chase_ioc_get *g) {
    std::string key;
    chase::Status st = decode_get(*g, &key);
    if (!st.ok()) return st;
    std::string value;
    st = s.get(f, key, &value);
    if (!st.ok()) return st;
    size_t n = std::min(value.size(), size_t{CHASE_IOC_DATA_MAX});
    memcpy(g->data, value.data(), n);
    g->value_len = static_cast<uint32_t>(value.size());
    g->flags = value.size() > n ? CHASE_IOC_TRUNCATED : 0;
    return {};
}

chase::Status ioc_range(chase::Session &s, const chase::DataFile &f, chase_ioc_range *r) {
    IocRange req;
    chase::Status st = decode_range(*r, &req);
    if (!st.ok()) return st;
    std::vector<chase::Record> records;
    st = s.range(f, req.lo, req.hi, req.fetch, &records);
    if (!st.ok()) return st;
    return pack_range(req, records, r);
}

chase::Status ioc_agg(chase::Session &s, const chase::DataFile &f, chase_ioc_agg *a) {
    IocAgg req;
    chase::Status st = decode_agg(*a, &req);
    if (!st.ok()) return st;
    chase::AggResult res;
    st = s.aggregate(f, req.lo, req.hi, req.spec, &res);
    if (!st.ok()) return st;
    a->count = res.count;
    a->sum = res.sum;
    a->numeric = res.numeric;
    a->overflow = res.overflow;
    return {};
}

static_assert(chase::kHopRead == CHASE_HOP_READ && chase::kHopCache == CHASE_HOP_CACHE &&
                  chase::kHopMemory == CHASE_HOP_MEMORY &&
                  chase::kHopChecked == CHASE_HOP_CHECKED &&
                  chase::kHopDecompressed == CHASE_HOP_DECOMPRESSED,
              "the trace's bits cross the ioctl as they are");

chase::Status ioc_trace(chase::Session &s, const chase::DataFile &f, chase_ioc_trace *t) {
    std::string key;
    chase::Status decoded = decode_trace(*t, &key);
    if (!decoded.ok()) return decoded;
    uint32_t n = 0;
    bool truncated = false;
    // The session is this thread's own, so the tracer sees only this lookup.
    s.set_tracer([&](const chase::HopTrace &h) {
        if (n == CHASE_IOC_TRACE_HOPS) {
            truncated = true;
            return;
        }
        chase_ioc_hop &out = t->hops[n++];
        out.offset = h.offset;
        out.len = h.len;
        out.hop = h.hop;
        out.ret = h.ret;
        out.how = h.how;
        out.t_ns = h.t_ns;
    });
    std::string value;
    chase::Status st = s.get(f, key, &value);
    s.set_tracer(nullptr);
    t->nhops = n;
    t->status = st.ok() ? 0 : -st.err;
    size_t len = std::min(value.size(), size_t{CHASE_IOC_TRACE_VALUE_MAX});
    memcpy(t->value, value.data(), len);
    t->value_len = static_cast<uint32_t>(value.size());
    t->flags = (truncated || len < value.size()) ? CHASE_IOC_TRUNCATED : 0;
    // A lookup that failed is still a trace worth returning.
    return {};
}

// Runs one command on a copy of the caller's struct and replies.
template <typename T>
void run_ioctl(fuse_req_t req, Inode &inode, const OpenDataFile &d, const void *in_buf,
               chase::Status (*fn)(chase::Session &, const chase::DataFile &, T *)) {
    auto arg = std::make_unique<T>();
    memcpy(arg.get(), in_buf, sizeof(T));
    chase::Status st;
    SessionLease s(&st);
    if (s) {
        std::shared_lock<std::shared_mutex> reading(content_lock(d.st.st_dev, d.st.st_ino));
        st = fn(*s, *d.file, arg.get());
    }
    if (!st.ok()) {
        if (st.err != ENOENT) record_file_error(d.st.st_dev, d.st.st_ino, st.to_string());
        fuse_reply_err(req, st.err);
        return;
    }
    fuse_reply_ioctl(req, 0, arg.get(), sizeof(T));
}

}  // namespace

void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
              struct fuse_file_info *fi, unsigned flags, const void *in_buf, size_t in_bufsz,
              size_t out_bufsz) {
    Inode *inode = inode_of(ino);
    if (!inode || inode->type != S_IFREG || !is_chase_ioctl(cmd) || (flags & FUSE_IOCTL_COMPAT)) {
        fuse_reply_err(req, ENOTTY);
        return;
    }
    OpenDataFile d = data_file_of(*inode, static_cast<int>(fi->fh));
    if (d.status.err == EMEDIUMTYPE) {
        fuse_reply_err(req, ENOTTY);  // an ordinary file
        return;
    }
    if (!d.status.ok()) {
        record_file_error(d.st.st_dev, d.st.st_ino, d.status.to_string());
        fuse_reply_err(req, d.status.err);
        return;
    }
    if (!ioctl_struct_fits(cmd, in_buf, in_bufsz, out_bufsz)) {
        record_file_error(d.st.st_dev, d.st.st_ino,
                          "EINVAL: ioctl struct size field does not match this chasefs");
        fuse_reply_err(req, EINVAL);
        return;
    }
    if (cmd == CHASE_IOC_GET)
        run_ioctl<chase_ioc_get>(req, *inode, d, in_buf, ioc_get);
    else if (cmd == CHASE_IOC_RANGE)
        run_ioctl<chase_ioc_range>(req, *inode, d, in_buf, ioc_range);
    else if (cmd == CHASE_IOC_AGG)
        run_ioctl<chase_ioc_agg>(req, *inode, d, in_buf, ioc_agg);
    else
        run_ioctl<chase_ioc_trace>(req, *inode, d, in_buf, ioc_trace);
}

}  // namespace chasefs
