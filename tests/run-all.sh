#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: set up and
# build (.ci/setup.sh), the GoogleTest suites under CTest (engines, hostile
# functions, tools, FUSE mounts, real formats), then the kernel tier (the
# patched kernel under QEMU).  Ends with one "N passed, M failed" line over
# both tiers and exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash .ci/setup.sh || { echo "run-all: setup/build failed"; exit 1; }

if [ "$(id -u)" != 0 ]; then
  echo "run-all: *** not root: the syscall engine, FUSE mounts and the kernel tier need root;"
  echo "run-all: *** those tests will report that they cannot run ***"
fi

log=$(mktemp)
(cd build && ctest --output-on-failure --timeout 900) 2>&1 | tee "$log"
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
rm -f "$log"
if [ -z "$total" ]; then total=1; failed=1; echo "run-all: ctest did not finish"; fi
passed=$((total - failed))

# The kernel tier twice: the patched kernel, and its debug build (KASAN,
# lockdep), where any report on the console is a failure.
for variant in "" --debug; do
  name="kernel tier${variant:+ $variant}"
  if [ ! -x kernel/run-tier.sh ]; then
    failed=$((failed + 1)); echo "run-all: *** $name missing (kernel/run-tier.sh): NOT RUN ***"
  elif bash kernel/run-tier.sh $variant; then
    passed=$((passed + 1)); echo "run-all: $name passed"
  else
    failed=$((failed + 1)); echo "run-all: $name FAILED"
  fi
done

echo "run-all: $passed passed, $failed failed"
[ "$failed" = 0 ]
