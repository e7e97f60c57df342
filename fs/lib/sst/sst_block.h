// The pieces every block of a block-based table is made of: varints, block
// handles, the 5-byte trailer (compression type, checksum) and the entry
// encoding with its restart array.  Byte layouts: bpf/include/chase/sst.h
// and ../shared/notes/lsm.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chase/chase.h"

namespace chase::sst {

constexpr uint32_t kTrailer = 5;

// Little-endian fixed32, as every footer, restart array and filter stores it.
inline uint32_t fixed32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool get_varint32(std::string_view *in, uint32_t *v);
bool get_varint64(std::string_view *in, uint64_t *v);

struct Handle {
    uint64_t offset = 0, size = 0;  // size excludes the trailer
};
bool get_handle(std::string_view *in, Handle *h);

enum class Checksum : uint8_t { none = 0, crc32c = 1, xxhash = 2, xxhash64 = 3, xxh3 = 4 };
const char *checksum_name(Checksum c);

// How the blocks of one table are checked and decompressed.
struct BlockRules {
    Checksum checksum = Checksum::crc32c;
    uint32_t format_version = 0;
    bool leveldb = false;  // LevelDB numbers compression types its own way
    std::string path;      // for messages
};

// Verify the trailer of block [raw, raw + size) (the trailer follows it)
// and produce the block's contents: *out points at raw itself when the
// block is stored plain, else at the decompressed bytes in *storage.
// EBADMSG names the file, the block's offset and both checksums.
Status unpack_block(const BlockRules &rules, uint64_t offset, const uint8_t *raw, size_t size,
                    std::string *storage, std::string_view *out, size_t max_plain = 256u << 20);

// pread a whole block and unpack it into *plain.
Status read_block(int fd, uint64_t file_size, const BlockRules &rules, const Handle &h,
                  const char *what, std::string *plain);

// A parsed entry of a block (keys made whole).
struct Entry {
    std::string key;
    std::string_view value;  // empty in a block of delta-encoded handles
    uint32_t offset = 0;     // where the entry starts in the block
    Handle handle;           // delta-encoded handles only: the whole handle
};

// Every entry of a block, in order.  delta_values: index blocks of
// format_version >= 4 store block handles without a value length, and
// between restarts only a size delta (made whole in Entry::handle).
Status parse_block(std::string_view block, bool delta_values, std::vector<Entry> *out);

}  // namespace chase::sst
