#!/usr/bin/env bash
# Builds an optimized tree and runs the benchmarks in test/bench/ against a
# berthd started in a temporary directory (or against BERTH_ENDPOINT if set).
# Images come from the local test registry (hack/test-registry.sh, images from
# hack/build-test-images.sh) unless BERTH_BENCH_REGISTRY names one that has them.
# BERTH_BENCHES="container_bench sandbox_bench" runs only those; arguments go to every bench.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

bash hack/install-deps.sh
build=build/bench
if [ -n "${BERTH_BENCHES:-}" ]; then
  # Only the named benches and the programs the daemon runs: a full Release
  # build of every test takes over 20 minutes on a 2-core node.
  cmake -S "$BERTH_ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  # shellcheck disable=SC2086  # BERTH_BENCHES is a space-separated list of targets
  ninja -C "$build" berthd berth-pause berth-gvisor-shim berth-port-relay $BERTH_BENCHES
else
  berth_build "$build" -DCMAKE_BUILD_TYPE=Release
fi

cleanups=()
cleanup() {
  local i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap cleanup EXIT

if [ -z "${BERTH_BENCH_REGISTRY:-}" ]; then
  regdir=$(mktemp -d /tmp/berth-bench-registry-XXXXXX)
  cleanups+=("rm -rf '$regdir'" "bash hack/test-registry.sh stop '$regdir' >/dev/null")
  bash hack/test-registry.sh start "$regdir" >/dev/null
  BERTH_BENCH_REGISTRY=$(sed -n 's/^OPEN_REGISTRY=//p' "$regdir/registry.env")
  bash hack/build-test-images.sh "$BERTH_BENCH_REGISTRY" "$build/test-images" >/dev/null
fi
export BERTH_BENCH_REGISTRY

# Unless told where, bench a private berthd in a temporary directory.
if [ -z "${BERTH_ENDPOINT:-}" ]; then
  tmp=$(mktemp -d /tmp/berth-bench-XXXXXX)
  cat >"$tmp/berth.yaml" <<YAML
root: $tmp/root
runroot: $tmp/run
listen: $tmp/run/berth.sock
shutdown_file: $tmp/root/berth.shutdown
log_level: warn
runtimes: {runc: {root: $tmp/run/runc}$([ ! -x /usr/bin/runsc ] || echo ", runsc: {path: /usr/bin/runsc, root: $tmp/run/runsc}")}
registries: {"$BERTH_BENCH_REGISTRY": {insecure: true}}
cni: {conf_dir: $tmp/cni}
YAML
  # A pod network of the bench's own (bridge, subnet and IP store), so it
  # never meets a berthd already running on the node.
  mkdir -p "$tmp/cni"
  cat >"$tmp/cni/10-bench.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "berth-bench", "plugins": [
  {"type": "bridge", "bridge": "berthbench0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$tmp/ipam",
            "ranges": [[{"subnet": "10.251.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
  cleanups+=("ip link del berthbench0 2>/dev/null")
  "$build/cmd/berthd/berthd" --config "$tmp/berth.yaml" &
  berthd_pid=$!
  # berthd leaves the pinned-namespace directory bind-mounted on itself.
  cleanups+=("umount '$tmp/run/ns' 2>/dev/null; rm -rf '$tmp'"
             "kill $berthd_pid 2>/dev/null; wait $berthd_pid 2>/dev/null")
  export BERTH_ENDPOINT="unix://$tmp/run/berth.sock"
  export BERTH_PID=$berthd_pid  # for the benches' RSS figures
fi

for bench in "$build"/test/bench/*_bench; do
  [ -x "$bench" ] || continue
  name=$(basename "$bench")
  if [ -n "${BERTH_BENCHES:-}" ] && [[ " $BERTH_BENCHES " != *" $name "* ]]; then continue; fi
  extra=()
  case "$name" in
    sandbox_bench)
      [ -n "${tmp:-}" ] && extra=(--by-hand-conflist "$tmp/cni/10-bench.conflist"
                                  --pause "$build/cmd/berth-pause/berth-pause")
      ;;
    streaming_bench)
      # Port-forward also through upstream crictl when it is at hand.
      crictl=${BERTH_TOOLS:-$(realpath -m "$BERTH_ROOT/../shared/tools")}/crictl
      [ -x "$crictl" ] && extra=(--crictl "$crictl")
      ;;
    image_pull_bench)
      extra=(--image "$BERTH_BENCH_REGISTRY/berth-test/big:latest")
      [ -n "${BERTH_PID:-}" ] && extra+=(--pid "$BERTH_PID")
      ;;
  esac
  echo "== $name"
  "$bench" "${extra[@]}" "$@"
done
