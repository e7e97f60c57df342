#!/usr/bin/env bash
# The chasefs demo: set up a fresh Debian 12 machine (as root), build,
# index the bundled user table, mount it, and query it with ordinary tools.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash .ci/setup.sh >/dev/null

bin=$top/build
work=${CHASEFS_DEMO_DIR:-/var/tmp/chasefs-demo}
fusermount3 -u "$work/mnt" 2>/dev/null || true
rm -rf "$work"
mkdir -p "$work/data" "$work/mnt"

"$bin/mount-tools/chase-mkindex" --tsv examples/data/users.tsv "$work/data/users.db"
"$bin/mount-tools/chase-mkindex" --levels 3 "$work/data/big.db"
cp examples/data/notes.txt "$work/data/"

"$bin/fs/daemon/chasefs" "$work/data" "$work/mnt"
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
