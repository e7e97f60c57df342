#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: set up and
# build (.ci/setup.sh), the GoogleTest suites under CTest (engines, hostile
# functions, tools, FUSE mounts, real formats), then the kernel tier (the
# patched kernel under QEMU).  Exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash .ci/setup.sh || { echo "run-all: setup/build failed"; exit 1; }

if [ "$(id -u)" != 0 ]; then
  echo "run-all: *** not root: the syscall engine, FUSE mounts and the kernel tier need root;"
  echo "run-all: *** those tests will report that they cannot run ***"
fi

status=0
(cd build && ctest --output-on-failure --timeout 900) || status=1

if [ -x kernel/run-tier.sh ]; then
  bash kernel/run-tier.sh || status=1
else
  echo "run-all: *** kernel tier missing (kernel/run-tier.sh): NOT RUN ***"
  status=1
fi

if [ $status = 0 ]; then echo "run-all: every tier passed"; else echo "run-all: FAILURES above"; fi
exit $status
