// Block-based SST tables (RocksDB, LevelDB) as a chasefs format.
//
//   open   footer, metaindex, properties, index and filter are read,
//          checked and kept (sst_table.cc); tables whose answers could not
//          be exact are refused there, naming the feature
//   get    the filter may rule the key out (no read at all); else the
//          index names the one data block that can hold it, and sst_get
//          searches that block in one hop.  Every data block the chain
//          reads is checked against its checksum, and decompressed if the
//          table stored it compressed, before the function sees it
//          (prepare(), called by the engine on the bytes it read)
//
// Internal keys: a put answers its value; a deletion or single deletion
// answers ENOENT; other entry types (merge operands, blob indexes, wide
// columns) are refused with their name.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "../format_registry.h"
#include "sst_table.h"

extern "C" {
#include "chase/sst.h"
}

namespace chase {

namespace {

const char *why_text(uint32_t why) {
    switch (why) {
        case SST_WHY_QUERY:
            return "malformed query";
        case SST_WHY_PARTIAL:
            return "the hop does not hold the whole data block";
        case SST_WHY_COMPRESSED:
            return "the data block reached the function compressed";
        case SST_WHY_RESTARTS:
            return "the data block's restart array does not fit it";
        case SST_WHY_HASH_INDEX:
            return "the data block carries a hash index (data_block_index_type "
                   "kDataBlockBinaryAndHash), which chasefs does not read";
        case SST_WHY_ENTRY:
            return "an entry of the data block runs past its end";
        case SST_WHY_VARINT:
            return "an entry header of the data block is damaged";
        case SST_WHY_LONG_KEY:
            return "a key in the data block is longer than the 1936 bytes (SST_KEY_AREA) the "
                   "function holds";
        case SST_WHY_SHORT_KEY:
            return "a key in the data block is shorter than its 8-byte trailer";
        case SST_WHY_ORDER:
            return "an entry shares more bytes with the key before it than that key has";
    }
    return nullptr;
}

std::string entry_type_name(uint8_t type) {
    switch (type) {
        case SST_TYPE_MERGE:
            return "a merge operand (merge operators are not read)";
        case 0x11:
            return "a blob index (BlobDB / Titan values are not read)";
        case 0x14:
            return "a deletion with a timestamp (user timestamps are not read)";
        case 0x16:
            return "a wide-column entity (wide columns are not read)";
    }
    char b[64];
    snprintf(b, sizeof b, "an entry of type 0x%02x, which chasefs does not read", type);
    return b;
}

// Where a range goes on: the next data block, and whether its first key
// (ScanCursor::lo, rewritten) was listed already.
struct RangeResume {
    uint32_t block;
    uint8_t excl;
};

// The largest data block a lookup reads (a block is read whole, to check
// its checksum): 4 MiB less the read's alignment slack.
constexpr uint64_t kMaxBlock = (4u << 20) - 1024;

class SstFormat final : public Format, public BlockPrep {
   public:
    SstFormat(int fd, std::unique_ptr<sst::Table> t, std::shared_ptr<FunctionSet> user)
        : fd_(fd), t_(std::move(t)), user_(std::move(user)) {}

    Status init() {
        get_ = find_function(user_, "sst_get");
        range_ = find_function(user_, "sst_range");
        if (!get_ || !range_)
            return Status::error(ENOENT,
                                 "the SST storage functions sst_get and sst_range are missing");
        return {};
    }

    const char *name() const override { return "sst"; }
    bool prepares_blocks() const override { return true; }
    unsigned depth() const override { return 1; }
    std::string geometry() const override {
        size_t index_bytes = t_->index.bytes();
        std::string g = "format=sst\nwriter=";
        g += t_->leveldb ? "leveldb" : "rocksdb";
        g += "\nformat_version=" + std::to_string(t_->rules.format_version);
        g += std::string("\nchecksum=") + sst::checksum_name(t_->rules.checksum);
        if (!t_->compression.empty()) g += "\ncompression=" + t_->compression;
        if (!t_->column_family.empty()) g += "\ncolumn_family=" + t_->column_family;
        if (t_->entries) g += "\nentries=" + std::to_string(t_->entries);
        g += "\ndata_blocks=" + std::to_string(t_->index.size());
        g += "\nindex_user_keys=" + std::to_string(int(t_->index_user_keys));
        g += "\nindex_delta_values=" + std::to_string(int(t_->index_delta_values));
        g += "\nindex_bytes_in_memory=" + std::to_string(index_bytes);
        g += "\nfilter=" + t_->filter_note;
        g += "\nsize=" + std::to_string(t_->size);
        g += "\nreads_per_lookup=1\n";
        return g;
    }

    Status plan_get(std::string_view key, ChainSpec *c) const override {
        auto *s = reinterpret_cast<sst_get_scratch *>(c->scratch);
        memset(s, 0, offsetof(sst_get_scratch, key));
        c->mem.clear();
        if (key.size() > SST_MAX_KEY)
            return Status::error(ENAMETOOLONG, "SST keys chasefs looks up are at most " +
                                                   std::to_string(SST_MAX_KEY) +
                                                   " bytes; this one has " +
                                                   std::to_string(key.size()));
        s->klen = uint32_t(key.size());
        memcpy(s->key, key.data(), key.size());
        s->flags = SST_F_INTERNAL;
        c->fn = get_;
        c->prep = this;
        // Point lookups may keep the data block they read (the file's
        // ExtentCache, if it has one): the table cannot change under this
        // open, and prepare() checks a cached block again.  Range chains
        // do not, so that a scan cannot flush what lookups keep.
        c->cache_tag = 1;
        size_t i = t_->block_for(key);
        if (i == t_->index.size() ||
            (t_->filter && !t_->filter->may_match(key, t_->index.block(i).offset))) {
            s->flags |= SST_F_ABSENT;
            return {};
        }
        const sst::Handle &h = t_->index.block(i);
        if (h.size > kMaxBlock)
            return Status::error(EOPNOTSUPP,
                                 t_->path + ": the data block for '" + printable_key(key) +
                                     "' at offset " + std::to_string(h.offset) + " has " +
                                     std::to_string(h.size) + " bytes; chasefs reads blocks of " +
                                     "at most " + std::to_string(kMaxBlock));
        s->blk_off = h.offset;
        s->blk_size = uint32_t(h.size);
        return {};
    }

    Status finish_get(const ChainSpec &c, int ret, std::string *value) const override {
        auto *s = reinterpret_cast<const sst_get_scratch *>(c.scratch);
        std::string key(reinterpret_cast<const char *>(s->key),
                        std::min<size_t>(s->klen, SST_MAX_KEY));
        if (ret == CHASE_DONE) {
            if (s->inline_value) {
                if (s->vlen > SST_KEY_AREA)
                    return Status::error(EPROTO, "sst_get: bad value length");
                value->assign(reinterpret_cast<const char *>(s->cur), s->vlen);
                return {};
            }
            if (s->windowed && !c.mem.empty()) {
                if (s->vpos > c.mem.size() || s->vlen > c.mem.size() - s->vpos)
                    return Status::error(EUCLEAN, t_->path + ": a value runs past its data block");
                value->assign(c.mem, s->vpos, s->vlen);
                return {};
            }
            return read_value(*s, value);
        }
        if (ret == -ENOENT && s->why == SST_WHY_DELETED)
            return Status::error(ENOENT, "key '" + printable_key(key) +
                                             "' is deleted in this table (sequence " +
                                             std::to_string(s->trailer >> 8) + ")");
        if (ret == -ENOENT && s->why == SST_WHY_NONE)
            return Status::error(ENOENT, "key '" + printable_key(key) + "' not found");
        if (ret == -EOPNOTSUPP && s->why == SST_WHY_TYPE)
            return Status::error(EOPNOTSUPP, t_->path + ": key '" + printable_key(key) +
                                                 "' is stored as " +
                                                 entry_type_name(uint8_t(s->trailer & 0xff)));
        const char *text = why_text(s->why);
        return Status::error(-ret, t_->path + ": lookup of '" + printable_key(key) +
                                       "' in the data block at offset " +
                                       std::to_string(s->blk_off) + ": " +
                                       (text ? text : strerror(-ret)));
    }

    // A range is one chain per data block (or per SST_RANGE_MAX_OUT
    // entries of one): sst_range lists the visible entries' offsets, and
    // the records are taken from the block the chain's preparation kept.
    Status plan_range(ScanCursor *cur, ChainSpec *c) const override {
        RangeResume r{};
        if (cur->started) {
            memcpy(&r, cur->state, sizeof r);
        } else {
            r.block = uint32_t(t_->block_for(cur->lo));
            cur->started = true;
            memcpy(cur->state, &r, sizeof r);
        }
        if (cur->lo.size() > SST_MAX_KEY)
            return Status::error(ENAMETOOLONG, "SST keys chasefs looks up are at most " +
                                                   std::to_string(SST_MAX_KEY) + " bytes");
        auto *s = reinterpret_cast<sst_get_scratch *>(c->scratch);
        memset(s, 0, offsetof(sst_get_scratch, key));
        c->mem.clear();
        s->klen = uint32_t(cur->lo.size());
        memcpy(s->key, cur->lo.data(), cur->lo.size());
        s->flags = SST_F_INTERNAL | SST_F_RANGE | (r.excl ? SST_F_LO_EXCL : 0);
        c->fn = range_;
        c->prep = this;
        if (r.block >= t_->index.size()) {
            s->flags |= SST_F_ABSENT;
            return {};
        }
        const sst::Handle &h = t_->index.block(r.block);
        if (h.size > kMaxBlock)
            return Status::error(EOPNOTSUPP, t_->path + ": the data block at offset " +
                                                 std::to_string(h.offset) + " has " +
                                                 std::to_string(h.size) +
                                                 " bytes; chasefs reads blocks of at most " +
                                                 std::to_string(kMaxBlock));
        s->blk_off = h.offset;
        s->blk_size = uint32_t(h.size);
        // A large block is scanned in windows from memory, a hop each: the
        // cap grows with the block (still a bound), not with the table.
        c->hop_cap = std::max<unsigned>(c->hop_cap, unsigned(24 + h.size / 2048));
        return {};
    }

    Status finish_range(ScanCursor *cur, const ChainSpec &c, int ret,
                        std::vector<Record> *out) const override {
        auto *s = reinterpret_cast<const sst_get_scratch *>(c.scratch);
        if (ret == -ENOENT && (s->flags & SST_F_ABSENT)) {
            cur->finished = true;
            return {};
        }
        if (ret != CHASE_DONE) {
            if (ret == -EOPNOTSUPP && s->why == SST_WHY_TYPE)
                return Status::error(EOPNOTSUPP, t_->path + ": the range meets " +
                                                     entry_type_name(uint8_t(s->trailer)));
            const char *text = why_text(s->why);
            return Status::error(ret < 0 ? -ret : EPROTO,
                                 t_->path + ": range in the data block at offset " +
                                     std::to_string(s->blk_off) + ": " +
                                     (text ? text : strerror(ret < 0 ? -ret : EPROTO)));
        }
        if (c.mem.empty() || s->out_count > SST_RANGE_MAX_OUT)
            return Status::error(EPROTO, "sst_range: the block or its list is missing");
        std::vector<sst::Entry> entries;
        Status st = sst::parse_block(c.mem, false, &entries);
        if (!st.ok()) return Status::error(EUCLEAN, t_->path + ": data block: " + st.msg);
        auto user_key = [&](const sst::Entry &e) -> std::optional<std::string_view> {
            if (e.key.size() < 8) return std::nullopt;
            return std::string_view(e.key).substr(0, e.key.size() - 8);
        };
        size_t j = 0;
        std::string last_listed;
        RangeResume r;
        memcpy(&r, cur->state, sizeof r);
        for (uint32_t i = 0; i < s->out_count; i++) {
            uint32_t off;
            memcpy(&off, s->key + 4 * i, 4);
            while (j < entries.size() && entries[j].offset < off) j++;
            if (j == entries.size() || entries[j].offset != off)
                return Status::error(EPROTO, "sst_range listed an offset that starts no entry");
            auto uk = user_key(entries[j]);
            if (!uk) return Status::error(EUCLEAN, t_->path + ": a key shorter than its trailer");
            // Keys come in order in a sound table; a damaged one written
            // without checksums may not keep it, and a range must.
            std::string_view floor = i ? std::string_view(last_listed) : std::string_view(cur->lo);
            if (*uk < floor || (*uk == floor && (i || r.excl)))
                return Status::error(EUCLEAN, t_->path +
                                                  ": keys out of order in the data block at "
                                                  "offset " +
                                                  std::to_string(s->blk_off) +
                                                  " (a damaged table)");
            if (!cur->hi.empty() && *uk > std::string_view(cur->hi)) {
                cur->finished = true;
                return {};
            }
            out->push_back({std::string(*uk), std::string(entries[j].value)});
            last_listed.assign(*uk);
            if (++cur->taken == cur->limit) {
                cur->finished = true;
                return {};
            }
        }
        if (s->out_full) {
            // The same block again, after the last key listed.
            cur->lo = last_listed;
            r.excl = 1;
        } else {
            // The next block, after the last key of this one: its older
            // versions may open the next block and must stay hidden.
            if (!entries.empty()) {
                auto uk = user_key(entries.back());
                if (!uk)
                    return Status::error(EUCLEAN, t_->path + ": a key shorter than its trailer");
                if (!cur->hi.empty() && *uk >= std::string_view(cur->hi)) cur->finished = true;
                cur->lo.assign(*uk);
                r.excl = 1;
            }
            if (++r.block >= t_->index.size()) cur->finished = true;
        }
        memcpy(cur->state, &r, sizeof r);
        return {};
    }

    // The engine read [off, off + len) for a chain of ours: check the
    // block's checksum, decompress it if it is stored compressed, and hand
    // the function the plain block with a trailer of type 0.
    Status prepare(ChainSpec &spec, uint8_t *scratch, uint64_t off, const uint8_t *data,
                   uint32_t len, uint8_t *out, uint32_t *out_len, uint64_t *out_off,
                   uint32_t *how) const override {
        auto *s = reinterpret_cast<sst_get_scratch *>(scratch);
        if (off != s->blk_off)
            return Status::error(EPROTO, "sst_get asked for offset " + std::to_string(off) +
                                             ", not its data block at " +
                                             std::to_string(s->blk_off));
        if (len != uint64_t(s->blk_size) + sst::kTrailer)
            return Status::error(EUCLEAN, t_->path + ": the data block at offset " +
                                              std::to_string(off) +
                                              " is cut short by the end "
                                              "of the file");
        std::string storage;
        std::string_view plain;
        Status st =
            sst::unpack_block(t_->rules, off, data, s->blk_size, &storage, &plain, kMaxBlock);
        if (!st.ok()) return st;
        if (t_->rules.checksum != sst::Checksum::none) *how |= kHopChecked;
        if (plain.data() != reinterpret_cast<const char *>(data)) *how |= kHopDecompressed;
        s->blk_size = uint32_t(plain.size());
        uint64_t past_end = (t_->size + CHASE_BLOCK_SIZE - 1) / CHASE_BLOCK_SIZE * CHASE_BLOCK_SIZE;
        if (s->flags & SST_F_RANGE) {
            // The records of a range are taken from the block afterwards.
            spec.mem.assign(plain);
            spec.mem_base = past_end;
        }
        if (plain.size() + sst::kTrailer <= CHASE_BLOCK_SIZE) {
            memcpy(out, plain.data(), plain.size());
            memset(out + plain.size(), 0, sst::kTrailer);
            *out_len = uint32_t(plain.size() + sst::kTrailer);
            *out_off = off;
            return {};
        }
        // Larger than a hop: the chain reads it in windows, past the end of
        // the file where no read of the file can land, starting at its tail.
        spec.mem.assign(plain);
        spec.mem_base = past_end;
        spec.file_size = spec.mem_base + plain.size();
        s->windowed = 1;
        s->stage = SST_STAGE_FIRST;
        s->win_base = spec.mem_base;
        size_t w = std::min<size_t>(plain.size(), CHASE_BLOCK_SIZE);
        memcpy(out, plain.data() + plain.size() - w, w);
        *out_len = uint32_t(w);
        *out_off = spec.mem_base + plain.size() - w;
        return {};
    }

   private:
    // A value longer than the scratch area holds: read the block again
    // (checked, decompressed) and take it from there.
    Status read_value(const sst_get_scratch &s, std::string *value) const {
        size_t i = t_->block_for(std::string_view(reinterpret_cast<const char *>(s.key), s.klen));
        if (i == t_->index.size() || t_->index.block(i).offset != s.blk_off)
            return Status::error(EPROTO, "sst_get answered from a block it was not given");
        std::string plain;
        Status st = sst::read_block(fd_, t_->size, t_->rules, t_->index.block(i), "data", &plain);
        if (!st.ok()) return st;
        if (s.vpos > plain.size() || s.vlen > plain.size() - s.vpos)
            return Status::error(EUCLEAN, t_->path + ": a value runs past its data block");
        value->assign(plain, s.vpos, s.vlen);
        return {};
    }

    int fd_;
    std::unique_ptr<sst::Table> t_;
    std::shared_ptr<FunctionSet> user_;
    const Function *get_ = nullptr, *range_ = nullptr;
};

// Other RocksDB table kinds are claimed too, so that open names them.
bool sniff_sst_tail(const uint8_t *tail, size_t n, uint64_t size) {
    return n >= 8 && size >= 48 &&
           (sst::has_table_magic(tail + n - 8) || sst::other_table_kind(tail + n - 8));
}

Status open_sst(int fd, uint64_t size, const std::shared_ptr<FunctionSet> &user,
                std::unique_ptr<Format> *out) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    std::string name = n > 0 ? std::string(path, size_t(n)) : "the table";
    std::unique_ptr<sst::Table> t;
    Status st = sst::open_table(fd, size, name, &t);
    if (!st.ok()) return st;
    auto f = std::make_unique<SstFormat>(fd, std::move(t), user);
    st = f->init();
    if (!st.ok()) return st;
    *out = std::move(f);
    return {};
}

}  // namespace

const FormatEntry kSstFormat = {"sst", nullptr, open_sst, nullptr, sniff_sst_tail};

}  // namespace chase
