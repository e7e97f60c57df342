#!/usr/bin/env bash
# The chasefs demo: set up a fresh Debian 12 machine (as root), build,
# index the bundled user table, mount it, and query it with ordinary tools.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bin=$top/build
work=${CHASEFS_DEMO_DIR:-/var/tmp/chasefs-demo}
log=${CHASEFS_DEMO_LOG:-/var/tmp/chasefs-demo.log}
: >"$log"

# One line per step; what the step prints (packages, compiler) goes to the
# log, and is shown only if the step fails.
step() {
  local what=$1
  shift
  local t0=$SECONDS
  printf 'demo: %s ... ' "$what"
  if "$@" >>"$log" 2>&1; then
    printf 'done (%ds)\n' $((SECONDS - t0))
  else
    local rc=$?
    printf 'FAILED (exit %d); the end of %s:\n' "$rc" "$log"
    tail -n 30 "$log" >&2
    exit "$rc"
  fi
}

echo "demo: the full output of each step goes to $log"
step "installing packages and building chasefs (minutes on a fresh machine)" bash .ci/setup.sh
fusermount3 -u "$work/mnt" 2>/dev/null || true
rm -rf "$work"
mkdir -p "$work/data" "$work/mnt"
step "indexing examples/data/users.tsv into users.db" \
  "$bin/mount-tools/chase-mkindex" --tsv examples/data/users.tsv "$work/data/users.db"
step "building big.db, a three-level B+-tree" \
  "$bin/mount-tools/chase-mkindex" --levels 3 "$work/data/big.db"
cp examples/data/notes.txt "$work/data/"
step "mounting $work/data at $work/mnt" "$bin/fs/daemon/chasefs" "$work/data" "$work/mnt"
trap 'cd /; fusermount3 -u "$work/mnt"' EXIT
cd "$work/mnt"

show() {
  printf '\n$ %s\n' "$*"
  bash -c "$*" || echo "(exit status $?)"
}
show "ls -l"
show "cat notes.txt"
show "cat users.db@42"
show "test -e users.db@3 && echo present || echo absent"
show "cat users.db@100..110"
show "cat users.db@count:.."
show "cat users.db@sum:1..500"
show "cat users.db@count:..:ge:4000"
show "stat -c '%n %s bytes' users.db@42"
show "python3 -c 'print(open(\"users.db@1999\").read().strip())'"
show "getfattr -n user.chase.get.42 --only-values users.db; echo"
show "getfattr -d users.db"
show "cat big.db@29790"
show "$bin/mount-tools/chasectl trace $work/data/big.db 12345"
show "getfattr -n user.chase.stats --only-values users.db"
