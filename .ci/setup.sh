#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready for chasefs and builds it into
# build/: the Debian packages named in .ci/packages.txt (apt-get update
# first, only if something is missing), then CMake with -j2.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
missing=()
while read -r pkg; do
  [ -z "$pkg" ] || [ "${pkg#\#}" != "$pkg" ] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < .ci/packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
