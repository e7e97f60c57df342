#!/bin/sh
# End to end: build a B+-tree, mount its directory over itself, query it with
# ordinary tools, unmount.  Run as root from a build directory:
#   sh examples/mount/demo.sh build-fs
set -e
build=${1:-build}
dir=$(mktemp -d /var/tmp/chasefs-demo-XXXXXX)
"$build/mount-tools/chase-mkindex" --count 100000 --stride 2 "$dir/users.db"
"$build/fs/daemon/chasefs" "$dir" "$dir"           # over itself; daemonizes
trap 'fusermount3 -u "$dir"; rm -rf "$dir"' EXIT
echo "value of 42:     $(cat "$dir/users.db@42")"
test -e "$dir/users.db@43" || echo "43 is absent (ENOENT)"
echo "size of answer:  $(stat -c %s "$dir/users.db@42")"
echo "records 10..20:"; cat "$dir/users.db@10..20"
echo "count of all:    $(cat "$dir/users.db@count:..")"
echo "sum of 0..100 with value > 50: $(cat "$dir/users.db@sum:0..100:gt:50")"
getfattr -d "$dir/users.db"
getfattr --only-values -n user.chase.get.1000 "$dir/users.db"; echo
python3 -c "print('python3 read:', open('$dir/users.db@4242').read())"
ls "$dir"                                           # no query names listed
