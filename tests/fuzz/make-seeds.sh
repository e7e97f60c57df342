#!/usr/bin/env bash
# Writes the seed corpora tests/fuzz/corpus/<target>/ again, from the
# project's own tools and tests: data files made by chase-mkindex (and by
# liblmdb's mdb_load and tinycdb's cdb for shapes chase-mkindex does not
# write: named databases, overflow values, repeated keys), the built-in and
# hostile BPF objects of a normal build (DWARF stripped, BTF kept), the query
# names and ioctl structs the unit and mount tests use, TSV edge cases of
# tests/tools.  The seeds are committed; run this after a format change.
#
#   tests/fuzz/make-seeds.sh [BUILD]     BUILD: a normal build (default build/)
#
# Findings are not made here: their inputs are added to the corpus by hand
# (named finding-*) and kept.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
out=$top/tests/fuzz/corpus
mkindex=$build/mount-tools/chase-mkindex
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in bptree lmdb cdb sst query_path ioctl_args bpf_object tsv; do
  mkdir -p "$out/$t"
  find "$out/$t" -type f ! -name 'finding-*' -delete
done

# ---- data files ------------------------------------------------------------
head -20 "$top/examples/data/users.tsv" >"$tmp/users.tsv"
printf '1\tone\n42\tthe answer\napple\tred\nusers\tnot a database\n' >"$tmp/text.tsv"
mk() { "$mkindex" "$@" >/dev/null; }
mk --count 0 "$out/bptree/empty"
mk --count 5 "$out/bptree/depth1-5keys"
mk --count 100 --stride 7 "$out/bptree/depth2-100keys"
mk --tsv "$tmp/users.tsv" "$out/bptree/users"

mk --format lmdb --tsv "$tmp/text.tsv" "$out/lmdb/text"
mk --format lmdb --tsv "$tmp/users.tsv" "$out/lmdb/users"
# Named databases (users/alice), an overflow value, a two-level tree.
{
  printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n'
  printf ' alice\n 7\n bob\n 9\nDATA=END\n'
} >"$tmp/users.dump"
mdb_load -n -s users -f "$tmp/users.dump" "$tmp/named.mdb"
{
  printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n'
  printf ' 1\n one\n'
} >"$tmp/main.dump"
printf ' 42\n %s\nDATA=END\n' "$(head -c 6000 /dev/zero | tr '\0' x)" >>"$tmp/main.dump"
mdb_load -n -f "$tmp/main.dump" "$tmp/named.mdb"
cp "$tmp/named.mdb" "$out/lmdb/named-and-overflow"
seq 1 300 | awk '{printf "key-%040d\t%d\n", $1, $1 * 3}' >"$tmp/many.tsv"
mk --format lmdb --tsv "$tmp/many.tsv" "$out/lmdb/two-levels"

mk --format cdb --tsv "$tmp/text.tsv" "$out/cdb/text"
mk --format cdb --tsv "$tmp/users.tsv" "$out/cdb/users"

# SST tables through RocksDB and LevelDB: each checksum, compression and
# index encoding, a legacy Bloom filter, several blocks, and a block larger
# than a hop (searched in windows).
for i in $(seq 1 40); do printf 'k%03d\t%0400d\n' "$i" "$i"; done >"$tmp/wide.tsv"
mk --format rocksdb --tsv "$tmp/text.tsv" "$out/sst/default"
mk --format rocksdb --compression none --checksum crc32c --format-version 2 \
  --tsv "$tmp/users.tsv" "$out/sst/fv2-crc32c-plain"
mk --format rocksdb --compression lz4 --format-version 4 --filter-bits 10 --block-size 512 \
  --tsv "$tmp/users.tsv" "$out/sst/fv4-lz4-bloom-blocks"
mk --format rocksdb --compression zstd --checksum xxhash64 --block-size 1024 \
  --tsv "$tmp/users.tsv" "$out/sst/zstd-xxhash64"
mk --format rocksdb --compression none --block-size 16384 --tsv "$tmp/wide.tsv" "$out/sst/windowed"
mk --format leveldb --filter-bits 10 --block-size 512 --tsv "$tmp/users.tsv" "$out/sst/leveldb"
# 100 records of one key: a listing longer than one chain's 64 matches.
{
  for i in $(seq 1 100); do printf '+3,%d:dup->%d\n' ${#i} "$i"; done
  printf '+1,3:1->one\n\n'
} | cdb -c "$out/cdb/repeated"
printf '\n' | cdb -c "$out/cdb/empty"

# ---- BPF objects ----------------------------------------------------------
for o in bptree_get.syscall cdb_get.syscall lmdb_get.kernel; do
  llvm-strip -g "$build/bpf/$o.bpf.o" -o "$out/bpf_object/$o"
done
for o in no_abi_maps forbidden_helper printk_helper; do
  llvm-strip -g "$build/tests/hostile/$o.o" -o "$out/bpf_object/hostile-$o"
done

# ---- query names (tests/fuse/query_path_test.cc) --------------------------
n=0
for q in 42 a:b x@y a%2Fb %00z 100%25 a%2E%2Eb count%3A5 10..20 10..20:5 .. ..7 a%3Ab..c \
         count:1..9 count:..:ge:4000 sum:1..500 sum:..:lt:18446744073709551615 'a%zz' \
         '1..2:0' 'count:..:xx:1' 'a:b..c'; do
  n=$((n + 1))
  printf '%s' "$q" >"$out/query_path/$n"
done

# ---- ioctl structs (tests/fuse/ioctl_mount_test.cc) -----------------------
python3 - "$out/ioctl_args" <<'PY'
import struct, sys
out = sys.argv[1]
DATA = 4080
def seed(name, cmd, mode, body, recs=b""):
    open(f"{out}/{name}", "wb").write(bytes([cmd, mode]) + struct.pack("<H", len(recs)) + recs + body)
def get(key):
    return struct.pack("<IIII", 16 + DATA, len(key), 0, 0) + key.ljust(DATA, b"\0")
def rng(lo, hi, maxr, flags):
    return struct.pack("<8I", 32 + DATA, len(lo), len(hi), maxr, flags, 0, 0, 0) + (lo + hi).ljust(DATA, b"\0")
def agg(lo, hi, filt, arg, want_sum):
    return struct.pack("<IIIIQII3Q", 64 + DATA, len(lo), len(hi), filt, arg, want_sum, 0, 0, 0, 0) + (lo + hi).ljust(DATA, b"\0")
def trace(key):
    return struct.pack("<IIiIII", 0, len(key), 0, 0, 0, 0) + key.ljust(1024, b"\0")
recs = b"".join(bytes([len(k), len(v)]) + k + v for k, v in [(b"1", b"one"), (b"42", b"the answer"), (b"7", b"x" * 200)])
seed("get-42", 0, 3, get(b"42"))
seed("get-bad-size", 0, 1, get(b"42")[:100])
seed("get-key-too-long", 0, 3, struct.pack("<IIII", 0, DATA + 1, 0, 0))
seed("range-0", 1, 3, rng(b"0", b"", 700, 0), recs)
seed("range-exclusive", 1, 11, rng(b"1", b"9", 2, 4), recs)
seed("range-e2big", 1, 3, rng(b"", b"", 0, 0), bytes([1, 255]) + b"k")
seed("agg-ge", 2, 3, agg(b"1", b"500", 5, 4000, 1))
seed("agg-bad-filter", 2, 3, agg(b"", b"", 9, 0, 0))
seed("trace-12345", 3, 3, trace(b"12345"))
seed("not-ours", 4, 1, b"")
PY

# ---- TSV (tests/tools/mkindex_cli_test.cc) ---------------------------------
cp "$tmp/users.tsv" "$out/tsv/users"
printf '3\tc\r\n1\ta\r\n2\tb\r\n' >"$out/tsv/crlf"
printf '1\ta\tb\tc\n2\t\n3\tno newline' >"$out/tsv/tabs-empty-value-no-newline"
printf '5\tx\n7\ty\n05\tz\n' >"$out/tsv/duplicate-leading-zero"
printf '1\ta\n12a\tb\n' >"$out/tsv/bad-key"
printf '18446744073709551615\tmax\n18446744073709551616\tover\n' >"$out/tsv/overflow"
printf '1\t%s\n' "$(head -c 64 /dev/zero | tr '\0' v)" >"$out/tsv/value-too-long"
# Lines across the reader's 64 KiB read chunks: few records (keys padded
# with zeros to 3900 digits), so that mutating this seed stays cheap.
seq 1 17 | awk '{printf "%03900d\tvalue number %d\n", $1, $1}' >"$out/tsv/across-chunks"
echo "seeds written to $out"
