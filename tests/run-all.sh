#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: set up and
# build (.ci/setup.sh), the GoogleTest suites under CTest (engines, hostile
# functions, tools, FUSE mounts, real formats), the same suites again under
# ASan + UBSan (build-asan), the Debian package installed and mounted, the
# fuzz smoke, then the kernel tier (the patched kernel under QEMU).  Ends
# with one "N passed, M failed" line over all tiers and exits non-zero if
# anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Wall time per stage, printed again at the end, where CI's excerpt of the
# output shows it; and the slowest tests of a CTest log.
stages=()
stage_start=$(date +%s)
suite_start=$stage_start
stage_done() {
  local now
  now=$(date +%s)
  stages+=("$(printf '%-22s %5d s' "$1" $((now - stage_start)))")
  stage_start=$now
}
slowest() {
  grep -aE '^ *[0-9]+/[0-9]+ Test +#' "$1" |
    sed -nE 's/.*Test +#[0-9]+: ([^ ]+) .* ([0-9.]+) sec$/\2 \1/p' |
    sort -rn | head -"${2:-8}" | awk -v p="$3" '{ printf "run-all: %s%7.1f s  %s\n", p, $1, $2 }'
}

bash .ci/setup.sh || { echo "run-all: setup/build failed"; exit 1; }
stage_done "setup and build"

# The two kernels (about 10 min each on 2 cores) build at the lowest
# priority while the user-space tiers run: those mostly wait on FUSE round
# trips and leave a core idle.  The kernel tier waits for them; a build
# that failed here is tried again there and reported.
kernel_log=$(mktemp)
(nice -n 19 bash kernel/build-kernel.sh && nice -n 19 bash kernel/build-kernel.sh --debug) \
  >"$kernel_log" 2>&1 </dev/null &
kernel_builds=$!

if [ "$(id -u)" != 0 ]; then
  echo "run-all: *** not root: the syscall engine, FUSE mounts and the kernel tier need root;"
  echo "run-all: *** those tests will report that they cannot run ***"
fi

log=$(mktemp)
# Two tests at a time: they spend most of their time waiting on FUSE round
# trips, each has its own mount and scratch directory.
(cd build && ctest -j2 --output-on-failure --timeout 900) 2>&1 | tee "$log"
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
slow_tests=$(slowest "$log" 8 "")
rm -f "$log"
stage_done "ctest"
if [ -z "$total" ]; then total=1; failed=1; echo "run-all: ctest did not finish"; fi
passed=$((total - failed))

# The sanitizer tier (tests/sanitize): everything built again into
# build-asan with AddressSanitizer, LeakSanitizer and UBSan, and the CTest
# suites run there, the FUSE tests with the sanitized daemon; any report
# fails a test.  Its ctest lines are prefixed "asan: " and its tests are
# counted like the others.  Left out: the formats suite's sweeps on the
# syscall engine (the same adapter code as on the native engine, where the
# storage functions themselves are sanitized, around BPF programs the
# sanitizers cannot see; a third of the tier's time).
asan_log=$(mktemp)
if cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHASE_SANITIZE=ON >/dev/null &&
  cmake --build build-asan -j2; then
  (cd build-asan && ctest -j2 --output-on-failure --timeout 900 -E '^formats\.Engines/.*/syscall') 2>&1 |
    sed -u 's/^/asan: /' | tee "$asan_log"
fi
asan_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$asan_log" | tail -1)
asan_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$asan_log" | tail -1)
slow_tests+=$'\n'$(sed 's/^asan: //' "$asan_log" | slowest /dev/stdin 5 "asan: ")
rm -f "$asan_log"
if [ -z "$asan_total" ]; then
  asan_total=1; asan_failed=1; echo "run-all: the sanitizer tier did not build or finish"
fi
passed=$((passed + asan_total - asan_failed)); failed=$((failed + asan_failed))
stage_done "sanitizer build+ctest"

# The Debian package (tests/package): built from build/ with CPack,
# installed with apt-get, mounted through the installed files only (mount -t
# fuse.chasefs, mount -t chasefs, fstab lines), purged.  One pass or fail.
if bash tests/package/package_test.sh build; then
  passed=$((passed + 1)); echo "run-all: package test passed"
else
  failed=$((failed + 1)); echo "run-all: package test FAILED"
fi
stage_done "package"

# The fuzz smoke (tests/fuzz): every libFuzzer target for a bounded time on
# its seed corpus, built with clang into build-fuzz; one pass or fail per
# target.  CHASE_FUZZ_SECONDS overrides the 20 s each.
fuzz_log=$(mktemp)
bash tests/fuzz/run-fuzz.sh build-fuzz "${CHASE_FUZZ_SECONDS:-20}" 2>&1 | tee "$fuzz_log"
fuzz=$(sed -n 's/^run-fuzz: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$fuzz_log" | tail -1)
rm -f "$fuzz_log"
if [ -z "$fuzz" ]; then fuzz="0 1"; echo "run-all: the fuzz smoke did not finish"; fi
passed=$((passed + ${fuzz% *})); failed=$((failed + ${fuzz#* }))
stage_done "fuzz build+smoke"

# The kernel tier twice: the patched kernel, and its debug build (KASAN,
# lockdep), where any report on the console is a failure.  The guests run
# the project's binaries from build/ rather than a third build tree.
if wait "$kernel_builds"; then
  echo "run-all: kernels built in the background"
else
  echo "run-all: the background kernel build failed; the tier tries again:"
  tail -20 "$kernel_log"
fi
rm -f "$kernel_log"
stage_done "kernel builds (rest)"
export CHASE_CMAKE_BUILD="$top/build"
for variant in "" --debug; do
  name="kernel tier${variant:+ $variant}"
  if [ ! -x kernel/run-tier.sh ]; then
    failed=$((failed + 1)); echo "run-all: *** $name missing (kernel/run-tier.sh): NOT RUN ***"
  elif bash kernel/run-tier.sh $variant; then
    passed=$((passed + 1)); echo "run-all: $name passed"
  else
    failed=$((failed + 1)); echo "run-all: $name FAILED"
  fi
  stage_done "$name"
done

echo "run-all: the slowest tests:"
echo "$slow_tests" | grep . 
echo "run-all: wall time per stage:"
for s in "${stages[@]}"; do echo "run-all:   $s"; done
echo "run-all:   total                  $(($(date +%s) - suite_start)) s"

echo "run-all: $passed passed, $failed failed"
[ "$failed" = 0 ]
