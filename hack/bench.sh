#!/usr/bin/env bash
# Builds an optimized tree and runs the benchmarks in test/bench/ against a
# berthd started in a temporary directory (or against BERTH_ENDPOINT if set).
# Images come from the local test registry (hack/test-registry.sh, images from
# hack/build-test-images.sh) unless BERTH_BENCH_REGISTRY names one that has them.
# BERTH_BENCHES="container_bench sandbox_bench" runs only those; arguments go to every bench.
#
#   hack/bench.sh --compare containerd [berth-bench args...]
# runs berth-bench against the private berthd and against a private containerd
# (hack/containerd-bench.sh; installs Debian's containerd if missing), one
# scenario at a time on each so that the machine's load drifts alike for both,
# and prints each figure side by side with the ratio berth/containerd. Pulls
# are of hack/bench-images.sh's ~100 MB 4-layer image unless --pull-image says.
# BERTH_BENCH_SCENARIOS="idle lifecycle pods pull list exec" (the default) picks scenarios.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BERTH_ROOT"

compare=""
if [ "${1:-}" = --compare ]; then
  [ "${2:-}" = containerd ] || { echo "usage: $0 [--compare containerd] [bench args...]" >&2; exit 2; }
  compare=containerd
  shift 2
  BERTH_BENCHES=berth-bench
fi

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
  bash hack/bench-conflist.sh berth-bench berthbench0 10.251.0.0/16 "$tmp/ipam" \
      >"$tmp/cni/10-bench.conflist"
  cleanups+=("ip link del berthbench0 2>/dev/null")
  "$build/cmd/berthd/berthd" --config "$tmp/berth.yaml" &
  berthd_pid=$!
  # berthd leaves the pinned-namespace directory bind-mounted on itself.
  cleanups+=("umount '$tmp/run/ns' 2>/dev/null; rm -rf '$tmp'"
             "kill $berthd_pid 2>/dev/null; wait $berthd_pid 2>/dev/null")
  export BERTH_ENDPOINT="unix://$tmp/run/berth.sock"
  export BERTH_PID=$berthd_pid  # for the benches' RSS figures
fi

# compare_side_by_side <berth.tsv> <containerd.tsv>: each figure of berth's run
# beside containerd's, by key, with the ratio (below 1: berth is faster/smaller).
compare_side_by_side() {
  printf '%-60s %10s %10s %7s %s\n' figure berth containerd ratio unit
  awk -F'\t' 'NR == FNR { other[$1] = $2; next }
    {
      ratio = ($1 in other && other[$1] > 0) ? sprintf("%.2f", $2 / other[$1]) : "-"
      theirs = ($1 in other) ? sprintf("%.2f", other[$1]) : "-"
      printf "%-60s %10.2f %10s %7s %s\n", $1, $2, theirs, ratio, $3
    }' "$2" "$1"
}

if [ -n "$compare" ]; then
  ctrd=$(mktemp -d /tmp/berth-bench-containerd-XXXXXX)
  cleanups+=("bash hack/containerd-bench.sh stop '$ctrd'")
  bench_images=$(bash hack/bench-images.sh "$BERTH_BENCH_REGISTRY" \
      "$build/cmd/berth-pause/berth-pause" "$build/bench-images")
  pause_image=$(sed -n 's/^PAUSE_IMAGE=//p' <<<"$bench_images")
  layered_image=$(sed -n 's/^LAYERED_IMAGE=//p' <<<"$bench_images")
  bash hack/containerd-bench.sh start "$ctrd" "$BERTH_BENCH_REGISTRY" "$pause_image" >/dev/null
  containerd_env=$(cat "$ctrd/containerd.env")
  containerd_endpoint=$(sed -n 's/^CONTAINERD_ENDPOINT=//p' <<<"$containerd_env")
  containerd_pid=$(sed -n 's/^CONTAINERD_PID=//p' <<<"$containerd_env")
  results=$(mktemp -d /tmp/berth-bench-results-XXXXXX)
  cleanups+=("rm -rf '$results'")
  # bench_on <name> <endpoint> <daemon pid> <monitor> <scenario> [args...]: appends to <name>.tsv
  bench_on() {
    local name=$1 endpoint=$2 pid=$3 monitor=$4 scenario=$5
    shift 5
    echo "== $scenario: $name ($endpoint)"
    "$build/test/bench/berth-bench" --endpoint "$endpoint" --pid "$pid" --monitor "$monitor" \
        --scenarios "$scenario" --results "$results/part" "$@" --pull-image "$layered_image"
    cat "$results/part" >>"$results/$name.tsv"
  }
  for scenario in ${BERTH_BENCH_SCENARIOS:-idle lifecycle pods pull list exec}; do
    bench_on berth "$BERTH_ENDPOINT" "${BERTH_PID:-}" conmon "$scenario" "$@"
    bench_on containerd "$containerd_endpoint" "$containerd_pid" containerd-shim-runc-v2 \
        "$scenario" "$@"
  done
  echo "== berth vs containerd $(containerd --version | awk '{print $3}') (ratio = berth/containerd)"
  compare_side_by_side "$results/berth.tsv" "$results/containerd.tsv"
  exit 0
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
