#!/usr/bin/env bash
# `npm run test:sanitize`: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
# beside the normal one (build-sanitize/), then runs the unit and engine tests and the integration
# tests of the media thread, shards, sockets and engine life cycle with the sanitizer runtimes
# preloaded into Node. Any report fails the run: every report is written under
# build-sanitize/reports/, which must stay empty, and ASan aborts the process.
#
# Left out: the integration tests that judge audio levels heard over real sockets in real time,
# and speech (espeak-ng, a child process, would run under the preloaded runtime too). Under ASan
# a tick costs several times more, so on a shared machine those miss packets and fail for time,
# not for memory; the same code paths run here through the unit tests' simulated time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-sanitize
reports="$PWD/$out/reports"
node node_modules/cmake-js/bin/cmake-js compile --out "$out" --CDCONFMIX_SANITIZE=ON
# The C++ unit tests too (the recorder's ring and writer threads among them), instrumented alike.
node node_modules/cmake-js/bin/cmake-js build --out "$out" --target confmix_core_tests
rm -rf "$reports" && mkdir -p "$reports"

# The runtimes of the compiler that built the addon, loaded before Node's own code.
preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
# Node itself is not instrumented: its own allocations at exit are not ours to report (no leak
# check), and V8 reserves address space ASan must not take over.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allow_user_segv_handler=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export CONFMIX_ADDON="$PWD/$out/Release/confmix.node"
status=0
ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=0/detect_leaks=1}" "$out/confmix_core_tests" --gtest_brief=1 || status=$?
integration=(media-thread shard-rtcp udp-relay udp-load-generator engine-shards engine-lifecycle engine-joins engine-hardening)
LD_PRELOAD="$preload" npx vitest run test/unit test/engine "${integration[@]/#/test/integration/}" \
  --exclude test/unit/player-speech.test.ts --exclude test/engine/audio.test.ts "$@" || status=$?
if compgen -G "$reports/*" > /dev/null; then
  echo "test:sanitize: sanitizer reports:" >&2
  cat "$reports"/* >&2
  status=1
fi
exit "$status"
