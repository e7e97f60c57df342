// Fuzz target: the ioctl argument decoding of the daemon
// (fs/daemon/ioctl_args.cc): the size checks FUSE's buffers go through, the
// key lengths of every command, and the packing of a range answer back into
// the caller's struct.
//
// Input: byte 0 picks the command (4 chase ioctls and one foreign one),
// byte 1 how the buffer arrives (bit 0: exactly the struct's size, padded
// or cut; bit 1: the harness writes the right size field; bit 2: out_size
// differs by one), bytes 2-3 the length R of a record list, then R bytes of
// records ({u8 key_len, u8 value_len, key, value}, the last one's lengths
// scaled up to reach the E2BIG path), then the struct's bytes.
// A finding: any crash or sanitizer report; a struct accepted with a wrong
// size; a decoded key or bound that is not the bytes the lengths name; an
// error other than EINVAL (decoding) or E2BIG (packing) or one without a
// sentence; a packed answer that does not read back as exactly the records
// it should hold, or that claims more or less than it holds.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "ioctl_args.h"

using namespace chasefs;

namespace {

[[noreturn]] void finding(const std::string &what) {
    fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
    abort();
}

void check_error(const chase::Status &st, int want) {
    if (!st.ok() && (st.err != want || st.msg.empty()))
        finding("unexpected error " + st.to_string());
}

std::vector<chase::Record> records_from(const uint8_t *p, size_t n) {
    std::vector<chase::Record> recs;
    while (n >= 2) {
        size_t kl = p[0], vl = p[1];
        p += 2, n -= 2;
        if (kl + vl > n) {  // the last record: as long as the rest allows, or huge
            kl = std::min(kl, n);
            vl = (vl & 1) ? CHASE_IOC_DATA_MAX : n - kl;
        }
        chase::Record r;
        r.key.assign(reinterpret_cast<const char *>(p), kl);
        r.value.assign(vl, 'v');
        memcpy(r.value.data(), p + kl, std::min(vl, n - kl));
        recs.push_back(std::move(r));
        size_t used = std::min(kl + vl, n);
        p += used, n -= used;
    }
    return recs;
}

// What pack_range must have written, read back independently.
void check_packed(const IocRange &req, const std::vector<chase::Record> &recs,
                  const chase::Status &st, const chase_ioc_range &r) {
    size_t first = (req.exclusive && !recs.empty() && recs[0].key == req.lo) ? 1 : 0;
    if (!st.ok()) {
        if (recs.size() <= first ||
            8 + recs[first].key.size() + recs[first].value.size() <= CHASE_IOC_DATA_MAX)
            finding("E2BIG although the first record fits");
        return;
    }
    if (r.out_len > CHASE_IOC_DATA_MAX || r.count > req.want) finding("packed too much");
    size_t pos = 0;
    for (uint32_t i = 0; i < r.count; i++) {
        uint32_t kl, vl;
        if (pos + 8 > r.out_len) finding("record header past out_len");
        memcpy(&kl, r.data + pos, 4);
        memcpy(&vl, r.data + pos + 4, 4);
        if (pos + 8 + kl + vl > r.out_len) finding("record past out_len");
        const chase::Record &want = recs.at(first + i);
        if (std::string(r.data + pos + 8, kl) != want.key ||
            std::string(r.data + pos + 8 + kl, vl) != want.value)
            finding("packed record " + std::to_string(i) + " differs");
        pos += 8 + kl + vl;
    }
    if (pos != r.out_len) finding("out_len is not the records' length");
    bool left = first + r.count < recs.size();
    bool more = left && !(r.max_records && r.count == r.max_records);
    if (bool(r.flags & CHASE_IOC_MORE) != more) finding("CHASE_IOC_MORE is wrong");
    if (left && r.count < req.want && !(r.max_records && r.count == r.max_records)) {
        const chase::Record &next = recs[first + r.count];
        if (pos + 8 + next.key.size() + next.value.size() <= CHASE_IOC_DATA_MAX)
            finding("a record that fit was left out");
    }
}

template <typename T>
std::unique_ptr<T> as_struct(const std::vector<uint8_t> &buf) {
    auto t = std::make_unique<T>();
    memcpy(t.get(), buf.data(), sizeof(T));
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    static const unsigned kCmds[] = {CHASE_IOC_GET, CHASE_IOC_RANGE, CHASE_IOC_AGG, CHASE_IOC_TRACE,
                                     0xC4C4};
    static const size_t kSizes[] = {sizeof(chase_ioc_get), sizeof(chase_ioc_range),
                                    sizeof(chase_ioc_agg), sizeof(chase_ioc_trace), 64};
    unsigned which = data[0] % 5, mode = data[1];
    size_t nrec = std::min<size_t>(data[2] | data[3] << 8, size - 4);
    const uint8_t *rec_bytes = data + 4, *body = data + 4 + nrec;
    size_t body_len = size - 4 - nrec;

    unsigned cmd = kCmds[which];
    size_t want_size = kSizes[which];
    // Exactly as FUSE would pass it: in_size bytes of the caller's struct.
    std::vector<uint8_t> in(body, body + body_len);
    if (mode & 1) in.resize(want_size);
    if ((mode & 2) && in.size() >= 4) {
        uint32_t sz = uint32_t(want_size);
        memcpy(in.data(), &sz, 4);
    }
    size_t out_size = in.size() + ((mode & 4) ? 1 : 0);
    bool fits = ioctl_struct_fits(cmd, in.data(), in.size(), out_size);
    uint32_t field = 0;
    if (in.size() >= 4) memcpy(&field, in.data(), 4);
    bool should = is_chase_ioctl(cmd) && in.size() == want_size && out_size == want_size &&
                  field == want_size;
    if (fits != should) finding("ioctl_struct_fits is wrong");
    if (!fits) return 0;

    if (cmd == CHASE_IOC_GET) {
        auto g = as_struct<chase_ioc_get>(in);
        std::string key;
        chase::Status st = decode_get(*g, &key);
        check_error(st, EINVAL);
        if (st.ok() != (g->key_len <= CHASE_IOC_DATA_MAX) ||
            (st.ok() && key != std::string(g->data, g->key_len)))
            finding("decode_get is wrong");
    } else if (cmd == CHASE_IOC_TRACE) {
        auto t = as_struct<chase_ioc_trace>(in);
        std::string key;
        chase::Status st = decode_trace(*t, &key);
        check_error(st, EINVAL);
        if (st.ok() != (t->key_len <= CHASE_IOC_TRACE_KEY_MAX) ||
            (st.ok() && key != std::string(t->key, t->key_len)))
            finding("decode_trace is wrong");
    } else if (cmd == CHASE_IOC_AGG) {
        auto a = as_struct<chase_ioc_agg>(in);
        IocAgg req;
        chase::Status st = decode_agg(*a, &req);
        check_error(st, EINVAL);
        bool fit = uint64_t(a->lo_len) + a->hi_len <= CHASE_IOC_DATA_MAX;
        if (st.ok() != (fit && a->filter <= CHASE_FILTER_GT)) finding("decode_agg is wrong");
        if (st.ok() && (req.lo != std::string(a->data, a->lo_len) ||
                        req.hi != std::string(a->data + a->lo_len, a->hi_len) ||
                        unsigned(req.spec.op) != a->filter || req.spec.arg != a->filter_arg ||
                        req.spec.want_sum != (a->want_sum != 0)))
            finding("decode_agg read the wrong fields");
    } else {
        auto r = as_struct<chase_ioc_range>(in);
        IocRange req;
        chase::Status st = decode_range(*r, &req);
        check_error(st, EINVAL);
        bool fit = uint64_t(r->lo_len) + r->hi_len <= CHASE_IOC_DATA_MAX;
        if (st.ok() != fit) finding("decode_range is wrong");
        if (!st.ok()) return 0;
        if (req.lo != std::string(r->data, r->lo_len) ||
            req.hi != std::string(r->data + r->lo_len, r->hi_len) ||
            req.exclusive != bool(r->flags & CHASE_IOC_LO_EXCLUSIVE) || req.want == 0 ||
            req.want > CHASE_IOC_DATA_MAX / 8 || (r->max_records && req.want > r->max_records) ||
            req.fetch != req.want + 1 + req.exclusive)
            finding("decode_range read the wrong fields");
        std::vector<chase::Record> recs = records_from(rec_bytes, nrec);
        // The session's answer to an exclusive range usually starts at lo.
        if (req.exclusive && (mode & 8)) recs.insert(recs.begin(), {req.lo, "lo"});
        st = pack_range(req, recs, r.get());
        check_error(st, E2BIG);
        check_packed(req, recs, st, *r);
    }
    return 0;
}
