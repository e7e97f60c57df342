#!/usr/bin/env bash
# The filesystem face's benchmark (bench_fs), same machine and files as
# run.sh: appends JSON lines to bench/report/results/fs.jsonl.
#
#   bench/run_fs.sh [--reps N] [--seconds S] [--depth D] [--data DIR]
#                   [--build DIR] [--names N] [--big-mib M] [--modes LIST]
#
# Per repetition one bench_fs process mounts chasefs over DATA at a scratch
# mount point and measures (see bench_fs.cc):
#   queries  libchase vs F@KEY open+read+close vs getxattr vs ioctl, from 1
#            and 16 processes; libchase with 16 chains in flight
#   files    sequential and 4 KiB random reads of a BIG-MIB file, cold and
#            warm, and creates, stats and unlinks from 1 and 16 processes:
#            backing directory vs the mount (passthrough where the kernel
#            has it) vs a second mount with -o passthrough=off
#   memory   (first repetition only) 16 processes look up N distinct query
#            names; the daemon's RSS idle / peak / after
# plus "fs_check" lines: the issue-3 targets computed from that repetition.
# Failures go to report/results/fs.errors.log (empty when all went well).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
reps=3
seconds=3
depth=3
data=/var/tmp/chasefs-bench
build=$root/build-bench
names=1000000
big=1024
modes=queries,files,memory

while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --depth) depth=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --names) names=$2; shift 2 ;;
        --big-mib) big=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "run_fs.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ]; then
    echo "run_fs.sh: needs root and /dev/fuse (it mounts chasefs)" >&2
    exit 1
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target bench_fs chasefs chase-mkindex >/dev/null
file=$data/bptree-d$depth.db
mkdir -p "$data"
[ -f "$file" ] || "$build/mount-tools/chase-mkindex" --progress --levels "$depth" "$file"

results=$here/report/results
mkdir -p "$results"
out=$results/fs.jsonl
: > "$out"
: > "$results/fs.errors.log"
work=$(mktemp -d /var/tmp/chasefs-bench-fs-XXXXXX)
trap 'fusermount3 -u "$work/mnt" 2>/dev/null || true; fusermount3 -u "$work/mnt-nopassthrough" 2>/dev/null || true; rm -rf "$work"' EXIT
for rep in $(seq 1 "$reps"); do
    m=$modes
    [ "$rep" = 1 ] || m=${m//memory/}
    echo "== bench_fs run $rep/$reps ($m)" >&2
    "$build/bench/bench_fs" --chasefs "$build/fs/daemon/chasefs" --file "$file" \
        --work "$work" --seconds "$seconds" --run "$rep" --depth "$depth" \
        --modes "$m" --names "$names" --big-mib "$big" >> "$out" \
        2>> "$results/fs.errors.log" || echo "bench_fs run $rep failed" >> "$results/fs.errors.log"
done
echo "wrote $out" >&2
