#!/usr/bin/env bash
# Builds the libFuzzer targets into BUILD (configured with clang and
# -DCHASE_FUZZ=ON if it is not yet) and runs each one, two at a time
# (CHASE_FUZZ_JOBS), on a throwaway copy of its seed corpus
# (tests/fuzz/corpus/<target>):
#
#   tests/fuzz/run-fuzz.sh BUILD SECONDS [TARGET...]       CI smoke: SECONDS each
#   tests/fuzz/run-fuzz.sh BUILD --campaign RUNS [TARGET...]   RUNS executions each
#
# A target passes when libFuzzer ends without a finding (crash, sanitizer
# report, timeout of one input, out of memory); a finding's input is kept in
# BUILD/fuzz-findings/<target>/ and its path printed.  One line per target
# with executions, seconds, exec/s and coverage, then
# "run-fuzz: N passed, M failed (...)"; the exit status is non-zero if any
# failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
all_targets="bptree lmdb cdb sst query_path ioctl_args bpf_object tsv"

usage() { echo "usage: $0 BUILD SECONDS|--campaign RUNS [TARGET...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
build=$1; shift
if [ "$1" = --campaign ]; then
  [ $# -ge 2 ] || usage
  limit=(-runs="$2"); what="$2 runs"; shift 2
else
  limit=(-max_total_time="$1"); what="$1 s"; shift
fi
targets=${*:-$all_targets}
n_targets=$(wc -w <<<"$targets")

mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$top" -B "$build" -DCHASE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if ! nice -n 10 cmake --build "$build" -j2 --target fuzzers >"$build/fuzz-build.log" 2>&1; then
  tail -30 "$build/fuzz-build.log"
  echo "run-fuzz: the fuzz build failed (log: $build/fuzz-build.log)"
  echo "run-fuzz: 0 passed, $n_targets failed (the fuzz build failed)"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One target; its report lines go to $work/$t.out, its exit status to
# $work/$t.rc.
run_target() {
  local t=$1
  local bin=$build/tests/fuzz/fuzz_$t findings=$build/fuzz-findings/$t log=$build/fuzz-$1.log
  mkdir -p "$work/$t" "$findings"
  cp -r "$top/tests/fuzz/corpus/$t/." "$work/$t/"
  local start rc secs execs rate cov summary crash
  start=$(date +%s.%N)
  # -timeout: one input running longer than this is a hang (a finding).
  nice -n 10 "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work/$t" >"$log" 2>&1
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  summary=$(printf '%-11s %10s execs %7.1f s %7s exec/s  %s' "$t" "${execs:-?}" "$secs" \
                   "${rate:-?}" "${cov:-cov: ?}")
  {
    if [ $rc = 0 ]; then
      echo "run-fuzz: ok     $summary"
    else
      echo "run-fuzz: FAILED $summary (exit $rc)"
      grep -E 'ERROR: |FUZZ FINDING|runtime error|SUMMARY' "$log" | head -5 | sed 's/^/run-fuzz:   /'
      crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
      echo "run-fuzz:   input: ${crash:-none written (see $log)}; log: $log"
    fi
  } >"$work/$t.out"
  echo $rc >"$work/$t.rc"
}

# Targets run CHASE_FUZZ_JOBS at a time (default 2, one per core: each
# fuzzer is one busy thread); the report keeps the targets' order.
jobs_max=${CHASE_FUZZ_JOBS:-2}
running=0
for t in $targets; do
  if [ "$running" -ge "$jobs_max" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait
passed=0 failed=0
for t in $targets; do
  cat "$work/$t.out" 2>/dev/null || echo "run-fuzz: FAILED $t (no report)"
  if [ "$(cat "$work/$t.rc" 2>/dev/null)" = 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "run-fuzz: $passed passed, $failed failed ($what per target)"
[ "$failed" = 0 ]
