#include "sst_block.h"

#include <lz4.h>
#include <snappy-c.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY  // the state structs, for XXH32/XXH64 on the stack
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace chase::sst {

namespace {

std::string hex32(uint32_t v) {
    char b[16];
    snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

// CRC-32C (Castagnoli), with the SSE4.2 instruction where the CPU has it:
// every block a lookup uses is checked, so this sits on the lookup path.
uint32_t crc32c_table[256];

void init_crc32c_table() {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc32c_table[i] = c;
    }
}

__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
    }
    uint32_t c32 = uint32_t(c);
    for (; n; p++, n--) c32 = __builtin_ia32_crc32qi(c32, *p);
    return c32;
}

uint32_t crc32c_extend(uint32_t crc, const uint8_t *p, size_t n) {
    static const bool hw = __builtin_cpu_supports("sse4.2");
    crc = ~crc;
    if (hw) return ~crc32c_hw(crc, p, n);
    static const bool ready = (init_crc32c_table(), true);
    (void)ready;
    for (size_t i = 0; i < n; i++) crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

// What the table stores for block [p, p + n) followed by its type byte.
uint32_t block_checksum(Checksum kind, const uint8_t *p, size_t n, uint8_t type) {
    switch (kind) {
        case Checksum::crc32c: {
            uint32_t c = crc32c_extend(crc32c_extend(0, p, n), &type, 1);
            return ((c >> 15) | (c << 17)) + 0xa282ead8u;  // the masked form tables store
        }
        case Checksum::xxhash: {
            XXH32_state_t st;
            XXH32_reset(&st, 0);
            XXH32_update(&st, p, n);
            XXH32_update(&st, &type, 1);
            return XXH32_digest(&st);
        }
        case Checksum::xxhash64: {
            XXH64_state_t st;
            XXH64_reset(&st, 0);
            XXH64_update(&st, p, n);
            XXH64_update(&st, &type, 1);
            return uint32_t(XXH64_digest(&st));
        }
        case Checksum::xxh3:
            return uint32_t(XXH3_64bits(p, n)) ^ (uint32_t(type) * 0x6b9083d9u);
        case Checksum::none:
            break;
    }
    return 0;
}

const char *compression_name(uint8_t t, bool leveldb) {
    if (leveldb) return t == 1 ? "snappy" : "unknown";
    switch (t) {
        case 1:
            return "snappy";
        case 2:
            return "zlib";
        case 3:
            return "bzip2";
        case 4:
            return "lz4";
        case 5:
            return "lz4hc";
        case 6:
            return "xpress";
        case 7:
            return "zstd";
        case 0x40:
            return "zstd (pre-1.0 format)";
    }
    return "unknown";
}

Status inflate_raw(const uint8_t *p, size_t n, size_t max_plain, std::string *out) {
    z_stream z{};
    // RocksDB writes raw deflate streams (window bits -14).
    if (inflateInit2(&z, -14) != Z_OK) return Status::error(ENOMEM, "zlib would not start");
    z.next_in = const_cast<uint8_t *>(p);
    z.avail_in = uInt(n);
    int r = Z_OK;
    while (r != Z_STREAM_END) {
        size_t have = out->size();
        if (have >= max_plain) break;
        out->resize(std::min(max_plain, std::max<size_t>(4096, have * 2)));
        z.next_out = reinterpret_cast<Bytef *>(out->data() + have);
        z.avail_out = uInt(out->size() - have);
        r = inflate(&z, Z_NO_FLUSH);
        out->resize(out->size() - z.avail_out);
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) break;
        if (r == Z_BUF_ERROR && z.avail_in == 0) break;
    }
    inflateEnd(&z);
    if (r != Z_STREAM_END) return Status::error(EBADMSG, "zlib data is damaged or too large");
    return {};
}

}  // namespace

bool get_varint32(std::string_view *in, uint32_t *v) {
    uint64_t w;
    if (!get_varint64(in, &w) || w > UINT32_MAX) return false;
    *v = uint32_t(w);
    return true;
}

bool get_varint64(std::string_view *in, uint64_t *v) {
    uint64_t r = 0;
    for (unsigned shift = 0, i = 0; i < in->size() && shift <= 63; i++, shift += 7) {
        uint8_t b = uint8_t((*in)[i]);
        r |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            in->remove_prefix(i + 1);
            *v = r;
            return true;
        }
    }
    return false;
}

bool get_handle(std::string_view *in, Handle *h) {
    return get_varint64(in, &h->offset) && get_varint64(in, &h->size);
}

const char *checksum_name(Checksum c) {
    switch (c) {
        case Checksum::none:
            return "none";
        case Checksum::crc32c:
            return "crc32c";
        case Checksum::xxhash:
            return "xxhash";
        case Checksum::xxhash64:
            return "xxhash64";
        case Checksum::xxh3:
            return "xxh3";
    }
    return "unknown";
}

Status unpack_block(const BlockRules &rules, uint64_t offset, const uint8_t *raw, size_t size,
                    std::string *storage, std::string_view *out, size_t max_plain) {
    uint8_t type = raw[size];
    if (rules.checksum != Checksum::none) {
        uint32_t stored = fixed32(raw + size + 1);
        uint32_t actual = block_checksum(rules.checksum, raw, size, type);
        if (stored != actual)
            return Status::error(EBADMSG, rules.path + ": block at offset " +
                                              std::to_string(offset) + " (" + std::to_string(size) +
                                              " bytes) fails its " + checksum_name(rules.checksum) +
                                              " checksum: stored " + hex32(stored) + ", computed " +
                                              hex32(actual));
    }
    if (type == 0) {
        *out = std::string_view(reinterpret_cast<const char *>(raw), size);
        return {};
    }
    auto refuse = [&](const std::string &why) {
        return Status::error(EOPNOTSUPP, rules.path + ": block at offset " +
                                             std::to_string(offset) + " is compressed with " +
                                             compression_name(type, rules.leveldb) + ": " + why);
    };
    auto damaged = [&] {
        return Status::error(EBADMSG, rules.path + ": " + compression_name(type, rules.leveldb) +
                                          " block at offset " + std::to_string(offset) +
                                          " does not decompress");
    };
    if (rules.leveldb && type != 1) return refuse("not a LevelDB compression type");
    std::string_view in(reinterpret_cast<const char *>(raw), size);
    // From format_version 2 on, every kind but Snappy starts with the
    // decompressed size as a varint32.
    uint32_t plain_size = 0;
    bool sized = type != 1 && (rules.format_version >= 2 || type == 7);
    if (sized && !get_varint32(&in, &plain_size)) return damaged();
    if (sized && plain_size > max_plain)
        return refuse("it decompresses to " + std::to_string(plain_size) + " bytes, more than " +
                      std::to_string(max_plain));
    switch (type) {
        case 1: {
            size_t n = 0;
            if (snappy_uncompressed_length(in.data(), in.size(), &n) != SNAPPY_OK) return damaged();
            if (n > max_plain)
                return refuse("it decompresses to " + std::to_string(n) + " bytes, more than " +
                              std::to_string(max_plain));
            storage->resize(n);
            if (snappy_uncompress(in.data(), in.size(), storage->data(), &n) != SNAPPY_OK)
                return damaged();
            storage->resize(n);
            break;
        }
        case 2:
            storage->clear();
            if (!sized) {
                Status st = inflate_raw(reinterpret_cast<const uint8_t *>(in.data()), in.size(),
                                        max_plain, storage);
                if (!st.ok()) return damaged();
                break;
            }
            storage->reserve(plain_size);
            if (!inflate_raw(reinterpret_cast<const uint8_t *>(in.data()), in.size(), plain_size,
                             storage)
                     .ok() ||
                storage->size() != plain_size)
                return damaged();
            break;
        case 4:
        case 5: {
            if (!sized) return refuse("LZ4 blocks of format_version 0 and 1 are not read");
            storage->resize(plain_size);
            int n =
                LZ4_decompress_safe(in.data(), storage->data(), int(in.size()), int(plain_size));
            if (n < 0 || uint32_t(n) != plain_size) return damaged();
            break;
        }
        case 7: {
            storage->resize(plain_size);
            size_t n = ZSTD_decompress(storage->data(), plain_size, in.data(), in.size());
            if (ZSTD_isError(n) || n != plain_size) return damaged();
            break;
        }
        default:
            return refuse("chasefs reads none, snappy, zlib, lz4, lz4hc and zstd");
    }
    *out = *storage;
    return {};
}

Status read_block(int fd, uint64_t file_size, const BlockRules &rules, const Handle &h,
                  const char *what, std::string *plain) {
    if (h.offset > file_size || file_size - h.offset < kTrailer ||
        h.size > file_size - h.offset - kTrailer)
        return Status::error(EUCLEAN, rules.path + ": the " + what + " block's handle (offset " +
                                          std::to_string(h.offset) + ", size " +
                                          std::to_string(h.size) + ") lies outside the file (" +
                                          std::to_string(file_size) + " bytes)");
    std::string raw(h.size + kTrailer, '\0');
    ssize_t n = pread(fd, raw.data(), raw.size(), off_t(h.offset));
    if (n < 0) return Status::error(errno, rules.path + ": reading the " + what + " block failed");
    if (size_t(n) != raw.size())
        return Status::error(EUCLEAN, rules.path + ": the " + what + " block is truncated");
    std::string storage;
    std::string_view out;
    Status st = unpack_block(rules, h.offset, reinterpret_cast<const uint8_t *>(raw.data()), h.size,
                             &storage, &out);
    if (!st.ok()) {
        st.msg += std::string(" (the ") + what + " block)";
        return st;
    }
    if (out.data() == raw.data()) {
        raw.resize(h.size);
        *plain = std::move(raw);
    } else {
        *plain = std::move(storage);
    }
    return {};
}

Status parse_block(std::string_view block, bool delta_values, std::vector<Entry> *out) {
    auto bad = [](const std::string &why) { return Status::error(EUCLEAN, "a block " + why); };
    if (block.size() < 4) return bad("is shorter than its restart count");
    uint32_t nrestarts =
        fixed32(reinterpret_cast<const uint8_t *>(block.data() + block.size() - 4));
    if (nrestarts & 0x80000000u)
        return Status::error(EOPNOTSUPP, "a block carries a data-block hash index");
    if (nrestarts == 0 || nrestarts > (block.size() - 4) / 4)
        return bad("has a restart count that does not fit it");
    size_t data_end = block.size() - 4 - 4 * size_t(nrestarts);
    std::vector<uint32_t> restarts(nrestarts);
    for (uint32_t i = 0; i < nrestarts; i++) {
        restarts[i] =
            fixed32(reinterpret_cast<const uint8_t *>(block.data() + data_end + 4 * size_t(i)));
        if (restarts[i] > data_end) return bad("has a restart point outside its entries");
    }
    std::string_view in = block.substr(0, data_end);
    std::string key;
    Handle prev;
    size_t next_restart = 0;
    while (!in.empty()) {
        size_t at = data_end - in.size();
        bool restart = false;
        while (next_restart < nrestarts && restarts[next_restart] <= at) {
            restart = restarts[next_restart] == at;
            next_restart++;
        }
        uint32_t shared, nonshared, vlen = 0;
        if (!get_varint32(&in, &shared) || !get_varint32(&in, &nonshared))
            return bad("entry header is damaged");
        if (!delta_values && !get_varint32(&in, &vlen)) return bad("entry header is damaged");
        if (shared > key.size() || nonshared > in.size())
            return bad("entry does not fit (shared prefix or key too long)");
        key.resize(shared);
        key.append(in.substr(0, nonshared));
        in.remove_prefix(nonshared);
        Entry e{key, {}, uint32_t(at), {}};
        if (!delta_values) {
            if (vlen > in.size()) return bad("entry's value runs past the entries");
            e.value = in.substr(0, vlen);
            in.remove_prefix(vlen);
        } else {
            Handle &h = e.handle;
            if (restart || out->empty()) {
                if (!get_handle(&in, &h)) return bad("index entry's block handle is damaged");
            } else {
                // Between restarts: only the size changes, as a zigzag delta.
                uint64_t z;
                if (!get_varint64(&in, &z)) return bad("index entry's size delta is damaged");
                int64_t delta = int64_t(z >> 1) ^ -int64_t(z & 1);
                h.offset = prev.offset + prev.size + kTrailer;
                h.size = uint64_t(int64_t(prev.size) + delta);
            }
            prev = h;
        }
        out->push_back(std::move(e));
    }
    return {};
}

}  // namespace chase::sst
