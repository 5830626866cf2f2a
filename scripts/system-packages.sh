#!/usr/bin/env bash
# The one list of Debian packages confmix needs beyond npm.
#   build: what `npm install` needs to compile the addon
#   test:  what the test suite drives (real peers, speech, the browser, Redis and network
#          namespaces for the cluster) and the C++ unit tests need, and wrk, the HTTP
#          benchmark's load tool
#   fuzz:  clang with libFuzzer and the sanitizers, for `npm run fuzz` (CI runs it)
#   mediasoup: what scripts/mediasoup-worker/build.sh builds mediasoup's worker with (the tests' SFU)
# Usage: system-packages.sh list|missing|install [build|test|fuzz|mediasoup|all]
set -euo pipefail

BUILD_PACKAGES=(pkg-config libopus-dev libopusenc-dev libspeexdsp-dev)
TEST_PACKAGES=(ffmpeg espeak-ng chromium libgtest-dev redis-server iproute2 wrk)
FUZZ_PACKAGES=(clang libclang-rt-dev cmake)
MEDIASOUP_PACKAGES=(python3-venv libssl-dev libuv1-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler libsrtp2-dev)

action="${1:-list}"
set_name="${2:-all}"
case "$set_name" in
  build) packages=("${BUILD_PACKAGES[@]}") ;;
  test) packages=("${TEST_PACKAGES[@]}") ;;
  fuzz) packages=("${FUZZ_PACKAGES[@]}") ;;
  mediasoup) packages=("${MEDIASOUP_PACKAGES[@]}") ;;
  all) packages=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}" "${MEDIASOUP_PACKAGES[@]}") ;;
  *) echo "system-packages: unknown set '$set_name' (build, test, fuzz, mediasoup or all)" >&2; exit 2 ;;
esac

missing() {
  local p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$p"
    fi
  done
}

case "$action" in
  list) printf '%s\n' "${packages[@]}" ;;
  missing) missing ;;
  install)
    mapfile -t todo < <(missing)
    if [ "${#todo[@]}" -eq 0 ]; then exit 0; fi
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
      echo "confmix needs these system packages: sudo apt-get install -y ${todo[*]}" >&2
      exit 1
    fi
    echo "confmix: installing system packages: ${todo[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${todo[@]}" >/dev/null
    ;;
  *) echo "system-packages: unknown action '$action' (list, missing or install)" >&2; exit 2 ;;
esac
