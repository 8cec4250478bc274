#!/usr/bin/env bash
# Builds an optimized tree and runs the benchmarks in test/bench/ against a
# berthd started in a temporary directory (or against BERTH_ENDPOINT if set).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

bash hack/install-deps.sh
build=build/bench
berth_build "$build" -DCMAKE_BUILD_TYPE=Release

# Unless told where, bench a private berthd in a temporary directory.
if [ -z "${BERTH_ENDPOINT:-}" ]; then
  tmp=$(mktemp -d /tmp/berth-bench-XXXXXX)
  cat >"$tmp/berth.yaml" <<YAML
root: $tmp/root
runroot: $tmp/run
listen: $tmp/run/berth.sock
shutdown_file: $tmp/root/berth.shutdown
log_level: warn
YAML
  "$build/cmd/berthd/berthd" --config "$tmp/berth.yaml" &
  berthd_pid=$!
  trap 'kill $berthd_pid 2>/dev/null; wait $berthd_pid 2>/dev/null; rm -rf "$tmp"' EXIT
  export BERTH_ENDPOINT="unix://$tmp/run/berth.sock"
fi

for bench in "$build"/test/bench/*_bench; do
  [ -x "$bench" ] || continue
  echo "== $(basename "$bench")"
  "$bench" "$@"
done
