#!/bin/bash
# Boot a kernel under QEMU (TCG, no KVM) and run tests inside it.
#
#   kernel/run-vm.sh -k BZIMAGE -s SCRIPT [-b BIN]... [-f FILE]... [-d DATADIR]
#                    [-a nvme|virtio] [-t TIMEOUT] [-m MEM] [-z SIZE] [-l LOG]
#
#   -k  the kernel to boot
#   -s  shell script run inside the VM as /chase/tests.sh (busybox sh)
#   -b  a binary to put into /chase/bin (repeatable); its shared libraries,
#       as ldd lists them, go into the initramfs at their host paths
#   -f  a plain file to put into /chase (repeatable), e.g. BPF objects
#   -d  directory whose contents become the ext4 disk (mkfs.ext4 -d); the
#       VM mounts it read-write at /mnt/data
#   -a  how the disk is attached: nvme (default) or virtio
#   -t  seconds before the VM is killed (default 600)
#   -m  memory of the VM in MiB (default 1024)
#   -z  size of the data disk (truncate -s syntax, default 256M)
#   -l  where to keep the serial console log (default: a temporary file)
#
# Inside the VM the script sees CHASE_DISK (the block device), CHASE_DATA
# (/mnt/data) and CHASE_ATTACH (nvme|virtio).  Test programs print lines
#
#   CHASE-TEST <name> PASS|FAIL [detail]
#
# and the init prints "CHASE-RESULT status=<exit status of tests.sh>" before
# powering off.  This script echoes the test lines, and exits 0 only when
# the result line arrived, the status is 0, at least one test passed and
# none failed.
set -euo pipefail

kernel= script= datadir= attach=nvme timeout=600 mem=1024 disk_size=256M log=
bins=() files=()
while getopts "k:s:b:f:d:a:t:m:z:l:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	s) script=$OPTARG ;;
	b) bins+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	d) datadir=$OPTARG ;;
	a) attach=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	z) disk_size=$OPTARG ;;
	l) log=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[[ -n $kernel && -f $kernel ]] || { echo "run-vm: -k BZIMAGE is required" >&2; exit 2; }
[[ -n $script && -f $script ]] || { echo "run-vm: -s SCRIPT is required" >&2; exit 2; }
case $attach in nvme | virtio) ;; *) echo "run-vm: -a nvme|virtio" >&2; exit 2 ;; esac
busybox=/bin/busybox # from busybox-static: the initramfs has no libc for it
[[ -x $busybox ]] || { echo "run-vm: busybox-static is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/chase-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,mnt/data,chase/bin,etc,lib64}
cp "$busybox" "$root/bin/busybox"

# Binaries and the shared libraries they load.
copy_lib() {
	local lib=$1
	[[ -e $root$lib ]] && return
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
}
for b in "${bins[@]}"; do
	cp "$b" "$root/chase/bin/"
	while read -r lib; do
		copy_lib "$lib"
	done < <(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' || true)
done
for f in "${files[@]}"; do
	cp "$f" "$root/chase/"
done
cp "$script" "$root/chase/tests.sh"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/chase/bin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
echo 1 > /proc/sys/kernel/panic_on_oops 2>/dev/null
attach=$(cat /chase/attach)
disk=
for i in 1 2 3 4 5 6 7 8 9 10; do
	for d in /dev/nvme0n1 /dev/vda; do
		[ -b $d ] && disk=$d
	done
	[ -n "$disk" ] && break
	sleep 0.2
done
status=1
if [ -z "$disk" ]; then
	echo "CHASE-TEST vm-disk FAIL no disk appeared"
elif ! mount -t ext4 $disk /mnt/data; then
	echo "CHASE-TEST vm-mount FAIL cannot mount $disk"
else
	export CHASE_DISK=$disk CHASE_DATA=/mnt/data CHASE_ATTACH=$attach
	echo "CHASE-TIME booted $(cut -d' ' -f1 /proc/uptime)"
	cd /chase
	sh /chase/tests.sh
	status=$?
	cd /
	umount /mnt/data || status=1
fi
echo "CHASE-RESULT status=$status"
poweroff -f
EOF
chmod +x "$root/init"
echo "$attach" >"$root/chase/attach"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# The disk.
mkdir -p "$work/empty"
mkfs_src=${datadir:-$work/empty}
truncate -s "$disk_size" "$work/disk.img"
mkfs.ext4 -q -F -b 4096 -E root_owner=0:0 -d "$mkfs_src" "$work/disk.img"
if [[ $attach == nvme ]]; then
	dev=(-drive if=none,id=d0,file="$work/disk.img",format=raw
		-device nvme,serial=chase,drive=d0)
else
	dev=(-drive if=none,id=d0,file="$work/disk.img",format=raw
		-device virtio-blk-pci,drive=d0)
fi

log=${log:-$work/console.log}
start=$(date +%s)
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -machine q35 -accel tcg \
	-smp 2 -m "$mem" -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 oops=panic" \
	"${dev[@]}" </dev/null >"$log" 2>&1
qemu=$?
set -e
elapsed=$(($(date +%s) - start))

# Serial output may carry the firmware's escape sequences on the same line.
tr -d '\r' <"$log" | grep -ao 'CHASE-\(TEST\|RESULT\|TIME\) .*' >"$work/results" || true
grep '^CHASE-\(TEST\|TIME\) ' "$work/results" || true
pass=$(grep -c '^CHASE-TEST [^ ]* PASS' "$work/results" || true)
fail=$(grep -c '^CHASE-TEST [^ ]* FAIL' "$work/results" || true)
result=$(grep '^CHASE-RESULT ' "$work/results" | tail -1 || true)
if grep -aEq 'BUG:|KASAN|WARNING:|Kernel panic|lockdep|possible recursive locking|circular locking' "$log"; then
	echo "run-vm: kernel reported a problem:" >&2
	grep -aE -A20 'BUG:|KASAN|WARNING:|Kernel panic|possible recursive locking|circular locking' "$log" | head -60 >&2
	fail=$((fail + 1))
fi
echo "run-vm: $attach: $pass passed, $fail failed, ${result:-no result line} (qemu exit $qemu, ${elapsed}s)"
if [[ $result != "CHASE-RESULT status=0" || $fail -ne 0 || $pass -eq 0 ]]; then
	[[ -z $result ]] && tail -40 "$log" >&2
	exit 1
fi
