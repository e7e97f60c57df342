// LMDB environment files (data.mdb as liblmdb 0.9 writes it; the bytes on
// disk are drawn in bpf/include/chase/lmdb.h).  Keys are the raw key bytes;
// "NAME/KEY" looks KEY up in the named database NAME when the main database
// holds a database of that name (see bpf/FORMATS.md).
//
//   plan    key (+ named database) into struct lmdb_get_scratch, and the
//           current snapshot (txnid, root) from the two meta pages; for the
//           main database, the branch levels above the leaves are walked
//           here through the page cache (they are few and hot)
//   chain   lmdb_get: the leaf (or branch pages and leaf; and the meta pages
//           too, when the adapter could not read them)
//   finish  inline value from the scratch area, or one pread of the overflow
//           run (its page header checked); then the snapshot check below
//
//   range   lmdb_range, records lo..hi in key order ("" = unbounded; both
//           bounds NAME/... for a named database); each chain fills the
//           scratch area's record buffer and the next one starts after the
//           last key returned
//
// Snapshot check.  The chain read snapshot txnid from meta slot txnid % 2.
// A writer overwrites that slot only when it commits txnid + 2, and pages of
// the snapshot can be reused no earlier than by the transaction after that
// one (liblmdb reuses pages freed by transactions older than the oldest
// snapshot still possibly in use).  So if the slot still holds txnid after
// every page was read, none of the pages read had been overwritten: the
// answer is the snapshot's.  Otherwise the lookup says EAGAIN (retry).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include "engine.h"
#include "format_registry.h"

extern "C" {
#include "chase/lmdb.h"
}

namespace chase {

namespace {

template <typename T>
T load(const uint8_t *p) {
    T v;
    memcpy(&v, p, sizeof v);
    return v;
}

const char *why_text(uint32_t why) {
    switch (why) {
        case LMDB_WHY_MAGIC:
            return "a meta page lacks the LMDB magic number 0xBEEFC0DE";
        case LMDB_WHY_VERSION:
            return "the LMDB data version is not 1";
        case LMDB_WHY_PAGE_SIZE:
            return "the page size is not 4096 bytes";
        case LMDB_WHY_DUPSORT:
            return "the database was created with MDB_DUPSORT (duplicate keys), which chasefs "
                   "does not read";
        case LMDB_WHY_KEY_ORDER:
            return "the database uses MDB_REVERSEKEY or MDB_INTEGERKEY ordering, which chasefs "
                   "does not read";
        case LMDB_WHY_PAGE_RANGE:
            return "a page number points past the end of the file";
        case LMDB_WHY_PAGE_PGNO:
            return "a page's header names a different page number";
        case LMDB_WHY_PAGE_TYPE:
            return "a page is not the branch or leaf page the tree needs";
        case LMDB_WHY_PAGE_BOUNDS:
            return "a page's lower/upper bounds are impossible";
        case LMDB_WHY_DEPTH:
            return "the tree is deeper than its recorded depth";
        case LMDB_WHY_NODE:
            return "a node or its key runs out of its page";
        case LMDB_WHY_NOT_SUBDB:
            return "the name is a plain key, not a named database";
        case LMDB_WHY_IS_SUBDB:
            return "the key names a database, not a value";
        case LMDB_WHY_NO_SUBDB:
            return "no such named database";
        case LMDB_WHY_DUPDATA:
            return "a duplicate-data node outside an MDB_DUPSORT database";
        case LMDB_WHY_BIG_RANGE:
            return "an overflow value runs past the end of the file";
        case LMDB_WHY_QUERY:
            return "malformed query";
        case LMDB_WHY_EMPTY:
            return "the database is empty";
        default:
            return nullptr;
    }
}

// A main database of at most this many pages is walked at open for the
// names of the named databases.
constexpr unsigned kNameWalkPages = 256;

struct Meta {
    uint64_t txnid = 0, root = 0, entries = 0, last_pg = 0;
    uint64_t pages = 0;  // branch + leaf pages of the main database
    uint16_t flags = 0, depth = 0;
    uint32_t psize = 0;
};

// The file offset of page pgno, or -1 (which pread refuses) for a page
// number from a corrupt file that no file can reach: the product would
// overflow off_t.
off_t page_offset(uint64_t pgno) {
    return pgno > uint64_t(INT64_MAX) / LMDB_PAGE_SIZE ? -1 : off_t(pgno * LMDB_PAGE_SIZE);
}

Status parse_meta(const uint8_t *b, unsigned slot, Meta *m) {
    if (load<uint32_t>(b + LMDB_META_MAGIC) != LMDB_MAGIC)
        return Status::error(EUCLEAN, "LMDB meta page " + std::to_string(slot) +
                                          " lacks the magic number 0xBEEFC0DE");
    if (load<uint32_t>(b + LMDB_META_VERSION) != LMDB_VERSION)
        return Status::error(EOPNOTSUPP, "LMDB data version " +
                                             std::to_string(load<uint32_t>(b + LMDB_META_VERSION)) +
                                             " is not supported (only 1, liblmdb 0.9)");
    const uint8_t *main = b + LMDB_META_DBS + LMDB_MAIN_DBI * LMDB_DB_SIZE;
    m->psize = load<uint32_t>(b + LMDB_META_DBS + LMDB_DB_PAD);
    m->flags = load<uint16_t>(main + LMDB_DB_FLAGS);
    m->depth = load<uint16_t>(main + LMDB_DB_DEPTH);
    m->entries = load<uint64_t>(main + LMDB_DB_ENTRIES);
    m->pages = load<uint64_t>(main + 8) + load<uint64_t>(main + 16);  // branch, leaf pages
    m->root = load<uint64_t>(main + LMDB_DB_ROOT);
    m->last_pg = load<uint64_t>(b + LMDB_META_LAST_PG);
    m->txnid = load<uint64_t>(b + LMDB_META_TXNID);
    return {};
}

Status read_meta(int fd, unsigned slot, Meta *m) {
    uint8_t b[LMDB_META_TXNID + 8];
    ssize_t n = pread(fd, b, sizeof b, off_t(slot) * LMDB_PAGE_SIZE);
    if (n != ssize_t(sizeof b))
        return Status::error(EUCLEAN, "LMDB meta page " + std::to_string(slot) + " is truncated");
    return parse_meta(b, slot, m);
}

class LmdbFormat final : public Format {
   public:
    LmdbFormat(int fd, uint64_t size, const Meta &m, std::set<std::string> subdbs,
               std::shared_ptr<FunctionSet> user)
        : fd_(fd),
          size_(size),
          meta_(m),
          subdbs_(std::move(subdbs)),
          names_complete_(m.root == LMDB_INVALID_PGNO || m.pages <= kNameWalkPages),
          user_(std::move(user)) {}

    Status init() {
        // CHASE_LMDB_CHAIN_META=1: the chain reads the meta pages and walks
        // every branch page itself (the tests run both ways).
        const char *env = getenv("CHASE_LMDB_CHAIN_META");
        chain_reads_meta_ = env && *env == '1';
        get_ = find_function(user_, "lmdb_get");
        range_ = find_function(user_, "lmdb_range");
        if (!get_ || !range_)
            return Status::error(ENOENT, "the LMDB storage functions are missing");
        return {};
    }

    const char *name() const override { return "lmdb"; }
    unsigned depth() const override { return meta_.depth; }
    std::string geometry() const override {
        std::string names;
        for (const auto &n : subdbs_) names += (names.empty() ? "" : ",") + printable_key(n);
        return "format=lmdb\npage_size=" + std::to_string(meta_.psize) +
               "\ntxnid=" + std::to_string(meta_.txnid) + "\ndepth=" + std::to_string(meta_.depth) +
               "\nentries=" + std::to_string(meta_.entries) +
               "\nlast_page=" + std::to_string(meta_.last_pg) +
               "\nmain_flags=" + std::to_string(meta_.flags) + "\nnamed_databases=" + names +
               "\nreads_per_lookup=" + std::to_string(meta_.depth) + "\n";
    }

    Status plan_get(std::string_view key, ChainSpec *c) const override {
        auto *s = reinterpret_cast<lmdb_get_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        std::string_view db;
        size_t slash = key.find('/');
        if (slash != std::string_view::npos && is_named_database(key.substr(0, slash))) {
            db = key.substr(0, slash);
            key = key.substr(slash + 1);
        }
        if (key.empty() || key.size() > LMDB_MAX_KEY)
            return Status::error(
                key.empty() ? EINVAL : ENAMETOOLONG,
                "LMDB keys are 1 to 511 bytes; this one has " + std::to_string(key.size()));
        s->klen = uint16_t(key.size());
        memcpy(s->key, key.data(), key.size());
        s->dblen = uint16_t(db.size());
        // An empty view may have no data pointer, and memcpy from nullptr is
        // undefined even for 0 bytes (UBSan, tests/fuzz).
        if (!db.empty()) memcpy(s->dbname, db.data(), db.size());
        give_snapshot(&s->w);
        c->cache_tag = snapshot_tag(s->w);
        c->file_size = size_;
        if (db.empty()) descend_cached(&s->w, key);
        c->fn = get_;
        // two meta pages, the named database's descent and the key's
        c->hop_cap = std::max(c->hop_cap, 2 + 2 * LMDB_MAX_DEPTH + 1);
        return {};
    }

    Status finish_get(const ChainSpec &c, int ret, std::string *value) const override {
        auto *s = reinterpret_cast<const lmdb_get_scratch *>(c.scratch);
        std::string key(reinterpret_cast<const char *>(s->key), std::min<size_t>(s->klen, 511));
        Status st;
        if (ret == CHASE_DONE && (s->flags & LMDB_GET_BIG))
            st = read_overflow(*s, value);
        else if (ret == CHASE_DONE)
            value->assign(reinterpret_cast<const char *>(s->value),
                          std::min<size_t>(s->vlen, LMDB_INLINE_MAX));
        else if (ret == -ENOENT && s->w.why == LMDB_WHY_NONE)
            st = Status::error(ENOENT, "key '" + printable_key(key) + "' not found");
        else
            st = function_error(ret, s->w.why, key, c.file_size);
        // A chain that failed before choosing a snapshot read no tree page.
        if (s->w.metas < 2) return st;
        // After an overflow pread only a check read after it covers it.
        Status snap = check_snapshot(
            s->w, ret == CHASE_DONE && (s->flags & LMDB_GET_BIG) ? 0 : c.reads_done_ns);
        return snap.ok() ? st : snap;
    }

    Status plan_range(ScanCursor *cur, ChainSpec *c) const override {
        auto *s = reinterpret_cast<lmdb_range_scratch *>(c->scratch);
        memset(s, 0, sizeof *s);
        std::string db;
        std::string_view lo = cur->lo, hi = cur->hi;
        for (std::string_view b : {lo, hi}) {
            size_t slash = b.find('/');
            if (db.empty() && slash != std::string_view::npos &&
                is_named_database(b.substr(0, slash)))
                db = std::string(b.substr(0, slash));
        }
        if (!db.empty()) {
            for (std::string_view *b : {&lo, &hi}) {
                if (b->empty()) continue;
                if (b->substr(0, db.size() + 1) != db + "/")
                    return Status::error(EINVAL,
                                         "both bounds of a range in a named database "
                                         "start with its name, NAME/");
                b->remove_prefix(db.size() + 1);
            }
        }
        if (lo.size() > LMDB_MAX_KEY || hi.size() > LMDB_MAX_KEY)
            return Status::error(ENAMETOOLONG, "LMDB keys are at most 511 bytes");
        s->lo_len = uint16_t(lo.size());
        memcpy(s->lo, lo.data(), lo.size());
        s->hi_len = uint16_t(hi.size());
        memcpy(s->hi, hi.data(), hi.size());
        s->dblen = uint16_t(db.size());
        memcpy(s->dbname, db.data(), db.size());
        if (lo.empty()) s->flags |= LMDB_R_LO_OPEN;
        if (hi.empty()) s->flags |= LMDB_R_HI_OPEN;
        if (cur->started && cur->state[0]) s->flags |= LMDB_R_LO_EXCL;
        give_snapshot(&s->w);
        c->cache_tag = snapshot_tag(s->w);
        c->file_size = size_;
        if (cur->limit) s->limit = uint32_t(std::min<size_t>(cur->limit - cur->taken, 1u << 20));
        cur->started = true;
        c->fn = range_;
        c->hop_cap = std::max(c->hop_cap, LMDB_SCAN_HOP_BUDGET + 3 * LMDB_MAX_DEPTH + 4);
        return {};
    }

    Status finish_range(ScanCursor *cur, const ChainSpec &c, int ret,
                        std::vector<Record> *out) const override {
        auto *s = reinterpret_cast<const lmdb_range_scratch *>(c.scratch);
        if (ret < 0) {
            Status st =
                function_error(ret, s->w.why, "range " + cur->lo + ".." + cur->hi, c.file_size);
            if (s->w.metas < 2) return st;
            Status snap = check_snapshot(s->w, c.reads_done_ns);
            return snap.ok() ? st : snap;
        }
        std::string prefix;
        if (s->dblen) prefix.assign(reinterpret_cast<const char *>(s->dbname), s->dblen) += '/';
        std::vector<Record> got;
        bool read_big = false;  // an overflow pread after the chain's reads
        size_t at = 0;
        for (uint32_t i = 0; i < s->count; i++) {
            if (at + LMDB_REC_HDR > s->used || s->used > LMDB_RANGE_OUT)
                return Status::error(EPROTO, "lmdb_range returned a malformed record list");
            const uint8_t *h = s->out + at;
            uint16_t klen = load<uint16_t>(h), flags = load<uint16_t>(h + 2);
            uint32_t vlen = load<uint32_t>(h + 4);
            uint64_t voff = load<uint64_t>(h + 8);
            size_t payload = klen + ((flags & LMDB_GET_BIG) ? 0 : vlen);
            if (at + LMDB_REC_HDR + payload > s->used)
                return Status::error(EPROTO, "lmdb_range returned a malformed record list");
            Record r;
            r.key = prefix + std::string(reinterpret_cast<const char *>(h + LMDB_REC_HDR), klen);
            if (flags & LMDB_GET_BIG) {
                lmdb_get_scratch big{};
                big.vpage = (voff - LMDB_PAGEHDRSZ) / LMDB_PAGE_SIZE;
                big.vlen = vlen;
                read_big = true;
                Status st = read_overflow(big, &r.value);
                if (!st.ok()) return st;
            } else {
                r.value.assign(reinterpret_cast<const char *>(h + LMDB_REC_HDR + klen), vlen);
            }
            got.push_back(std::move(r));
            at = (at + LMDB_REC_HDR + payload + 7) & ~size_t(7);
        }
        Status snap = check_snapshot(s->w, read_big ? 0 : c.reads_done_ns);
        if (!snap.ok()) return snap;
        cur->taken += got.size();
        if (!s->more || (cur->limit && cur->taken >= cur->limit)) {
            cur->finished = true;
        } else if (got.empty()) {
            return Status::error(EUCLEAN, "LMDB range scan made no progress (a corrupt tree)");
        } else {
            cur->lo = got.back().key;  // the next chain starts after it
            cur->state[0] = 1;
        }
        for (auto &r : got) out->push_back(std::move(r));
        return {};
    }

    Status plan_aggregate(ScanCursor *, const AggSpec &, ChainSpec *) const override {
        return Status::error(EOPNOTSUPP,
                             "aggregates over LMDB files are not implemented; a range scan "
                             "(F@LO..HI) lists the records");
    }

   private:
    // Whether name is a named database: one of the names collected at open
    // (a small main database), else looked up in the main database of the
    // current snapshot now (branch pages from the cache, the leaf through
    // the page cache).  A large main database may hold named databases too;
    // without this, NAME/KEY would be taken for a plain key and miss.
    bool is_named_database(std::string_view name) const {
        if (subdbs_.count(std::string(name))) return true;
        if (names_complete_ || name.empty() || name.size() > LMDB_MAX_KEY) return false;
        // Only printable names are looked up: named databases are named by
        // C strings, and a binary key that happens to hold a '/' must not
        // cost every lookup of it a page read (6% of random 16-byte keys).
        for (unsigned char ch : name)
            if (ch < 0x20 || ch > 0x7e) return false;
        lmdb_walk w{};
        give_snapshot(&w, true);
        if (!w.given || w.root == LMDB_INVALID_PGNO) return false;
        descend_cached(&w, name, true);
        if (w.skip_levels + 1u != w.depth) return false;  // could not reach the leaf
        uint8_t p[LMDB_PAGE_SIZE];
        if (pread(fd_, p, sizeof p, page_offset(w.root)) != ssize_t(sizeof p) ||
            load<uint64_t>(p + LMDB_PG_PGNO) != w.root ||
            !(load<uint16_t>(p + LMDB_PG_FLAGS) & LMDB_P_LEAF))
            return false;
        unsigned lower = load<uint16_t>(p + LMDB_PG_LOWER);
        if (lower < LMDB_PG_PTRS || lower > sizeof p) return false;
        for (unsigned i = 0; i < (lower - LMDB_PG_PTRS) / 2u; i++) {
            unsigned at = load<uint16_t>(p + LMDB_PG_PTRS + 2 * i);
            if (at + LMDB_NODESIZE > sizeof p) return false;
            unsigned ksize = load<uint16_t>(p + at + LMDB_NODE_KSIZE);
            if (at + LMDB_NODESIZE + ksize > sizeof p) return false;
            if (std::string_view(reinterpret_cast<const char *>(p + at + LMDB_NODESIZE), ksize) ==
                name)
                return load<uint16_t>(p + at + LMDB_NODE_FLAGS) & LMDB_F_SUBDATA;
        }
        return false;
    }

    // Reads both meta pages (buffered: they are read by every lookup and
    // stay in the page cache) and gives the chain the newer snapshot, so it
    // starts at the root: two reads fewer per lookup.  If a meta page looks
    // wrong the chain reads them itself and says what is wrong.
    // probe: for the adapter's own use (is_named_database), also when the
    // chains read the meta pages themselves.
    void give_snapshot(lmdb_walk *w, bool probe = false) const {
        if (chain_reads_meta_ && !probe) return;
        Meta m[2];
        uint8_t both[LMDB_PAGE_SIZE + LMDB_META_TXNID + 8];  // one pread for the two
        if (pread(fd_, both, sizeof both, 0) != ssize_t(sizeof both)) return;
        for (unsigned slot = 0; slot < 2; slot++)
            if (!parse_meta(both + slot * LMDB_PAGE_SIZE, slot, &m[slot]).ok() ||
                m[slot].psize != LMDB_PAGE_SIZE)
                return;
        unsigned slot = m[1].txnid > m[0].txnid;
        // A writer appended pages since we last looked: follow the file.
        if ((m[slot].last_pg + 1) * LMDB_PAGE_SIZE > size_) {
            struct stat st;
            uint64_t now = size_;
            if (fstat(fd_, &st) == 0)
                while (uint64_t(st.st_size) > now &&
                       !size_.compare_exchange_weak(now, uint64_t(st.st_size))) {
                }
        }
        w->given = 1;
        w->txnid = m[slot].txnid;
        w->meta_slot = slot;
        w->root = m[slot].root;
        w->db_flags = m[slot].flags;
        w->depth = m[slot].depth;
        w->npages = size_ / LMDB_PAGE_SIZE;
    }

    // The block cache may serve a chain the pages another chain read under
    // the same snapshot: they cannot have changed while both ran, or the
    // later chain's snapshot check fails (see the top of this file).
    static uint64_t snapshot_tag(const lmdb_walk &w) { return w.given ? w.txnid + 1 : 0; }

    // Walks the branch levels of MAIN_DBI above the leaves for key through
    // the page cache (buffered preads: branch pages are about 1% of an
    // LMDB file and every lookup reads the same upper ones, so they stay
    // cached even when the file does not fit in memory), and starts the
    // chain at the leaf's page.  The snapshot check after the chain covers
    // these pages too.  Any page that looks wrong: the chain walks from the
    // root instead and says what is wrong.
    void descend_cached(lmdb_walk *w, std::string_view key, bool probe = false) const {
        uint64_t pg = w->root;
        unsigned level = 0;
        if (!w->given || (chain_reads_meta_ && !probe) || pg == LMDB_INVALID_PGNO ||
            w->depth > LMDB_MAX_DEPTH ||
            (w->db_flags & (LMDB_DUPSORT | LMDB_REVERSEKEY | LMDB_INTEGERKEY)))
            return;
        while (level + 1 < w->depth) {
            if (pg < 2 || pg >= size_ / LMDB_PAGE_SIZE) return;
            std::shared_ptr<const Page> page = branch_page(pg, w->txnid);
            if (!page) return;
            const uint8_t *p = page->data();
            uint16_t flags = load<uint16_t>(p + LMDB_PG_FLAGS);
            unsigned lower = load<uint16_t>(p + LMDB_PG_LOWER);
            unsigned upper = load<uint16_t>(p + LMDB_PG_UPPER);
            if (load<uint64_t>(p + LMDB_PG_PGNO) != pg ||
                (flags &
                 (LMDB_P_LEAF | LMDB_P_OVERFLOW | LMDB_P_META | LMDB_P_LEAF2 | LMDB_P_SUBP)) ||
                !(flags & LMDB_P_BRANCH) || lower < LMDB_PG_PTRS + 2 || lower > upper ||
                upper > LMDB_PAGE_SIZE || (lower & 1))
                return;
            unsigned n = (lower - LMDB_PG_PTRS) / 2;
            auto node = [&](unsigned i) -> int {
                unsigned at = load<uint16_t>(p + LMDB_PG_PTRS + 2 * i);
                if (at < lower || at + LMDB_NODESIZE > LMDB_PAGE_SIZE ||
                    at + LMDB_NODESIZE + load<uint16_t>(p + at + LMDB_NODE_KSIZE) > LMDB_PAGE_SIZE)
                    return -1;
                return int(at);
            };
            // The last node whose key <= key; node 0 stands for "below node 1".
            unsigned lo = 1, hi = n;
            while (lo < hi) {
                unsigned mid = lo + (hi - lo) / 2;
                int at = node(mid);
                if (at < 0) return;
                std::string_view k(reinterpret_cast<const char *>(p + at + LMDB_NODESIZE),
                                   load<uint16_t>(p + at + LMDB_NODE_KSIZE));
                if (k <= key)  // memcmp order, then the shorter first: LMDB's default
                    lo = mid + 1;
                else
                    hi = mid;
            }
            int at = node(lo - 1);
            if (at < 0) return;
            pg = uint64_t(load<uint16_t>(p + at + LMDB_NODE_LO)) |
                 uint64_t(load<uint16_t>(p + at + LMDB_NODE_HI)) << 16 |
                 uint64_t(load<uint16_t>(p + at + LMDB_NODE_FLAGS)) << 32;
            level++;
        }
        w->root = pg;
        w->skip_levels = level;
    }

    // Branch pages of the current snapshot, kept in memory: a page number's
    // bytes change only when liblmdb reuses the page, which happens after
    // later commits, so the whole cache is dropped as soon as the newest
    // txnid differs from the one the pages were read under (and the
    // snapshot check after each chain still guards the race).  Bounded at
    // kCachePages (32 MiB); past that, pages are read and not kept.
    using Page = std::array<uint8_t, LMDB_PAGE_SIZE>;
    static constexpr size_t kCachePages = 8192;

    std::shared_ptr<const Page> branch_page(uint64_t pg, uint64_t txnid) const {
        {
            std::lock_guard<std::mutex> g(cache_mu_);
            if (cache_txnid_ != txnid) {
                cache_.clear();
                cache_txnid_ = txnid;
            }
            auto it = cache_.find(pg);
            if (it != cache_.end()) return it->second;
        }
        auto page = std::make_shared<Page>();
        if (pread(fd_, page->data(), LMDB_PAGE_SIZE, page_offset(pg)) != ssize_t(LMDB_PAGE_SIZE))
            return nullptr;
        std::lock_guard<std::mutex> g(cache_mu_);
        if (cache_txnid_ == txnid && cache_.size() < kCachePages) cache_.emplace(pg, page);
        return page;
    }

    // chain_size: the file size the chain ran with.
    Status function_error(int ret, uint32_t why, const std::string &key,
                          uint64_t chain_size) const {
        int err = -ret;
        const char *text = why_text(why);
        std::string msg = "LMDB lookup of '" + printable_key(key) + "': ";
        if (text)
            msg += text;
        else
            msg += strerror(err);
        if (why == LMDB_WHY_PAGE_RANGE) {
            // A writer may have grown the file since we last looked: that is
            // not corruption; the session runs the lookup again (EAGAIN) and
            // the next chain is allowed the new size.
            struct stat st;
            uint64_t known = size_;
            if (fstat(fd_, &st) == 0 && uint64_t(st.st_size) > chain_size) {
                while (uint64_t(st.st_size) > known &&
                       !size_.compare_exchange_weak(known, uint64_t(st.st_size))) {
                }
                return Status::error(EAGAIN, msg + " of " + std::to_string(chain_size) +
                                                 " bytes; it has grown to " +
                                                 std::to_string(st.st_size) + " bytes: retry");
            }
            msg += " (" + std::to_string(size_) + " bytes)";
        }
        return Status::error(err, msg);
    }

    // The value of an F_BIGDATA node: one pread of the run, header included.
    Status read_overflow(const lmdb_get_scratch &s, std::string *value) const {
        std::string run(LMDB_PAGEHDRSZ + size_t(s.vlen), '\0');
        off_t at = page_offset(s.vpage);
        ssize_t n = pread(fd_, run.data(), run.size(), at);
        if (n < 0) return Status::error(errno, "reading an LMDB overflow value failed");
        if (size_t(n) != run.size())
            return Status::error(EUCLEAN, "an LMDB overflow value runs past the end of the file");
        auto *h = reinterpret_cast<const uint8_t *>(run.data());
        uint32_t pages = load<uint32_t>(h + LMDB_PG_PAGES);
        if (load<uint64_t>(h + LMDB_PG_PGNO) != s.vpage ||
            !(load<uint16_t>(h + LMDB_PG_FLAGS) & LMDB_P_OVERFLOW) ||
            uint64_t(pages) * LMDB_PAGE_SIZE < run.size())
            return Status::error(EUCLEAN, "LMDB overflow page " + std::to_string(s.vpage) +
                                              " has a bad header (not an overflow run of " +
                                              std::to_string(s.vlen) + " bytes)");
        value->assign(run, LMDB_PAGEHDRSZ, std::string::npos);
        return {};
    }

    // reads_done_ns: when the chain's last read was complete (0 = unknown,
    // or reads after it).  One re-read of the slot serves every chain whose
    // reads were complete before that re-read began: at 32 lookups in
    // flight, one pread per bunch of completions instead of one per lookup.
    Status check_snapshot(const lmdb_walk &w, uint64_t reads_done_ns) const {
        unsigned slot = w.meta_slot & 1;
        uint64_t now = 0;
        bool known = false;
        if (reads_done_ns) {
            std::lock_guard<std::mutex> g(checks_[slot].mu);
            if (checks_[slot].started_ns > reads_done_ns) {
                now = checks_[slot].txnid;
                known = true;
            }
        }
        if (!known) {
            uint64_t started = now_ns();
            off_t at = off_t(slot) * LMDB_PAGE_SIZE + LMDB_META_TXNID;
            if (pread(fd_, &now, sizeof now, at) != ssize_t(sizeof now))
                return Status::error(EIO, "re-reading the LMDB meta page failed");
            std::lock_guard<std::mutex> g(checks_[slot].mu);
            if (started > checks_[slot].started_ns) {
                checks_[slot].started_ns = started;
                checks_[slot].txnid = now;
            }
        }
        if (now != w.txnid)
            return Status::error(EAGAIN,
                                 "the LMDB file was committed to twice while the lookup "
                                 "read snapshot " +
                                     std::to_string(w.txnid) + "; retry");
        return {};
    }

    int fd_;
    // The size the newest snapshot needs, refreshed when a writer has grown
    // the file since it was opened (see give_snapshot).
    mutable std::atomic<uint64_t> size_;
    Meta meta_;
    std::set<std::string> subdbs_;
    bool names_complete_;  // subdbs_ holds every name (the main database was walked)
    std::shared_ptr<FunctionSet> user_;
    const Function *get_ = nullptr, *range_ = nullptr;
    bool chain_reads_meta_ = false;
    // The newest re-read of each meta slot's txnid and when it began.
    struct Check {
        std::mutex mu;
        uint64_t started_ns = 0, txnid = 0;
    };
    mutable Check checks_[2];
    mutable std::mutex cache_mu_;
    mutable uint64_t cache_txnid_ = 0;
    mutable std::unordered_map<uint64_t, std::shared_ptr<const Page>> cache_;
};

bool sniff(const uint8_t *head, size_t n, uint64_t size) {
    return n >= LMDB_META_TXNID + 8 && size >= 2 * LMDB_PAGE_SIZE &&
           load<uint32_t>(head + LMDB_META_MAGIC) == LMDB_MAGIC &&
           (load<uint16_t>(head + LMDB_PG_FLAGS) & LMDB_P_META);
}

// Names of the named databases: the F_SUBDATA records of the main
// database, collected by walking it when it is small (at most 256 pages; a
// main database that holds named databases usually holds only their names).
void collect_names(int fd, uint64_t pgno, unsigned depth, unsigned *budget,
                   std::set<std::string> *names) {
    uint8_t p[LMDB_PAGE_SIZE];
    if (depth > LMDB_MAX_DEPTH || *budget == 0) return;
    --*budget;
    if (pread(fd, p, sizeof p, page_offset(pgno)) != ssize_t(sizeof p)) return;
    if (load<uint64_t>(p + LMDB_PG_PGNO) != pgno) return;
    uint16_t flags = load<uint16_t>(p + LMDB_PG_FLAGS), lower = load<uint16_t>(p + LMDB_PG_LOWER);
    if (lower < LMDB_PG_PTRS || lower > sizeof p) return;
    for (unsigned i = 0; i < (lower - LMDB_PG_PTRS) / 2u; i++) {
        unsigned at = load<uint16_t>(p + LMDB_PG_PTRS + 2 * i);
        if (at + LMDB_NODESIZE > sizeof p) continue;
        unsigned ksize = load<uint16_t>(p + at + LMDB_NODE_KSIZE);
        uint16_t nflags = load<uint16_t>(p + at + LMDB_NODE_FLAGS);
        if (flags & LMDB_P_BRANCH) {
            uint64_t child = uint64_t(load<uint16_t>(p + at)) |
                             uint64_t(load<uint16_t>(p + at + 2)) << 16 | uint64_t(nflags) << 32;
            collect_names(fd, child, depth + 1, budget, names);
        } else if ((flags & LMDB_P_LEAF) && (nflags & LMDB_F_SUBDATA) &&
                   at + LMDB_NODESIZE + ksize <= sizeof p) {
            names->emplace(reinterpret_cast<const char *>(p + at + LMDB_NODESIZE), ksize);
        }
    }
}

std::set<std::string> named_databases(int fd, const Meta &m) {
    std::set<std::string> names;
    unsigned budget = kNameWalkPages;
    if (m.root == LMDB_INVALID_PGNO || m.pages > budget) return names;
    collect_names(fd, m.root, 1, &budget, &names);
    return names;
}

Status open_lmdb(int fd, uint64_t size, const std::shared_ptr<FunctionSet> &user,
                 std::unique_ptr<Format> *out) {
    if (size < 2 * LMDB_PAGE_SIZE)
        return Status::error(EUCLEAN, "file too short for LMDB's two meta pages (" +
                                          std::to_string(size) + " bytes)");
    Meta m0, m1;
    Status st = read_meta(fd, 0, &m0);
    if (st.ok()) st = read_meta(fd, 1, &m1);
    if (!st.ok()) return st;
    const Meta &m = m1.txnid > m0.txnid ? m1 : m0;
    if (m.psize != LMDB_PAGE_SIZE)
        return Status::error(EOPNOTSUPP, "LMDB page size " + std::to_string(m.psize) +
                                             " is not supported (only 4096)");
    auto f = std::make_unique<LmdbFormat>(fd, size, m, named_databases(fd, m), user);
    st = f->init();
    if (!st.ok()) return st;
    *out = std::move(f);
    return {};
}

}  // namespace

const FormatEntry kLmdbFormat = {"lmdb", sniff, open_lmdb};

}  // namespace chase
