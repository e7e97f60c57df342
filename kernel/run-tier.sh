#!/bin/bash
# The kernel VM tier, in one command:
#
#   kernel/run-tier.sh [--debug] [--skip-build]
#
# 1. builds the patched kernel if needed (kernel/build-kernel.sh; the tree
#    lives in $CHASE_KERNEL_DIR, default /var/cache/chasefs/kernel);
# 2. builds the VM test program, the kernel-target storage functions and
#    the test data in $CHASE_VM_BUILD (default <repo>/build-kernel/vm);
# 3. boots the kernel under QEMU twice, with the data disk as an emulated
#    NVMe device and as virtio-blk, and runs the tests inside;
# 4. writes the counts to $CHASE_VM_BUILD/counts.txt and exits non-zero if
#    any test failed in either run.
#
# --debug uses the debug kernel (KASAN, lockdep; kernel/config/debug.config):
# any report from them fails the run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${CHASE_VM_BUILD:-$repo/build-kernel/vm}
debug=
skip_build=
for a in "$@"; do
	case $a in
	--debug) debug=--debug ;;
	--skip-build) skip_build=1 ;;
	*) echo "usage: $0 [--debug] [--skip-build]" >&2; exit 2 ;;
	esac
done

log() { echo "run-tier: $*" >&2; }
t0=$(date +%s)

if [[ -z $skip_build ]]; then
	kernel=$("$here/build-kernel.sh" $debug | tail -1)
else
	kernel=${CHASE_KERNEL_DIR:-/var/cache/chasefs/kernel}/build${debug:+-debug}/arch/x86/boot/bzImage
fi
[[ -f $kernel ]] || { log "no kernel at $kernel"; exit 1; }
log "kernel $kernel ($(($(date +%s) - t0)) s)"

# ---- user-space pieces, built straight with the compilers so the tier does
# not depend on the state of the rest of the CMake tree ----
mkdir -p "$out/obj" "$out/data"
cflags=(-O2 -g -Wall -Wno-unused-function -I"$repo/bpf/include")
natives=()
for src in "$repo"/bpf/bptree_get.bpf.c "$repo"/bpf/bptree_range.bpf.c "$repo"/bpf/bptree_agg.bpf.c; do
	fn=$(basename "$src" .bpf.c)
	clang -target bpf -O2 -g -Wall -Wno-unused-function -DCHASE_TARGET_KERNEL \
		-I"$repo/bpf/include" -I/usr/include/x86_64-linux-gnu \
		-c "$src" -o "$out/obj/$fn.kernel.bpf.o"
	gcc "${cflags[@]}" -DCHASE_TARGET_NATIVE -x c -c "$src" -o "$out/obj/$fn.native.o"
	natives+=("$out/obj/$fn.native.o")
done
gcc "${cflags[@]}" -o "$out/chase-vmtest" "$here/tests/vmtest.c" "${natives[@]}" -lbpf -luring

# chase-mkindex, the project's own index builder, from the project's CMake
# tree in build-kernel/ (configured once).
cmake_build=${CHASE_CMAKE_BUILD:-$repo/build-kernel}
if [[ ! -f $cmake_build/CMakeCache.txt ]]; then
	cmake -S "$repo" -B "$cmake_build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$cmake_build" -j"${CHASE_JOBS:-2}" --target chase-mkindex chasectl chasefs chase_functions >/dev/null
mkindex=$cmake_build/mount-tools/chase-mkindex
[[ -f $out/data/lm.mdb ]] ||
	"$mkindex" --format lmdb --count 5000 --stride 7 "$out/data/lm.mdb" >/dev/null
for depth in 1 2 3; do
	[[ -f $out/data/bpt$depth.db ]] ||
		"$mkindex" --levels $depth --stride 3 "$out/data/bpt$depth.db" >/dev/null
done

cat >"$out/tests.sh" <<'EOF'
dev=${CHASE_DISK#/dev/}
chase-vmtest "$CHASE_DATA" /chase "$dev"
status=$?
# libchase's kernel engine, end to end through chasectl: it must be the
# first engine, and answer exactly like the native engine.
engines=$(chasectl engines 2>&1 | tr '\n' ' ')
case "$engines" in
kernel*) echo "CHASE-TEST libchase-kernel-engine-first PASS $engines" ;;
*) echo "CHASE-TEST libchase-kernel-engine-first FAIL $engines"; status=1 ;;
esac
for d in 1 2 3; do
	f=$CHASE_DATA/bpt$d.db
	i=0
	for q in "get $f 0 3 4 30 99 300 2997 89373" "range $f 10 400 --limit 20" \
		"range $f 30 60" "agg $f 0 2000 --sum --where ge:100" "agg $f 5 50000"; do
		i=$((i + 1))
		k=$(chasectl --engine kernel $q 2>&1; echo "rc=$?")
		n=$(chasectl --engine native $q 2>&1; echo "rc=$?")
		if [ "$k" = "$n" ] && [ "$k" != "rc=0" ]; then
			echo "CHASE-TEST libchase-kernel-vs-native-depth$d-$i PASS"
		else
			echo "CHASE-TEST libchase-kernel-vs-native-depth$d-$i FAIL $(echo "$k" | head -3 | tr '\n' ' ') / $(echo "$n" | head -3 | tr '\n' ' ')"
			status=1
		fi
	done
done
# LMDB, written by liblmdb through chase-mkindex: kernel engine vs native.
f=$CHASE_DATA/lm.mdb
i=0
for q in "get $f 0 7 8 700 34993 35000" "range $f 100 200" "range $f 34900 40000"; do
	i=$((i + 1))
	k=$(chasectl --engine kernel $q 2>&1; echo "rc=$?")
	n=$(chasectl --engine native $q 2>&1; echo "rc=$?")
	if [ "$k" = "$n" ] && [ "$k" != "rc=0" ]; then
		echo "CHASE-TEST libchase-kernel-vs-native-lmdb-$i PASS"
	else
		echo "CHASE-TEST libchase-kernel-vs-native-lmdb-$i FAIL $(echo "$k" | head -3 | tr '\n' ' ') / $(echo "$n" | head -3 | tr '\n' ' ')"
		status=1
	fi
done
# The FUSE face, forced onto the kernel engine: cat F@KEY.
mkdir -p /mnt/chase
chasefs -f -o engine=kernel "$CHASE_DATA" /mnt/chase 2>/tmp/chasefs.err &
daemon=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	grep -q " /mnt/chase " /proc/mounts && break
	sleep 0.5
done
if ! grep -q " /mnt/chase " /proc/mounts; then
	echo "CHASE-TEST fuse-mount-kernel-engine FAIL $(head -c 300 /tmp/chasefs.err | tr '\n' ' ')"
	status=1
else
	echo "CHASE-TEST fuse-mount-kernel-engine PASS"
	for k in 0 300 2997 89370; do
		v=$(cat /mnt/chase/bpt3.db@$k 2>&1)
		if [ "$v" = "$k" ]; then
			echo "CHASE-TEST fuse-cat-bpt3-$k PASS"
		else
			echo "CHASE-TEST fuse-cat-bpt3-$k FAIL got '$(echo "$v" | head -c 100)'"
			status=1
		fi
	done
	if cat /mnt/chase/bpt3.db@4 >/dev/null 2>&1; then
		echo "CHASE-TEST fuse-cat-missing-key FAIL key 4 was found"
		status=1
	else
		echo "CHASE-TEST fuse-cat-missing-key PASS"
	fi
	before=$(grep '^chains ' /proc/chase_stats)
	cat /mnt/chase/bpt2.db@30 >/dev/null
	after=$(grep '^chains ' /proc/chase_stats)
	if [ "$before" != "$after" ]; then
		echo "CHASE-TEST fuse-uses-kernel-chains PASS $before -> $after"
	else
		echo "CHASE-TEST fuse-uses-kernel-chains FAIL $before -> $after"
		status=1
	fi
	umount /mnt/chase || status=1
fi
kill $daemon 2>/dev/null
wait $daemon 2>/dev/null
exit $status
EOF

status=0
: >"$out/counts.txt"
for attach in nvme virtio; do
	files=()
	# every storage function of the project, built by its own CMake rules
	for o in "$cmake_build"/bpf/*.kernel.bpf.o; do files+=(-f "$o"); done
	if "$here/run-vm.sh" -k "$kernel" -s "$out/tests.sh" -b "$out/chase-vmtest" -b "$cmake_build/mount-tools/chasectl" -b "$cmake_build/fs/daemon/chasefs" "${files[@]}" \
		-d "$out/data" -a $attach -t "${CHASE_VM_TIMEOUT:-900}" -l "$out/console-$attach.log"; then
		:
	else
		status=1
	fi
	tr -d '\r' <"$out/console-$attach.log" | grep -ao 'CHASE-COUNT .*' >>"$out/counts.txt" || true
done
log "counts per lookup ($out/counts.txt):"
cat "$out/counts.txt" >&2
log "done in $(($(date +%s) - t0)) s, status $status"
exit $status
