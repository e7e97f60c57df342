#!/usr/bin/env bash
# The Debian package end to end, as root: build chasefs_<version>_<arch>.deb
# from a build directory with CPack, check its control fields and file list,
# install it with apt-get, then with the installed files only (PATH without
# any build directory) make a data file, mount it with `mount -t
# fuse.chasefs`, `mount -t chasefs` and two /etc/fstab lines, and once more
# with the build and source trees hidden; finally purge the package.
#
#   tests/package/package_test.sh [BUILD]      (default: build/ of this tree)
#
# Exits non-zero with a "package_test: FAIL: ..." line on any mismatch.  On
# every exit it unmounts what it mounted, restores /etc/fstab byte for byte
# and purges the package it installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build_arg=${1:-$top/build}

say() { echo "package_test: $*"; }
fail() {
  echo "package_test: FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (apt-get, mount, /etc/fstab)"
[ -d "$build_arg" ] || fail "no build directory $build_arg"
build=$(cd "$build_arg" && pwd)
[ -f "$build/CPackConfig.cmake" ] ||
  fail "$build/CPackConfig.cmake missing: configure $build with this tree's CMakeLists.txt first"
for tool in cpack dpkg-deb apt-get readelf unshare findmnt getfattr; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done
if dpkg-query -W -f '${Status}' chasefs 2>/dev/null | grep -q installed; then
  fail "the chasefs package is already installed; this test installs and purges it, so purge it first"
fi
version=$(sed -n 's/^project(chasefs VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || fail "no version in $top/CMakeLists.txt"
arch=$(dpkg --print-architecture)

# Every file the package must hold, and nothing else (test programs,
# benchmarks, bpf/*.bpf.o objects and static libraries have no place in it).
expected_files="
/usr/bin/chasefs
/usr/bin/chasectl
/usr/bin/chase-mkindex
/usr/sbin/mount.chasefs
/usr/share/man/man8/chasefs.8
/usr/share/man/man1/chasectl.1
/usr/share/man/man1/chase-mkindex.1
/usr/share/doc/chasefs/examples/fstab
/usr/share/doc/chasefs/examples/srv-index.mount"

work=$(mktemp -d /var/tmp/chasefs-package.XXXXXX)
chmod 755 "$work" # apt's _apt user reads the .deb from here
src=$work/src
mnts=("$work/mnt" "$work/mnt2" "$work/mnt3")
mkdir "$src" "${mnts[@]}"

installed=0
fstab_saved=0
fstab_existed=0

# chasefs daemons serving this run's mount points: a chasefs executable
# (still named so after the purge) with this run's $work in its arguments.
our_daemons() {
  local p exe args
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case "$exe" in */chasefs | */chasefs" (deleted)") ;; *) continue ;; esac
    args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    case "$args" in *" $work/"*) echo "${p#/proc/}" ;; esac
  done
}

# Whether every daemon of ours has exited, within 5 s.
daemons_gone() {
  for _ in $(seq 50); do
    [ -z "$(our_daemons)" ] && return 0
    sleep 0.1
  done
  return 1
}

cleanup() {
  local rc=$? m pid keep_work=0
  set +e
  for m in "${mnts[@]}"; do
    if mountpoint -q "$m" 2>/dev/null; then
      umount "$m" 2>/dev/null || umount -l "$m"
      echo "package_test: cleanup: unmounted $m" >&2
    fi
  done
  for pid in $(our_daemons); do
    kill "$pid" 2>/dev/null && echo "package_test: cleanup: stopped daemon $pid" >&2
  done
  if [ "$fstab_saved" = 1 ]; then
    if [ "$fstab_existed" = 1 ]; then
      cat "$work/fstab.orig" >/etc/fstab
      if ! cmp -s "$work/fstab.orig" /etc/fstab; then
        echo "package_test: FAIL: /etc/fstab could not be restored; the original is in $work/fstab.orig" >&2
        rc=1 keep_work=1 # $work holds the only copy
      fi
    else
      rm -f /etc/fstab
    fi
  fi
  if [ "$installed" = 1 ] && dpkg-query -W chasefs >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q chasefs </dev/null >"$work/purge.log" 2>&1 ||
      { cat "$work/purge.log" >&2; rc=1; }
    echo "package_test: cleanup: purged the chasefs package" >&2
  fi
  [ "$keep_work" = 1 ] || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM HUP

start=$(date +%s)

# --- 1. Build the package -------------------------------------------------
# cpack runs the build tree's preinstall target (everything not yet built is
# built) and stages the install() rules under /usr.
say "building the package from $build"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1; then
  tail -40 "$work/cpack.log" >&2
  fail "cpack -G DEB failed"
fi
deb=$work/pkg/chasefs_${version}_${arch}.deb
[ -f "$deb" ] || {
  ls -l "$work/pkg" >&2
  fail "cpack did not make $(basename "$deb")"
}
grep "dpkg-shlibdeps is not found" "$work/cpack.log" >&2 &&
  fail "CPack could not run dpkg-shlibdeps (above; Debian package dpkg-dev)"
say "$(basename "$deb"): $(stat -c %s "$deb") bytes"

# --- 2. Control fields and contents --------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = chasefs ] || fail "Package is '$(field Package)', not chasefs"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', not $arch"
depends=$(field Depends)
[ -n "$depends" ] || fail "Depends is empty"
say "Depends: $depends"
# fuse3 by hand; the libraries from dpkg-shlibdeps (libbpf1, libfuse3-3, ...).
for dep in fuse3 libfuse3-3 libbpf1 liburing2 libc6; do
  echo ", $depends," | grep -Eq "[ ,]$dep( \(|,)" || fail "Depends lacks $dep: $depends"
done

dpkg-deb -c "$deb" >"$work/contents"
actual_files=$(awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$work/contents" | sort)
missing=$(comm -23 <(echo "$expected_files" | grep . | sort) <(echo "$actual_files"))
extra=$(comm -13 <(echo "$expected_files" | grep . | sort) <(echo "$actual_files"))
[ -z "$missing" ] || fail "files missing from the package: ${missing//$'\n'/ }"
[ -z "$extra" ] || fail "files in the package that should not be: ${extra//$'\n'/ }"
awk '{ print $6 }' "$work/contents" | grep -Ev '^\./(usr/?|usr/.*)?$' &&
  fail "paths outside /usr in the package (above)"

dpkg-deb -x "$deb" "$work/root"
for f in usr/bin/chasefs usr/bin/chasectl usr/bin/chase-mkindex; do
  readelf -h "$work/root/$f" >/dev/null 2>&1 || fail "$f is not an ELF file"
  if readelf -d "$work/root/$f" | grep -E 'RPATH|RUNPATH'; then
    fail "$f carries an RPATH/RUNPATH (above)"
  fi
done
say "contents and control fields as expected"

# --- 3. Install ------------------------------------------------------------
say "apt-get install $(basename "$deb")"
installed=1
if ! (cd "$work/pkg" && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q "./$(basename "$deb")" </dev/null >"$work/install.log" 2>&1); then
  tail -30 "$work/install.log" >&2
  fail "apt-get install failed"
fi
[ "$(dpkg-query -W -f '${Status}' chasefs)" = "install ok installed" ] ||
  fail "dpkg says: $(dpkg-query -W -f '${Status}' chasefs)"
for f in $expected_files; do [ -f "$f" ] || fail "$f not installed"; done

# From here on only the installed files: no build directory on PATH, no
# library path.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset LD_LIBRARY_PATH LD_PRELOAD
for b in chasefs chasectl chase-mkindex; do
  [ "$(command -v "$b")" = "/usr/bin/$b" ] || fail "$b resolves to '$(command -v "$b")', not /usr/bin/$b"
  out=$("/usr/bin/$b" --version 2>&1) || fail "/usr/bin/$b --version failed: $out"
  case "$out" in "$b $version"*) ;; *) fail "/usr/bin/$b --version printed '$out', not '$b $version ...'" ;; esac
done
say "--version: $(/usr/bin/chasefs --version)"

# --- 4. Mount through the installed files ----------------------------------
printf '1\tone\n42\tforty-two\n7000\tseven thousand\n' >"$work/users.tsv"
/usr/bin/chase-mkindex --tsv "$work/users.tsv" "$src/users.db" >/dev/null ||
  fail "/usr/bin/chase-mkindex --tsv failed"
echo "an ordinary file passes through" >"$src/plain.txt"

# A mount must be chasefs, served by /usr/bin/chasefs, answer a lookup, a
# missing key, an aggregate and an ordinary file; then unmount cleanly.
check_mount() {
  local m=$1 how=$2 t got pids exe engine
  t=$(findmnt -n -o FSTYPE --mountpoint "$m") || fail "$how: nothing mounted on $m"
  [ "$t" = fuse.chasefs ] || fail "$how: $m is of type '$t', not fuse.chasefs"
  pids=$(our_daemons)
  [ -n "$pids" ] || fail "$how: no chasefs daemon found for $m"
  for p in $pids; do
    exe=$(readlink "/proc/$p/exe")
    [ "$exe" = /usr/bin/chasefs ] || fail "$how: the daemon is $exe, not the installed /usr/bin/chasefs"
  done
  got=$(cat "$m/users.db@42") || fail "$how: cat $m/users.db@42 failed"
  [ "$got" = forty-two ] || fail "$how: users.db@42 is '$got', not 'forty-two'"
  got=$(cat "$m/users.db@7000") || fail "$how: cat $m/users.db@7000 failed"
  [ "$got" = "seven thousand" ] || fail "$how: users.db@7000 is '$got', not 'seven thousand'"
  [ ! -e "$m/users.db@43" ] || fail "$how: users.db@43 (an absent key) exists"
  got=$(cat "$m/users.db@count:..") || fail "$how: cat $m/users.db@count:.. failed"
  [ "$got" = 3 ] || fail "$how: users.db@count:.. is '$got', not 3"
  cmp -s "$src/plain.txt" "$m/plain.txt" || fail "$how: $m/plain.txt differs from the source"
  engine=$(getfattr -n user.chase.engine --only-values "$m/users.db" 2>/dev/null) ||
    fail "$how: no user.chase.engine on $m/users.db"
  umount "$m" || fail "$how: umount $m failed"
  daemons_gone || fail "$how: the daemon did not exit after umount"
  say "$how: answers right (engine $engine), unmounted"
}

mount -t fuse.chasefs "$src" "${mnts[0]}" || fail "mount -t fuse.chasefs $src ${mnts[0]} failed"
check_mount "${mnts[0]}" "mount -t fuse.chasefs"

mount -t chasefs "$src" "${mnts[0]}" || fail "mount -t chasefs $src ${mnts[0]} failed"
check_mount "${mnts[0]}" "mount -t chasefs (mount.chasefs)"

# /etc/fstab lines of both types; the file is put back byte for byte now and,
# whatever happens, by cleanup().
if [ -e /etc/fstab ]; then
  fstab_existed=1
  cp -p /etc/fstab "$work/fstab.orig"
fi
fstab_saved=1
{
  echo "# chasefs tests/package/package_test.sh, removed when it ends"
  echo "$src ${mnts[1]} fuse.chasefs noauto,nofail 0 0"
  echo "$src ${mnts[2]} chasefs noauto 0 0"
} >>/etc/fstab
mount "${mnts[1]}" || fail "mount ${mnts[1]} (fstab type fuse.chasefs) failed"
check_mount "${mnts[1]}" "fstab fuse.chasefs"
mount "${mnts[2]}" || fail "mount ${mnts[2]} (fstab type chasefs) failed"
check_mount "${mnts[2]}" "fstab chasefs"
if [ "$fstab_existed" = 1 ]; then
  cat "$work/fstab.orig" >/etc/fstab
  cmp -s "$work/fstab.orig" /etc/fstab || fail "/etc/fstab not restored"
else
  rm -f /etc/fstab
fi
fstab_saved=0

# The installed programs must need nothing from the build or source tree
# (the built-in storage functions are compiled into them): in a mount
# namespace of its own, with both trees hidden under empty tmpfs, a lookup
# in-process on every engine this machine runs, and one through a mount.
say "with $build and $top hidden"
# shellcheck disable=SC2016 # the script's variables are its own arguments
hidden_out=$(unshare --mount --propagation private /bin/sh -eu -c '
  build=$1 top=$2 src=$3 m=$4
  trap "umount -l \"\$m\" 2>/dev/null || true" EXIT
  mount -t tmpfs -o size=1m,mode=0755 hidden "$build"
  [ "$build" = "$top" ] || mount -t tmpfs -o size=1m,mode=0755 hidden "$top"
  [ -z "$(ls -A "$build")" ] || { echo "$build still visible"; exit 1; }
  engines=$(/usr/bin/chasectl engines)
  [ -n "$engines" ] || { echo "chasectl engines: none"; exit 1; }
  for e in $engines; do
    v=$(/usr/bin/chasectl --engine "$e" get "$src/users.db" 42)
    [ "$v" = forty-two ] || { echo "chasectl --engine $e get: \"$v\""; exit 1; }
    echo "chasectl --engine $e: ok"
  done
  mount -t fuse.chasefs "$src" "$m"
  v=$(cat "$m/users.db@42")
  [ "$v" = forty-two ] || { echo "mounted users.db@42: \"$v\""; exit 1; }
  engine=$(getfattr -n user.chase.engine --only-values "$m/users.db" 2>/dev/null)
  echo "mount: ok, engine $engine"
  umount "$m"
' sh "$build" "$top" "$src" "${mnts[0]}" 2>&1) || {
  echo "$hidden_out" >&2
  fail "the installed programs failed with the build and source trees hidden"
}
while IFS= read -r line; do say "  $line"; done <<<"$hidden_out"
daemons_gone || fail "a daemon outlived the hidden-tree mount"

# --- 5. Purge ---------------------------------------------------------------
say "apt-get purge chasefs"
if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -q chasefs </dev/null >"$work/purge.log" 2>&1; then
  tail -30 "$work/purge.log" >&2
  fail "apt-get purge failed"
fi
installed=0
dpkg-query -W -f '${Status}' chasefs 2>/dev/null | grep -q installed && fail "chasefs still installed after purge"
for f in $expected_files /usr/share/doc/chasefs; do
  [ ! -e "$f" ] || fail "$f still there after purge"
done

say "passed in $(($(date +%s) - start)) s"
