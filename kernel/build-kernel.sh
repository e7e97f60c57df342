#!/bin/bash
# Build the chasefs kernel: Debian's linux-source-6.1 plus kernel/patches/*.
#
#   kernel/build-kernel.sh [--debug]
#
# The source tree and the object tree live outside the repository, in
# $CHASE_KERNEL_DIR (default /var/cache/chasefs/kernel):
#
#   src/              the unpacked Debian source, with the series applied
#   src/.chase-applied/NNNN-*.patch   copies of the patches applied, in order
#   build/            object tree of the normal configuration (make O=...)
#   build-debug/      object tree of the debug configuration (KASAN, lockdep)
#
# Re-runs are incremental: the source is unpacked once; when the series
# changed, only the patches from the first one that differs are reverted
# and re-applied, so make rebuilds only what those patches touch.
# Prints the path of the bzImage on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${CHASE_KERNEL_DIR:-/var/cache/chasefs/kernel}
tarball=${CHASE_KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
jobs=${CHASE_JOBS:-2}
variant=build
fragments=("$here/config/chasefs.config")
if [[ ${1:-} == --debug ]]; then
	variant=build-debug
	fragments+=("$here/config/debug.config")
fi
src=$top/src
obj=$top/$variant
applied=$src/.chase-applied

log() { echo "build-kernel: $*" >&2; }

mkdir -p "$top"
if [[ ! -f $src/.chase-unpacked ]]; then
	[[ -f $tarball ]] || { log "missing $tarball (apt-get install linux-source-6.1)"; exit 1; }
	log "unpacking $tarball into $src"
	rm -rf "$src" "$top/unpack"
	mkdir -p "$top/unpack"
	tar -C "$top/unpack" -xf "$tarball"
	mv "$top/unpack"/linux-source-6.1 "$src"
	rmdir "$top/unpack"
	mkdir -p "$applied"
	touch "$src/.chase-unpacked"
fi

# Bring the applied series in line with kernel/patches/, reverting only from
# the first patch that differs.
mapfile -t want < <(cd "$here/patches" && ls -1 -- *.patch 2>/dev/null | sort)
mapfile -t have < <(cd "$applied" && ls -1 -- *.patch 2>/dev/null | sort)
keep=0
while ((keep < ${#want[@]} && keep < ${#have[@]})) &&
	[[ ${want[keep]} == "${have[keep]}" ]] &&
	cmp -s "$here/patches/${want[keep]}" "$applied/${have[keep]}"; do
	keep=$((keep + 1))
done
for ((i = ${#have[@]} - 1; i >= keep; i--)); do
	log "reverting ${have[i]}"
	patch -d "$src" -p1 -R -s -N <"$applied/${have[i]}"
	rm -f "$applied/${have[i]}"
done
for ((i = keep; i < ${#want[@]}; i++)); do
	log "applying ${want[i]}"
	if ! patch -d "$src" -p1 -s -N --no-backup-if-mismatch <"$here/patches/${want[i]}"; then
		log "${want[i]} does not apply; fix it (the tree keeps the patches before it)"
		exit 1
	fi
	cp "$here/patches/${want[i]}" "$applied/${want[i]}"
done

# Configuration: tinyconfig plus the fragments, regenerated only when a
# fragment changed (a fresh .config would otherwise force a full rebuild).
mkdir -p "$obj"
cfgsum=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [[ ! -f $obj/.config || $(cat "$obj/.chase-config" 2>/dev/null) != "$cfgsum" ]]; then
	log "configuring $obj (tinyconfig + ${fragments[*]##*/})"
	make -s -C "$src" O="$obj" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${fragments[@]}" >/dev/null
	make -s -C "$src" O="$obj" olddefconfig >/dev/null
	# Every line of the fragments must have survived olddefconfig.
	missing=0
	while read -r line; do
		[[ $line =~ ^(CONFIG_[A-Z0-9_]+)=(.*)$ ]] || continue
		if ! grep -qx -- "$line" "$obj/.config"; then
			log "config: $line did not stick"
			missing=1
		fi
	done < <(cat "${fragments[@]}")
	((missing == 0)) || exit 1
	echo "$cfgsum" >"$obj/.chase-config"
fi

start=$(date +%s)
log "make -j$jobs bzImage in $obj"
make -s -C "$src" O="$obj" -j"$jobs" bzImage >&2
log "built in $(($(date +%s) - start)) s"
echo "$obj/arch/x86/boot/bzImage"
