#!/usr/bin/env bash
# Installs what is missing, builds the whole tree with ASan+UBSan and runs every
# CTest test (unit, integration, compat, windows). Ends with ctest's summary.
# Integration tests need root (runc, mounts, netns): as another user they fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

bash hack/install-deps.sh
build=build/test
berth_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SANITIZE=ON

# Any sanitizer report fails the process that made it, and so its test.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$BERTH_ROOT/test/lsan.supp:print_suppressions=0"
cd "$build"
exec ctest --output-on-failure --timeout 600 -j2 "$@"
