// cdb files (tinycdb / djb cdb; the bytes on disk are drawn in
// bpf/include/chase/cdb.h).  Keys are the raw key bytes.
//
//   get      the first record of the key (as cdb_find and `cdb -q -n 1`
//            give); the key's hash table comes from the header kept since
//            open, so the chain reads a slot block and the record
//   range    KEY..KEY lists every record of KEY, in insertion order (as
//            plain `cdb -q` and cdb_findnext): each chain resumes the probe
//            where the last one stopped and reports up to 64 more; cdb has
//            no key order, so any other range is refused
//
// cdb has no magic number: a file is attached with user.chase.fn=cdb, or
// recognised by detect_cdb(), which checks that the header's 256 tables
// tile the end of the file exactly as every cdb writer lays them out.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "format_registry.h"

extern "C" {
#include "chase/cdb.h"
}

namespace chase {

namespace {

uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

const char *why_text(uint32_t why) {
    switch (why) {
        case CDB_WHY_QUERY:
            return "malformed query";
        case CDB_WHY_HEADER:
            return "the file is shorter than the 2048-byte cdb header";
        case CDB_WHY_TABLE:
            return "a hash table lies outside the file";
        case CDB_WHY_RECORD:
            return "a hash slot points at a record outside the file";
        case CDB_WHY_VALUE:
            return "a record runs past the end of the file";
        default:
            return nullptr;
    }
}

// Where a listing of a key's records goes on: the next slot to probe.
struct Resume {
    uint32_t slot, probed;
};

class CdbFormat final : public Format {
   public:
    CdbFormat(int fd, uint64_t size, uint32_t records, const uint8_t *header,
              std::shared_ptr<FunctionSet> user)
        : fd_(fd), size_(size), records_(records), user_(std::move(user)) {
        memcpy(header_, header, sizeof header_);
    }

    Status init() {
        // CHASE_CDB_CHAIN_HEADER=1: the chain reads the header entry itself
        // (the tests run both ways).
        const char *env = getenv("CHASE_CDB_CHAIN_HEADER");
        chain_reads_header_ = env && *env == '1';
        get_ = find_function(user_, "cdb_get");
        if (!get_) return Status::error(ENOENT, "the cdb storage function cdb_get is missing");
        return {};
    }

    const char *name() const override { return "cdb"; }
    unsigned depth() const override { return 3; }
    std::string geometry() const override {
        return "format=cdb\nslots=" + std::to_string(records_ * 2) +
               "\nrecords=" + std::to_string(records_) + "\nsize=" + std::to_string(size_) +
               "\nreads_per_lookup=3\n";
    }

    Status plan_get(std::string_view key, ChainSpec *c) const override {
        return plan(key, 0, 1, c);
    }

    Status finish_get(const ChainSpec &c, int ret, std::string *value) const override {
        auto *s = reinterpret_cast<const cdb_get_scratch *>(c.scratch);
        Status st = check(*s, ret);
        if (!st.ok()) return st;
        if (s->inline_value) {
            value->assign(reinterpret_cast<const char *>(s->value),
                          std::min<size_t>(s->m[0].vlen, CDB_VALUE_INLINE));
            return {};
        }
        return read_value(s->m[0], value);
    }

    Status plan_range(ScanCursor *cur, ChainSpec *c) const override {
        if (cur->lo != cur->hi || cur->lo.empty())
            return Status::error(EOPNOTSUPP,
                                 "cdb is a hash table and has no key order; the range KEY..KEY "
                                 "lists every record of KEY");
        size_t want = CDB_MAX_MATCHES;
        if (cur->limit) want = std::min(want, cur->limit - cur->taken);
        Status st = plan(cur->lo, 0, uint32_t(want), c);
        if (st.ok() && cur->started) {
            auto *s = reinterpret_cast<cdb_get_scratch *>(c->scratch);
            Resume r;
            memcpy(&r, cur->state, sizeof r);
            s->flags |= CDB_RESUME;
            s->slot = r.slot;
            s->probed = r.probed;
        }
        cur->started = true;
        return st;
    }

    Status finish_range(ScanCursor *cur, const ChainSpec &c, int ret,
                        std::vector<Record> *out) const override {
        auto *s = reinterpret_cast<const cdb_get_scratch *>(c.scratch);
        if (ret == -ENOENT && s->why == CDB_WHY_NONE) {
            cur->finished = true;
            return {};
        }
        Status st = check(*s, ret);
        if (!st.ok()) return st;
        if (s->count > s->limit) return Status::error(EPROTO, "cdb_get returned too many records");
        for (uint32_t i = 0; i < s->count; i++) {
            Record r{cur->lo, {}};
            st = read_value(s->m[i], &r.value);
            if (!st.ok()) return st;
            out->push_back(std::move(r));
        }
        cur->taken += s->count;
        if (!s->more || (cur->limit && cur->taken >= cur->limit)) {
            cur->finished = true;
            return {};
        }
        Resume r{s->slot, s->probed};
        memcpy(cur->state, &r, sizeof r);
        return {};
    }

   private:
    Status plan(std::string_view key, uint32_t skip, uint32_t limit, ChainSpec *c) const {
        auto *s = reinterpret_cast<cdb_get_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        if (key.empty() || key.size() > CDB_MAX_KEY)
            return Status::error(key.empty() ? EINVAL : ENAMETOOLONG,
                                 "cdb keys chasefs looks up are 1 to 1024 bytes; this one has " +
                                     std::to_string(key.size()));
        s->klen = uint32_t(key.size());
        memcpy(s->key, key.data(), key.size());
        s->skip = skip;
        s->limit = limit;
        if (!chain_reads_header_) {
            // A cdb file never changes (writers replace it by rename; this
            // fd keeps the file it opened), so its 2 KiB header, read at
            // open, gives the key's table without a read.
            uint32_t h = CDB_HASH_START;
            for (unsigned char ch : key) h = ((h << 5) + h) ^ ch;
            s->flags |= CDB_GIVEN_TABLE;
            s->given_hash = h;
            s->tpos = le32(header_ + (h & 255) * 8);
            s->tlen = le32(header_ + (h & 255) * 8 + 4);
        }
        c->fn = get_;
        return {};
    }

    Status check(const cdb_get_scratch &s, int ret) const {
        std::string key(reinterpret_cast<const char *>(s.key),
                        std::min<size_t>(s.klen, CDB_MAX_KEY));
        if (ret == CHASE_DONE) return {};
        if (ret == -ENOENT && s.why == CDB_WHY_NONE)
            return Status::error(ENOENT, "key '" + printable_key(key) + "' not found");
        const char *text = why_text(s.why);
        return Status::error(
            -ret, "cdb lookup of '" + printable_key(key) + "': " + (text ? text : strerror(-ret)));
    }

    Status read_value(const cdb_match &m, std::string *value) const {
        if (uint64_t(m.voff) + m.vlen > size_)
            return Status::error(EUCLEAN, "a cdb record runs past the end of the file");
        value->assign(m.vlen, '\0');
        ssize_t n = m.vlen ? pread(fd_, value->data(), m.vlen, m.voff) : 0;
        if (n < 0) return Status::error(errno, "reading a cdb value failed");
        if (size_t(n) != m.vlen) return Status::error(EUCLEAN, "a cdb value is truncated");
        return {};
    }

    int fd_;
    uint64_t size_;
    uint32_t records_;
    std::shared_ptr<FunctionSet> user_;
    const Function *get_ = nullptr;
    uint8_t header_[CDB_HEADER_SIZE];
    bool chain_reads_header_ = false;
};

// Every cdb writer puts the records right after the header and the 256
// tables, in bucket order, right after the records: the tables tile
// [first table, end of file) exactly.  Returns the record count (half the
// slots), or -1 if the header does not describe this file.
int64_t cdb_shape(const uint8_t *head, size_t n, uint64_t size) {
    if (n < CDB_HEADER_SIZE || size < CDB_HEADER_SIZE || size > UINT32_MAX) return -1;
    uint64_t at = le32(head), slots = 0;
    if (at < CDB_HEADER_SIZE) return -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t pos = le32(head + 8 * b), len = le32(head + 8 * b + 4);
        if (pos != at) return -1;
        at += uint64_t(len) * CDB_SLOT_SIZE;
        slots += len;
    }
    if (at != size) return -1;
    return int64_t(slots / 2);
}

bool detect_cdb(const uint8_t *head, size_t n, uint64_t size) {
    return cdb_shape(head, n, size) >= 0;
}

Status open_cdb(int fd, uint64_t size, const std::shared_ptr<FunctionSet> &user,
                std::unique_ptr<Format> *out) {
    uint8_t head[CDB_HEADER_SIZE];
    if (size < CDB_HEADER_SIZE)
        return Status::error(EUCLEAN, "file too short for a cdb header (" + std::to_string(size) +
                                          " of 2048 bytes)");
    if (size > UINT32_MAX)
        return Status::error(EUCLEAN, "a cdb file is at most 4 GiB; this one has " +
                                          std::to_string(size) + " bytes");
    if (pread(fd, head, sizeof head, 0) != ssize_t(sizeof head))
        return Status::error(EIO, "reading the cdb header failed");
    int64_t records = cdb_shape(head, sizeof head, size);
    if (records < 0)
        return Status::error(EUCLEAN,
                             "the cdb header's hash tables do not tile the end of the "
                             "file: not a cdb file, or a truncated one");
    auto f = std::make_unique<CdbFormat>(fd, size, uint32_t(records), head, user);
    Status st = f->init();
    if (!st.ok()) return st;
    *out = std::move(f);
    return {};
}

}  // namespace

const FormatEntry kCdbFormat = {"cdb", nullptr, open_cdb, detect_cdb};

}  // namespace chase
