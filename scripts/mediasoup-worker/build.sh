#!/usr/bin/env bash
# Builds the installed mediasoup package's worker from source against Debian's libraries, caches
# it by mediasoup version, and links it where mediasoup looks for its worker
# (worker/out/Release/mediasoup-worker). A cached version links in seconds. Prints the binary's path.
#   MEDIASOUP_WORKER_CACHE  cache folder (default ~/.cache/confmix/mediasoup-worker)
#   MESON_VERSION, NINJA_VERSION  the build tools pip installs beside the cache
# Debian packages: scripts/system-packages.sh's "mediasoup" set.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
package_dir="$(cd "$root" && node -p 'require("path").resolve(require.resolve("mediasoup"), "../../..")' 2>/dev/null)" || {
  echo "mediasoup-worker: the mediasoup package is not installed (npm install mediasoup)" >&2
  exit 1
}
version="$(node -p "require('$package_dir/package.json').version")"
cache_root="${MEDIASOUP_WORKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/confmix/mediasoup-worker}"
cache_dir="$cache_root/$version"
binary="$cache_dir/mediasoup-worker"
mkdir -p "$cache_root"

link_into_package() {
  mkdir -p "$package_dir/worker/out/Release"
  ln -sfn "$binary" "$package_dir/worker/out/Release/mediasoup-worker"
  echo "$binary"
}

if [ -x "$binary" ]; then link_into_package; exit 0; fi

# One build per cache at a time; a second caller waits, then finds the binary.
exec 9>"$cache_root/.lock"
flock 9
if [ -x "$binary" ]; then link_into_package; exit 0; fi

# The worker's meson.build needs meson >= 1.1, newer than Debian's.
tools="$cache_root/tools"
if [ ! -x "$tools/bin/meson" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --retries 0 --timeout 10 "meson==${MESON_VERSION:-1.12.1}" "ninja==${NINJA_VERSION:-1.13.2}" >&2
fi

work="$cache_dir.build"
rm -rf "$work"
mkdir -p "$work"
cp -r "$package_dir/worker/." "$work/src"
# Each wrap is replaced by a folder of the wrap's own `directory =` name that declares the
# Debian library, so meson finds a subproject and never downloads one.
for wrap in openssl libuv libsrtp3 usrsctp abseil-cpp flatbuffers catch2; do
  dir="$work/src/subprojects/$(sed -n 's/^directory *= *//p' "$work/src/subprojects/$wrap.wrap")"
  mkdir -p "$dir"
  cp -r "$here/stand-ins/$wrap/." "$dir/"
  : >"$dir/empty.c"
done

export PATH="$tools/bin:$PATH"
echo "mediasoup-worker: building mediasoup $version's worker (several minutes)" >&2
nice -n 10 meson setup "$work/build" "$work/src" --buildtype=release -Db_ndebug=true \
  -Dms_disable_liburing=true --wrap-mode=nodownload >&2
# The generated flatbuffers headers first: nothing orders them before the sources that include them.
nice -n 10 ninja -C "$work/build" fbs/FBS >&2
nice -n 10 ninja -C "$work/build" mediasoup-worker >&2
mkdir -p "$cache_dir"
cp "$work/build/mediasoup-worker" "$binary.tmp"
strip "$binary.tmp" 2>/dev/null || true
mv "$binary.tmp" "$binary"
rm -rf "$work"
link_into_package
