#!/usr/bin/env bash
# Builds the installed mediasoup package's worker from source against Debian's libraries, caches
# it by mediasoup version and build recipe, and links it where mediasoup looks for its worker
# (worker/out/Release/mediasoup-worker). A cached build links in seconds. Prints the binary's path.
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
# The recipe (this script, the stand-ins, the source edits) names the build too, so a changed
# recipe builds afresh instead of reusing a worker built the old way.
recipe="$(cd "$here" && find build.sh stand-ins -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)"
cache_dir="$cache_root/$version-$recipe"
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

# Two edits of the worker's sources, each required to apply exactly once:
edit_source() { # file, the text, its replacement, why
  local file="$work/src/$1"
  if [ "$(grep -cF -- "$2" "$file")" != 1 ]; then
    echo "mediasoup-worker: mediasoup $version's $1 no longer reads as expected ($4); update build.sh" >&2
    exit 1
  fi
  FROM="$2" TO="$3" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$file"
}
# 1. Debian's OpenSSL is built with kernel TLS. The DTLS transport's BIO callback answers 1 to the
#    return of every operation but a write, so libssl reads "kernel TLS sends" from the memory BIO,
#    allocates no write buffer and the first handshake record is written through a null pointer
#    (SIGSEGV under SSL_read). After any operation the callback must pass the BIO's own result on.
edit_source src/RTC/DtlsTransport.cpp '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1' \
  '((operationType & BIO_CB_RETURN) != 0) ? static_cast<long>(ret) : 1' 'the DTLS BIO callback'
# 2. Consumers forward the complementary codecs they negotiated (RFC 4733 telephone-event, comfort
#    noise) besides the media codec, so a producer's DTMF reaches its consumers.
edit_source src/RTC/Consumer.cpp 'if (codec.mimeType.IsMediaCodec())' \
  'if (codec.mimeType.IsMediaCodec() || codec.mimeType.IsComplementaryCodec())' "the consumers' codec filter"

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
