#!/usr/bin/env bash
# `npm run test:sanitize`: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
# beside the normal one (build-sanitize/), then runs the unit, engine and integration tests with
# the sanitizer runtimes preloaded into Node. Any report fails the run: UBSan and ASan abort the
# process, and every report is also written under build-sanitize/reports/, which must stay empty.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-sanitize
reports="$PWD/$out/reports"
node node_modules/cmake-js/bin/cmake-js compile --out "$out" --CDCONFMIX_SANITIZE=ON
rm -rf "$reports" && mkdir -p "$reports"

# The runtimes of the compiler that built the addon, loaded before Node's own code.
preload="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
# Node itself is not instrumented: its own allocations at exit are not ours to report (no leak
# check), and V8 reserves address space ASan must not take over.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allow_user_segv_handler=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export CONFMIX_ADDON="$PWD/$out/Release/confmix.node"
status=0
LD_PRELOAD="$preload" npx vitest run test/unit test/engine test/integration "$@" || status=$?
if compgen -G "$reports/*" > /dev/null; then
  echo "test:sanitize: sanitizer reports:" >&2
  cat "$reports"/* >&2
  status=1
fi
exit "$status"
