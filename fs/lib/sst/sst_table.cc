#include "sst_table.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

namespace chase::sst {

namespace {

constexpr uint64_t kPlainMagic = 0x8242229663bf9564ull;
constexpr uint64_t kLegacyPlainMagic = 0x4f3418eb7a8f13b8ull;
constexpr uint64_t kCuckooMagic = 0x926789d0c5f17873ull;

uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

uint64_t varint_prop(const std::string &v) {
    std::string_view in(v);
    uint64_t n = 0;
    return get_varint64(&in, &n) ? n : 0;
}

}  // namespace

bool has_table_magic(const uint8_t *tail8) {
    uint64_t m = le64(tail8);
    return m == kBlockBasedMagic || m == kLegacyMagic;
}

const char *other_table_kind(const uint8_t *tail8) {
    switch (le64(tail8)) {
        case kPlainMagic:
        case kLegacyPlainMagic:
            return "a RocksDB PlainTable";
        case kCuckooMagic:
            return "a RocksDB CuckooTable";
    }
    return nullptr;
}

bool Index::add(std::string_view key, const Handle &h) {
    if (keys_.size() + key.size() > UINT32_MAX) return false;
    keys_.append(key);
    ends_.push_back(uint32_t(keys_.size()));
    blocks_.push_back(h);
    return true;
}

void Index::reserve(size_t n, size_t key_bytes) {
    keys_.reserve(key_bytes);
    ends_.reserve(n);
    blocks_.reserve(n);
}

size_t Table::block_for(std::string_view user_key) const {
    size_t lo = 0, hi = index.size();  // the first i with key(i) >= user_key
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index.key(mid) < user_key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

Status open_table(int fd, uint64_t size, const std::string &path, std::unique_ptr<Table> *out) {
    auto t = std::make_unique<Table>();
    t->path = path;
    t->size = size;
    t->rules.path = path;
    auto corrupt = [&](const std::string &why) {
        return Status::error(EUCLEAN, path + ": " + why);
    };
    auto refuse = [&](const std::string &feature) {
        return Status::error(
            EOPNOTSUPP, path + ": the table uses " + feature + ", which chasefs does not read");
    };

    // The footer: 48 bytes (LevelDB, RocksDB format_version 0) or 53.
    uint8_t foot[53];
    if (size < 48)
        return corrupt("too short for a table footer (" + std::to_string(size) + " bytes)");
    size_t flen = size >= 53 ? 53 : 48;
    if (pread(fd, foot + 53 - flen, flen, off_t(size - flen)) != ssize_t(flen))
        return Status::error(EIO, path + ": reading the table footer failed");
    uint64_t magic = le64(foot + 45);
    if (const char *kind = other_table_kind(foot + 45))
        return refuse(std::string("the layout of ") + kind);
    std::string_view handles;
    if (magic == kBlockBasedMagic) {
        if (size < 53) return corrupt("too short for a block-based table footer");
        uint8_t ck = foot[0];
        if (ck > 4)
            return corrupt("the footer names checksum type " + std::to_string(ck) +
                           ", which does not exist");
        t->rules.checksum = Checksum(ck);
        t->rules.format_version = fixed32(foot + 41);
        if (t->rules.format_version == 0 || t->rules.format_version > 5)
            return refuse("format_version " + std::to_string(t->rules.format_version) +
                          " (RocksDB 7.8 writes 0 to 5)");
        handles = std::string_view(reinterpret_cast<const char *>(foot + 1), 40);
    } else if (magic == kLegacyMagic) {
        t->rules.checksum = Checksum::crc32c;
        handles = std::string_view(reinterpret_cast<const char *>(foot + 5), 40);
    } else {
        return Status::error(EMEDIUMTYPE, path + ": no block-based table magic number at its end");
    }
    Handle meta_h, index_h;
    if (!get_handle(&handles, &meta_h) || !get_handle(&handles, &index_h))
        return corrupt("the footer's block handles are damaged");

    // The metaindex names the other blocks.
    std::string meta;
    Status st = read_block(fd, size, t->rules, meta_h, "metaindex", &meta);
    if (!st.ok()) return st;
    std::vector<Entry> metas;
    st = parse_block(meta, false, &metas);
    if (!st.ok()) return corrupt("metaindex: " + st.msg);
    std::map<std::string, Handle> blocks;
    for (const Entry &e : metas) {
        std::string_view v = e.value;
        Handle h;
        if (!get_handle(&v, &h))
            return corrupt("metaindex entry '" + e.key + "' has a damaged handle");
        blocks[e.key] = h;
    }

    // Properties (RocksDB only): what the table holds and how it is built.
    std::map<std::string, std::string> props;
    auto pit = blocks.find("rocksdb.properties");
    t->leveldb = magic == kLegacyMagic && pit == blocks.end();
    t->rules.leveldb = t->leveldb;
    if (pit != blocks.end()) {
        std::string pb;
        st = read_block(fd, size, t->rules, pit->second, "properties", &pb);
        if (!st.ok()) return st;
        std::vector<Entry> pe;
        st = parse_block(pb, false, &pe);
        if (!st.ok()) return corrupt("properties: " + st.msg);
        for (const Entry &e : pe) props[e.key] = std::string(e.value);
    }
    auto prop = [&](const char *k) -> std::string {
        auto it = props.find(k);
        return it == props.end() ? "" : it->second;
    };
    t->comparator = t->leveldb ? "leveldb.BytewiseComparator" : prop("rocksdb.comparator");
    if (!t->leveldb && t->comparator != "leveldb.BytewiseComparator") {
        if (t->comparator.find(".u64ts") != std::string::npos)
            return refuse("user-defined timestamps (comparator " + t->comparator + ")");
        return refuse("the comparator '" + t->comparator + "' (only bytewise order is read)");
    }
    if (varint_prop(prop("rocksdb.num.range-deletions")) > 0 || blocks.count("rocksdb.range_del"))
        return refuse("range deletions (" +
                      std::to_string(varint_prop(prop("rocksdb.num.range-deletions"))) +
                      " range tombstones)");
    if (blocks.count("rocksdb.compression_dict")) return refuse("a compression dictionary");
    std::string itype = prop("rocksdb.block.based.table.index.type");
    if (itype.size() == 4) {
        switch (fixed32(reinterpret_cast<const uint8_t *>(itype.data()))) {
            case 0:
                break;
            case 1:
                return refuse("a hash index (kHashSearch)");
            case 2:
                return refuse("a partitioned index (kTwoLevelIndexSearch)");
            case 3:
                return refuse("an index with first keys (kBinarySearchWithFirstKey)");
            default:
                return refuse("an unknown index type");
        }
    }
    t->index_user_keys = varint_prop(prop("rocksdb.index.key.is.user.key")) != 0;
    t->index_delta_values = varint_prop(prop("rocksdb.index.value.is.delta.encoded")) != 0;
    t->entries = varint_prop(prop("rocksdb.num.entries"));
    t->data_blocks = varint_prop(prop("rocksdb.num.data.blocks"));
    t->compression = t->leveldb ? "" : prop("rocksdb.compression");
    t->column_family = prop("rocksdb.column.family.name");

    // The index, decompressed and kept: separator -> data block.
    std::string ib;
    st = read_block(fd, size, t->rules, index_h, "index", &ib);
    if (!st.ok()) return st;
    std::vector<Entry> ie;
    st = parse_block(ib, t->index_delta_values, &ie);
    if (!st.ok()) return corrupt("index: " + st.msg);
    size_t key_bytes = 0;
    for (const Entry &e : ie) key_bytes += e.key.size();
    t->index.reserve(ie.size(), key_bytes);
    for (Entry &e : ie) {
        Handle block;
        std::string_view v = e.value;
        if (t->index_delta_values)
            block = e.handle;
        else if (!get_handle(&v, &block))
            return corrupt("an index entry's block handle is damaged");
        if (block.offset > size || block.size > size - block.offset)
            return corrupt("an index entry points outside the file");
        std::string_view key = e.key;
        if (!t->index_user_keys) {
            if (key.size() < 8) return corrupt("an index key is shorter than its 8-byte trailer");
            key.remove_suffix(8);
        }
        if (!t->index.empty() && key < t->index.key(t->index.size() - 1))
            return corrupt("the index is out of order");
        if (!t->index.add(key, block)) return corrupt("an index of more than 4 GiB of keys");
    }
    ie.clear();
    ie.shrink_to_fit();
    ib.clear();
    ib.shrink_to_fit();
    // The parse above allocated a string per entry and freed them all: give
    // those pages back, or they stay charged to whoever holds this table.
    malloc_trim(0);
    if (!t->data_blocks) t->data_blocks = t->index.size();

    // The filter, where chasefs computes it exactly.
    t->filter_note = "none";
    if (prop("rocksdb.block.based.table.whole.key.filtering") == "0") {
        t->filter_note = "prefix-only filter: ignored";
    } else {
        for (const auto &[name, h] : blocks) {
            if (name.rfind("filter.", 0) != 0 && name.rfind("fullfilter.", 0) != 0 &&
                name.rfind("partitionedfilter.", 0) != 0)
                continue;
            std::string fb;
            st = read_block(fd, size, t->rules, h, "filter", &fb);
            if (!st.ok()) return st;
            t->filter = make_filter(name, std::move(fb), t->leveldb, &t->filter_note);
            break;
        }
    }
    *out = std::move(t);
    return {};
}

}  // namespace chase::sst
