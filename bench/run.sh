#!/usr/bin/env bash
# One benchmark run: builds (or reuses) B+-tree files of depths 1..5 under
# /var/tmp/chasefs-bench, measures every method on the same file, repeats,
# and writes bench/report/REPORT.md (+ lookups.png) from the medians.
#
#   bench/run.sh [--depths 1-3|1,3,5] [--quick] [--reps N] [--seconds S]
#                [--data DIR] [--build DIR] [--no-build] [--report DIR (default bench/report)]
#
# Methods per depth (each a fresh bench_lib process, page cache dropped
# before each):
#   raw x1, raw x32      4 KiB random O_DIRECT reads with io_uring (device rate)
#   pread x1             application lookup, one O_DIRECT pread per hop (XRP's read())
#   uring x1             the same with io_uring at queue depth 1
#   syscall, native      libchase engines at 1, 8, 32, 64 chains in flight
#   kernel               the same, where the patched kernel is running
# Repetitions are the outer loop, so slow phases of a shared machine spread
# over every method instead of hitting one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
depths=""
reps=""
seconds=""
quick=0
data=/var/tmp/chasefs-bench
build=$root/build-bench
report=$here/report
do_build=1

while [ $# -gt 0 ]; do
    case "$1" in
        --depths) depths=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --reps) reps=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --report) report=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
# --quick changes the defaults only; explicit options win.
if [ $quick = 1 ]; then
    : "${reps:=3}" "${seconds:=1}" "${depths:=1-3}"
fi
: "${reps:=5}" "${seconds:=2}" "${depths:=1-5}"

# "1-3" or "1,3,5" -> "1 2 3" / "1 3 5"
expand_depths() {
    local out="" part
    for part in ${1//,/ }; do
        if [[ $part =~ ^([1-8])-([1-8])$ ]]; then
            out+=" $(seq -s ' ' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")"
        elif [[ $part =~ ^[1-8]$ ]]; then
            out+=" $part"
        else
            echo "run.sh: --depths wants e.g. 1-3 or 1,3,5, not '$1'" >&2; exit 2
        fi
    done
    echo $out
}
depth_list=$(expand_depths "$depths")

if [ $do_build = 1 ]; then
    echo "== build ($build)"
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$build" -j2 --target bench_lib chase-mkindex >/dev/null
fi
bench_lib=$build/bench/bench_lib
mkindex=$build/mount-tools/chase-mkindex

mkdir -p "$data"
for d in $depth_list; do
    f=$data/bptree-d$d.db
    if [ ! -f "$f" ]; then
        echo "== creating $f"
        "$mkindex" --progress --levels "$d" "$f"
    fi
done

results=$report/results
mkdir -p "$results"
errlog=$results/lib.errors.log  # other bench scripts keep their own logs here
rm -f "$results/lib.jsonl" "$errlog"
{
    echo "{\"date\":\"$(date -u +%FT%TZ)\",\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),"
    commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if ! git -C "$root" diff --quiet HEAD 2>/dev/null; then commit+=" + uncommitted changes"; fi
    echo "\"commit\":\"$commit\","
    echo "\"depths\":\"$depth_list\",\"reps\":$reps,\"seconds\":$seconds,"
    echo "\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"data\":\"$data\"}"
} > "$results/meta.json"

drop_caches() {
    if [ -w /proc/sys/vm/drop_caches ]; then
        echo 3 > /proc/sys/vm/drop_caches
    fi
}

configs="raw:1 raw:32 pread:1 uring:1"
engines=$("$bench_lib" --engines)
for engine in syscall native kernel; do
    if grep -qx "$engine" <<< "$engines"; then
        configs+=" $engine:1 $engine:8 $engine:32 $engine:64"
    else
        echo "engine $engine is not available here: not measured" >> "$errlog"
    fi
done
total=$(( reps * $(echo $depth_list | wc -w) * $(echo $configs | wc -w) ))
n=0
for rep in $(seq 1 "$reps"); do
    for d in $depth_list; do
        for cfg in $configs; do
            method=${cfg%%:*}
            inflight=${cfg##*:}
            n=$((n + 1))
            printf '\r== run %d/%d: depth %d %s x%s      ' $n $total "$d" "$method" "$inflight" >&2
            drop_caches
            if ! "$bench_lib" --file "$data/bptree-d$d.db" --method "$method" \
                    --inflight "$inflight" --seconds "$seconds" --seed $((rep * 1000 + d)) \
                    --run "$rep" --depth "$d" >> "$results/lib.jsonl" 2>> "$errlog"; then
                echo "depth $d $method x$inflight run $rep failed (see above)" >> "$errlog"
            fi
        done
    done
done
echo >&2
sed -i "s/}\$/,\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}/" "$results/meta.json"

# Other benchmark programs plug in here: every executable bench/run.d/*.sh
# runs with these variables and writes $RESULTS/<name>.jsonl (README.md).
for hook in "$here"/run.d/*.sh; do
    [ -x "$hook" ] || continue
    echo "== $(basename "$hook")"
    if ! BUILD=$build DATA=$data RESULTS=$results REPS=$reps SECONDS_PER_RUN=$seconds \
            DEPTHS="$depth_list" "$hook" 2>> "$errlog"; then
        echo "$(basename "$hook") failed" >> "$errlog"
    fi
done

echo "== report"
python3 "$here/report.py" --results "$results" --out "$report"
if grep -qv "not available here" "$errlog" 2>/dev/null; then
    echo "some runs failed; see $errlog and the report" >&2
fi
echo "wrote $report/REPORT.md"
