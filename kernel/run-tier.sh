#!/bin/bash
# The kernel VM tier, in one command:
#
#   kernel/run-tier.sh [--debug] [--skip-build]
#
# 1. builds the patched kernel if needed (kernel/build-kernel.sh; the tree
#    lives in $CHASE_KERNEL_DIR, default /var/cache/chasefs/kernel);
# 2. builds the VM test program, the kernel-target storage functions and
#    the test data in $CHASE_VM_BUILD (default <repo>/build-kernel/vm);
# 3. boots the kernel under QEMU twice at once, with the data disk as an
#    emulated NVMe device and as virtio-blk, and runs the tests inside;
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
cmake --build "$cmake_build" -j"${CHASE_JOBS:-2}" \
	--target chase-mkindex chasectl chasefs chase_functions engine_tests >/dev/null
mkindex=$cmake_build/mount-tools/chase-mkindex
[[ -f $out/data/lm.mdb ]] ||
	"$mkindex" --format lmdb --count 5000 --stride 7 "$out/data/lm.mdb" >/dev/null
for depth in 1 2 3; do
	[[ -f $out/data/bpt$depth.db ]] ||
		"$mkindex" --levels $depth --stride 3 "$out/data/bpt$depth.db" >/dev/null
done
# cdb (tinycdb through chase-mkindex): generated decimal keys, and byte keys
# from TSV with repeated keys, a value larger than the scratch area and a
# 1000-byte key.  cdb has no magic number: the attribute names the format
# (mkfs.ext4 -d copies it onto the disk).
if [[ ! -f $out/data/gen.cdb ]]; then
	"$mkindex" --format cdb --count 5000 --stride 7 "$out/data/gen.cdb" >/dev/null
	setfattr -n user.chase.fn -v cdb "$out/data/gen.cdb"
fi
if [[ ! -f $out/data/kv.cdb ]]; then
	{
		for i in $(seq 1 40); do printf 'dup\tvalue %d of dup\n' "$i"; done
		for i in $(seq 0 2999); do printf 'k%d\t%d\n' "$i" $((i * 7)); done
		printf 'pair\tfirst\npair\t%s\n' "$(printf 'L%.0s' $(seq 5000))"
		printf '%s\tlong key\n' "$(printf 'K%.0s' $(seq 1000))"
		printf 'empty\t\ntabs\ta\tb\tc\n'
	} >"$out/kv.tsv"
	"$mkindex" --format cdb --tsv "$out/kv.tsv" "$out/data/kv.cdb" >/dev/null
	setfattr -n user.chase.fn -v cdb "$out/data/kv.cdb"
fi
# RocksDB and LevelDB tables (through chase-mkindex and the libraries): 4 KiB
# Snappy blocks, 32 KiB Zstd blocks (searched in windows), a LevelDB table
# with a filter; a value of several blocks, a 1000-byte key, an empty value.
if [[ ! -f $out/data/kv.ldb ]]; then
	{
		for i in $(seq 0 2999); do printf 'k%d\t%d\n' "$i" $((i * 7)); done
		printf 'pair\t%s\n' "$(printf 'L%.0s' $(seq 9000))"
		printf '%s\tlong key\n' "$(printf 'K%.0s' $(seq 1000))"
		printf 'empty\t\n'
	} >"$out/sst.tsv"
	"$mkindex" --format rocksdb --tsv "$out/sst.tsv" "$out/data/kv.sst" >/dev/null
	"$mkindex" --format rocksdb --block-size 32768 --compression zstd \
		--tsv "$out/sst.tsv" "$out/data/kv32k.sst" >/dev/null
	"$mkindex" --format leveldb --filter-bits 10 --tsv "$out/sst.tsv" "$out/data/kv.ldb" >/dev/null
fi
# The trees the GoogleTest engine suite (tests/engine) generates for itself,
# made here so the VM does not build them; all but the 2.3 GB depth-5 tree.
mkdir -p "$out/data/gtest-data"
for t in 1-1 1-2 1-7 2-1 2-2 2-3 3-1 3-2 3-3 3-5 4-1; do
	[[ -f $out/data/gtest-data/gen-$t.db ]] ||
		"$mkindex" --levels "${t%-*}" --stride "${t#*-}" "$out/data/gtest-data/gen-$t.db" >/dev/null
done

# A gtest filter for the engine suite inside the VM, and the seconds it may
# take there before it counts as hung.  All of it on the normal kernel; on
# the debug kernel (about 5x slower) the tests that drive the kernel engine
# (the native engine's runs add nothing to KASAN or lockdep).
# The suite is split between the two guests (GoogleTest sharding: the NVMe
# guest runs one half, the virtio guest the other), which halves the tier's
# longest part; both drivers' completion paths still run chains (under KASAN
# and lockdep on the debug kernel) in the rest of tests.sh.
# CHASE_GTEST_SHARDED= (empty) runs the whole suite in both.
gtest_filter=${CHASE_GTEST_FILTER-${debug:+*/kernel:EnginesAgree.*}}
gtest_sharded=${CHASE_GTEST_SHARDED-1}
printf 'CHASE_GTEST_FILTER=%q\nCHASE_GTEST_TIMEOUT=%d\nCHASE_GTEST_SHARDED=%q\n' \
	"$gtest_filter" "${CHASE_GTEST_TIMEOUT:-1500}" "$gtest_sharded" >"$out/tests.sh"
cat >>"$out/tests.sh" <<'EOF'
dev=${CHASE_DISK#/dev/}
# "CHASE-TIME <part> <guest uptime>" after each part: where the tier's
# time goes (the debug kernel runs everything several times slower).
mark() { echo "CHASE-TIME $1 $(cut -d' ' -f1 /proc/uptime)"; }
chase-vmtest "$CHASE_DATA" /chase "$dev"
status=$?
mark chase-vmtest

# kernel_vs_native NAME QUERY...: chasectl on libchase's kernel engine and
# on the native engine; output and exit status must be identical.  An
# answer that is only "rc=0" (nothing printed) counts only for NAMEs that
# end in -empty.
kernel_vs_native() {
	name=$1
	shift
	k=$(chasectl --engine kernel "$@" 2>&1; echo "rc=$?")
	n=$(chasectl --engine native "$@" 2>&1; echo "rc=$?")
	if [ "$k" = "$n" ] && { [ "$k" != "rc=0" ] || [ "${name%-empty}" != "$name" ]; }; then
		echo "CHASE-TEST libchase-kernel-vs-native-$name PASS"
	else
		echo "CHASE-TEST libchase-kernel-vs-native-$name FAIL $(echo "$k" | head -3 | tr '\n' ' ' | cut -c1-300) / $(echo "$n" | head -3 | tr '\n' ' ' | cut -c1-300)"
		status=1
	fi
}
chains() { grep '^chains ' /proc/chase_stats | cut -d' ' -f2; }

# libchase's kernel engine, end to end through chasectl: it must be the
# first engine, and answer exactly like the native engine.
engines=$(chasectl engines 2>&1 | tr '\n' ' ')
case "$engines" in
kernel*) echo "CHASE-TEST libchase-kernel-engine-first PASS $engines" ;;
*) echo "CHASE-TEST libchase-kernel-engine-first FAIL $engines"; status=1 ;;
esac
for d in 1 2 3; do
	f=$CHASE_DATA/bpt$d.db
	kernel_vs_native depth$d-get get $f 0 3 4 30 99 300 2997 89373
	kernel_vs_native depth$d-range-limit range $f 10 400 --limit 20
	kernel_vs_native depth$d-range range $f 30 60
	kernel_vs_native depth$d-agg-where agg $f 0 2000 --sum --where ge:100
	kernel_vs_native depth$d-agg agg $f 5 50000
done
# LMDB, written by liblmdb through chase-mkindex.
f=$CHASE_DATA/lm.mdb
kernel_vs_native lmdb-get get $f 0 7 8 700 34993 35000
kernel_vs_native lmdb-range range $f 100 200
kernel_vs_native lmdb-range-past-end range $f 34900 40000
# cdb, written by tinycdb through chase-mkindex (user.chase.fn=cdb): keys
# present and absent, every record of a repeated key (range KEY KEY), a
# value larger than the scratch area, a 1000-byte key, a range cdb cannot
# answer (EOPNOTSUPP on both engines).
before=$(chains)
f=$CHASE_DATA/gen.cdb
kernel_vs_native cdb-get-generated get $f 0 7 8 700 34993 34994 35000
kernel_vs_native cdb-range-one-key range $f 700 700
kernel_vs_native cdb-range-absent-empty range $f 1 1
f=$CHASE_DATA/kv.cdb
long=$(head -c 1000 /dev/zero | tr '\0' K)
kernel_vs_native cdb-get-bytes get $f dup pair k0 k1234 k2999 k3000 empty tabs absent "$long"
kernel_vs_native cdb-repeated-key range $f dup dup
kernel_vs_native cdb-repeated-key-limit range $f dup dup --limit 7
kernel_vs_native cdb-repeated-big-value range $f pair pair
kernel_vs_native cdb-range-absent-bytes-empty range $f absent absent
kernel_vs_native cdb-range-unsupported range $f a b
after=$(chains)
if [ $((after - before)) -ge 9 ]; then
	echo "CHASE-TEST libchase-kernel-cdb-ran-in-kernel PASS chains $before -> $after"
else
	echo "CHASE-TEST libchase-kernel-cdb-ran-in-kernel FAIL chains $before -> $after"
	status=1
fi
mark chasectl-bptree-lmdb-cdb
# SST tables: every block is checked (and maybe decompressed) by libchase
# before the function reads it, so the kernel engine's session runs these
# chains on the syscall engine: the same BPF function, verified by this
# (patched 6.1) kernel and run through BPF_PROG_RUN; the answers must be
# the native engine's, and the trace must say where the chain ran.
for t in kv.sst kv32k.sst kv.ldb; do
	f=$CHASE_DATA/$t
	kernel_vs_native "sst-get-$t" get $f k0 k1234 k2999 k3000 pair empty absent "$long"
	kernel_vs_native "sst-range-$t" range $f k1 k2 --limit 50
done
tr=$(chasectl --engine kernel trace "$CHASE_DATA/kv32k.sst" k1234 2>&1)
if echo "$tr" | head -1 | grep -q '^engine kernel (this chain ran on syscall)$' &&
	echo "$tr" | grep -q ' read,checked,decompressed$' && echo "$tr" | grep -q ' memory$' &&
	echo "$tr" | grep -q '^value 8638$'; then
	echo "CHASE-TEST libchase-kernel-sst-chains-run-bpf-on-syscall PASS"
else
	echo "CHASE-TEST libchase-kernel-sst-chains-run-bpf-on-syscall FAIL $(echo "$tr" | tr '\n' ' ' | cut -c1-400)"
	status=1
fi

mark chasectl-sst
# The GoogleTest engine suite (tests/engine: every B+-tree function against
# the independent oracle, corrupt and damaged files, threads), on the
# kernel and native engines; trees up to depth 4 (they are on the data
# disk; the depth-5 tree is 2.3 GB).  Each test is a CHASE-TEST line.
mkdir -p "$CHASE_DATA/gtest-tmp"
cd "$CHASE_DATA/gtest-tmp"
if [ -n "$CHASE_GTEST_SHARDED" ]; then
	export GTEST_TOTAL_SHARDS=2
	if [ "$CHASE_ATTACH" = nvme ]; then export GTEST_SHARD_INDEX=0; else export GTEST_SHARD_INDEX=1; fi
fi
{
	CHASE_TEST_ENGINES=kernel,native CHASE_TEST_DATA=$CHASE_DATA/gtest-data \
		CHASE_MKINDEX_BIN=/chase/bin/chase-mkindex CHASE_TEST_MAX_LEVELS=4 \
		timeout -s KILL "$CHASE_GTEST_TIMEOUT" engine_tests --gtest_color=no ${CHASE_GTEST_FILTER:+"--gtest_filter=$CHASE_GTEST_FILTER"} 2>&1
	echo "gtest-exit $?"
} | tee /tmp/gtest.out |
	sed -n -e 's/^\[       OK \] \([^ ]*\) (\([0-9]*\) ms)$/CHASE-TEST gtest-\1 PASS \2 ms/p' \
		-e 's/^\[  FAILED  \] \([^ ,]*\).* (\([0-9]*\) ms)$/CHASE-TEST gtest-\1 FAIL \2 ms/p'
cd /chase
rc=$(sed -n 's/^gtest-exit //p' /tmp/gtest.out)
ran=$(grep -c '^\[ RUN      \]' /tmp/gtest.out)
if [ "$rc" = 0 ] && [ "$ran" -gt 0 ]; then
	echo "CHASE-TEST gtest-engine-suite PASS $ran tests${CHASE_GTEST_FILTER:+ (filter $CHASE_GTEST_FILTER)}${GTEST_TOTAL_SHARDS:+ (shard $GTEST_SHARD_INDEX of $GTEST_TOTAL_SHARDS)}, $(grep '^\[==========\] .* ran' /tmp/gtest.out)"
else
	echo "CHASE-TEST gtest-engine-suite FAIL exit $rc after $ran tests"
	grep -v '^\[ \|^$' /tmp/gtest.out | head -40
	status=1
fi
rm -rf "$CHASE_DATA/gtest-tmp"
mark gtest

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
mark fuse
exit $status
EOF

# The two attachments boot at once (each VM is mostly one busy vCPU, and
# the tier's wall time is what CI pays); CHASE_VM_SERIAL=1 runs them one
# after the other.  Each run's lines are kept apart and printed in order.
files=()
# every storage function of the project, built by its own CMake rules
for o in "$cmake_build"/bpf/*.kernel.bpf.o; do files+=(-f "$o"); done
run_attach() {
	"$here/run-vm.sh" -k "$kernel" -s "$out/tests.sh" -b "$out/chase-vmtest" \
		-b "$cmake_build/mount-tools/chasectl" -b "$cmake_build/mount-tools/chase-mkindex" \
		-b "$cmake_build/fs/daemon/chasefs" -b "$cmake_build/tests/engine/engine_tests" "${files[@]}" \
		-d "$out/data" -z 512M -a "$1" -t "${CHASE_VM_TIMEOUT:-2700}" -l "$out/console-$1.log" \
		>"$out/run-$1.out" 2>&1
}
declare -A pid
rm -f "$out"/run-*.rc
for attach in nvme virtio; do
	if [[ -n ${CHASE_VM_SERIAL:-} ]]; then
		rc=0
		run_attach $attach || rc=$?
		echo $rc >"$out/run-$attach.rc"
	else
		(
			set +e
			run_attach $attach
			echo $? >"$out/run-$attach.rc"
		) &
		pid[$attach]=$!
	fi
done
for p in "${pid[@]}"; do wait "$p" || true; done
status=0
: >"$out/counts.txt"
for attach in nvme virtio; do
	cat "$out/run-$attach.out"
	[[ $(cat "$out/run-$attach.rc" 2>/dev/null) == 0 ]] || status=1
	tr -d '\r' <"$out/console-$attach.log" | grep -ao 'CHASE-COUNT .*' >>"$out/counts.txt" || true
done
log "counts per lookup ($out/counts.txt):"
cat "$out/counts.txt" >&2
log "done in $(($(date +%s) - t0)) s, status $status"
exit $status
