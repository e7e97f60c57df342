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

template <typename T>
bool valid_struct(const void *in, size_t in_size, size_t out_size) {
    if (in_size != sizeof(T) || out_size != sizeof(T)) return false;
    return static_cast<const T *>(in)->size == sizeof(T);
}

bool keys_fit(uint32_t a, uint32_t b) {
    return a <= CHASE_IOC_DATA_MAX && b <= CHASE_IOC_DATA_MAX - a;
}

chase::Status ioc_get(chase::Session &s, const chase::DataFile &f, chase_ioc_get *g) {
    if (!keys_fit(g->key_len, 0))
        return chase::Status::error(EINVAL, "key_len is larger than CHASE_IOC_DATA_MAX");
    std::string value;
    chase::Status st = s.get(f, std::string_view(g->data, g->key_len), &value);
    if (!st.ok()) return st;
    size_t n = std::min(value.size(), size_t{CHASE_IOC_DATA_MAX});
    memcpy(g->data, value.data(), n);
    g->value_len = static_cast<uint32_t>(value.size());
    g->flags = value.size() > n ? CHASE_IOC_TRUNCATED : 0;
    return {};
}

chase::Status ioc_range(chase::Session &s, const chase::DataFile &f, chase_ioc_range *r) {
    if (!keys_fit(r->lo_len, r->hi_len))
        return chase::Status::error(EINVAL, "lo_len + hi_len is larger than CHASE_IOC_DATA_MAX");
    std::string lo(r->data, r->lo_len), hi(r->data + r->lo_len, r->hi_len);
    bool exclusive = r->flags & CHASE_IOC_LO_EXCLUSIVE;
    // Records of at least 8 bytes each: never more than this many fit.
    size_t fit = CHASE_IOC_DATA_MAX / 8;
    size_t want = r->max_records ? std::min<size_t>(r->max_records, fit) : fit;
    std::vector<chase::Record> records;
    chase::Status st = s.range(f, lo, hi, want + 1 + (exclusive ? 1 : 0), &records);
    if (!st.ok()) return st;
    size_t first = (exclusive && !records.empty() && records[0].key == lo) ? 1 : 0;
    uint32_t pos = 0, count = 0;
    bool more = false;
    for (size_t i = first; i < records.size(); i++) {
        const chase::Record &rec = records[i];
        size_t need = 8 + rec.key.size() + rec.value.size();
        if (count == want || pos + need > CHASE_IOC_DATA_MAX) {
            more = true;
            break;
        }
        uint32_t kl = static_cast<uint32_t>(rec.key.size());
        uint32_t vl = static_cast<uint32_t>(rec.value.size());
        memcpy(r->data + pos, &kl, 4);
        memcpy(r->data + pos + 4, &vl, 4);
        memcpy(r->data + pos + 8, rec.key.data(), kl);
        memcpy(r->data + pos + 8 + kl, rec.value.data(), vl);
        pos += static_cast<uint32_t>(need);
        count++;
    }
    if (count == 0 && more)
        return chase::Status::error(E2BIG, "a record is larger than CHASE_IOC_DATA_MAX");
    // A caller limit reached exactly is not "more": only space is.
    if (r->max_records && count == r->max_records) more = false;
    r->count = count;
    r->out_len = pos;
    r->flags = more ? CHASE_IOC_MORE : 0;
    return {};
}

chase::Status ioc_agg(chase::Session &s, const chase::DataFile &f, chase_ioc_agg *a) {
    if (!keys_fit(a->lo_len, a->hi_len))
        return chase::Status::error(EINVAL, "lo_len + hi_len is larger than CHASE_IOC_DATA_MAX");
    if (a->filter > CHASE_FILTER_GT)
        return chase::Status::error(EINVAL, "unknown filter " + std::to_string(a->filter));
    chase::AggSpec spec;
    spec.op = static_cast<chase::FilterOp>(a->filter);  // same order as FilterOp
    spec.arg = a->filter_arg;
    spec.want_sum = a->want_sum != 0;
    chase::AggResult res;
    std::string lo(a->data, a->lo_len), hi(a->data + a->lo_len, a->hi_len);
    chase::Status st = s.aggregate(f, lo, hi, spec, &res);
    if (!st.ok()) return st;
    a->count = res.count;
    a->sum = res.sum;
    a->numeric = res.numeric;
    a->overflow = res.overflow;
    return {};
}

chase::Status ioc_trace(chase::Session &s, const chase::DataFile &f, chase_ioc_trace *t) {
    if (t->key_len > CHASE_IOC_TRACE_KEY_MAX)
        return chase::Status::error(EINVAL, "key_len is larger than CHASE_IOC_TRACE_KEY_MAX");
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
        out.reserved = 0;
        out.t_ns = h.t_ns;
    });
    std::string value;
    chase::Status st = s.get(f, std::string_view(t->key, t->key_len), &value);
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
    chase::Session *s = thread_session(&st);
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
    bool ours = cmd == CHASE_IOC_GET || cmd == CHASE_IOC_RANGE || cmd == CHASE_IOC_AGG ||
                cmd == CHASE_IOC_TRACE;
    if (!inode || inode->type != S_IFREG || !ours || (flags & FUSE_IOCTL_COMPAT)) {
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
    bool ok =
        (cmd == CHASE_IOC_GET && valid_struct<chase_ioc_get>(in_buf, in_bufsz, out_bufsz)) ||
        (cmd == CHASE_IOC_RANGE && valid_struct<chase_ioc_range>(in_buf, in_bufsz, out_bufsz)) ||
        (cmd == CHASE_IOC_AGG && valid_struct<chase_ioc_agg>(in_buf, in_bufsz, out_bufsz)) ||
        (cmd == CHASE_IOC_TRACE && valid_struct<chase_ioc_trace>(in_buf, in_bufsz, out_bufsz));
    if (!ok) {
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
