#include "ioctl_args.h"

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace chasefs {
namespace {

template <typename T>
bool valid_struct(const void *in, size_t in_size, size_t out_size) {
    if (in_size != sizeof(T) || out_size != sizeof(T)) return false;
    // The caller's buffer need not be aligned for T: read the field as bytes.
    uint32_t size;
    memcpy(&size, in, sizeof size);
    return size == sizeof(T);
}

// Two lengths that together stay inside data[CHASE_IOC_DATA_MAX], written
// so that their sum cannot wrap.
bool keys_fit(uint32_t a, uint32_t b) {
    return a <= CHASE_IOC_DATA_MAX && b <= CHASE_IOC_DATA_MAX - a;
}

}  // namespace

bool is_chase_ioctl(unsigned cmd) {
    return cmd == CHASE_IOC_GET || cmd == CHASE_IOC_RANGE || cmd == CHASE_IOC_AGG ||
           cmd == CHASE_IOC_TRACE;
}

bool ioctl_struct_fits(unsigned cmd, const void *in, size_t in_size, size_t out_size) {
    switch (cmd) {
        case CHASE_IOC_GET:
            return valid_struct<chase_ioc_get>(in, in_size, out_size);
        case CHASE_IOC_RANGE:
            return valid_struct<chase_ioc_range>(in, in_size, out_size);
        case CHASE_IOC_AGG:
            return valid_struct<chase_ioc_agg>(in, in_size, out_size);
        case CHASE_IOC_TRACE:
            return valid_struct<chase_ioc_trace>(in, in_size, out_size);
        default:
            return false;
    }
}

chase::Status decode_get(const chase_ioc_get &g, std::string *key) {
    if (!keys_fit(g.key_len, 0))
        return chase::Status::error(EINVAL, "key_len is larger than CHASE_IOC_DATA_MAX");
    key->assign(g.data, g.key_len);
    return {};
}

chase::Status decode_trace(const chase_ioc_trace &t, std::string *key) {
    if (t.key_len > CHASE_IOC_TRACE_KEY_MAX)
        return chase::Status::error(EINVAL, "key_len is larger than CHASE_IOC_TRACE_KEY_MAX");
    key->assign(t.key, t.key_len);
    return {};
}

chase::Status decode_range(const chase_ioc_range &r, IocRange *out) {
    if (!keys_fit(r.lo_len, r.hi_len))
        return chase::Status::error(EINVAL, "lo_len + hi_len is larger than CHASE_IOC_DATA_MAX");
    out->lo.assign(r.data, r.lo_len);
    out->hi.assign(r.data + r.lo_len, r.hi_len);
    out->exclusive = r.flags & CHASE_IOC_LO_EXCLUSIVE;
    // Records of at least 8 bytes each: never more than this many fit.
    size_t fit = CHASE_IOC_DATA_MAX / 8;
    out->want = r.max_records ? std::min<size_t>(r.max_records, fit) : fit;
    out->fetch = out->want + 1 + (out->exclusive ? 1 : 0);
    return {};
}

chase::Status decode_agg(const chase_ioc_agg &a, IocAgg *out) {
    if (!keys_fit(a.lo_len, a.hi_len))
        return chase::Status::error(EINVAL, "lo_len + hi_len is larger than CHASE_IOC_DATA_MAX");
    if (a.filter > CHASE_FILTER_GT)
        return chase::Status::error(EINVAL, "unknown filter " + std::to_string(a.filter));
    out->spec = {};
    out->spec.op = static_cast<chase::FilterOp>(a.filter);  // same order as FilterOp
    out->spec.arg = a.filter_arg;
    out->spec.want_sum = a.want_sum != 0;
    out->lo.assign(a.data, a.lo_len);
    out->hi.assign(a.data + a.lo_len, a.hi_len);
    return {};
}

chase::Status pack_range(const IocRange &req, const std::vector<chase::Record> &records,
                         chase_ioc_range *r) {
    size_t first = (req.exclusive && !records.empty() && records[0].key == req.lo) ? 1 : 0;
    uint32_t pos = 0, count = 0;
    bool more = false;
    for (size_t i = first; i < records.size(); i++) {
        const chase::Record &rec = records[i];
        size_t need = 8 + rec.key.size() + rec.value.size();
        if (count == req.want || pos + need > CHASE_IOC_DATA_MAX) {
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

}  // namespace chasefs
