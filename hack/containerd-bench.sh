#!/usr/bin/env bash
# A private containerd 1.6 (Debian's package) for hack/bench.sh --compare containerd:
# its own root, state, socket and config in <workdir>; the CRI plugin runs the
# io.containerd.runc.v2 shim over the same runc as berth, with cgroupfs, the same
# CNI plugins and a bridge network like bench.sh's berth one (its own bridge and
# subnet), the test registry as a plain-HTTP mirror and a pause image from it
# (hack/bench-images.sh pushes one made from berth-pause: there is no network).
#
#   hack/containerd-bench.sh start <workdir> <registry-host:port> <pause-image>
#       writes <workdir>/containerd.env (CONTAINERD_ENDPOINT, CONTAINERD_PID) and prints it
#   hack/containerd-bench.sh stop <workdir>
#       stops it and removes all it left: shims, mounts, netns, bridge, iptables rules, files
set -euo pipefail

usage() {
  echo "usage: $0 start <workdir> <registry-host:port> <pause-image> | stop <workdir>" >&2
  exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
work=$(mkdir -p "$2" && cd "$2" && pwd)
bridge=ctrdbench0
network=containerd-bench
subnet=10.252.0.0/16

# Debian's package, installed only for this mode. Its service must not run
# beside the private daemon: policy-rc.d keeps the install from starting it,
# and a running one is stopped.
install_containerd() {
  if ! command -v containerd >/dev/null || ! command -v containerd-shim-runc-v2 >/dev/null; then
    local guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      guard=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$guard"
      chmod 755 "$guard"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends containerd >&2 ||
      { [ -z "$guard" ] || rm -f "$guard"; return 1; }
    [ -z "$guard" ] || rm -f "$guard"
  fi
  if command -v systemctl >/dev/null && systemctl is-active --quiet containerd 2>/dev/null; then
    systemctl stop containerd
  fi
}

write_config() {  # registry pause-image
  mkdir -p "$work/cni" "$work/root" "$work/state" "$work/opt" "$work/runc"
  # The same network as hack/bench.sh gives berth, with a bridge and subnet of its own.
  bash "$(dirname "$0")/bench-conflist.sh" "$network" "$bridge" "$subnet" "$work/ipam" \
      >"$work/cni/10-$network.conflist"
  cat >"$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"

[grpc]
  address = "$work/containerd.sock"

[ttrpc]
  address = "$work/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$work/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$2"
  # This node has no CAP_SYS_RESOURCE: a container may not lower its OOM score below ours.
  restrict_oom_score_adj = true
  # Network namespaces under our state dir, so that stop finds every one left.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$work/cni"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "$(command -v runc)"
  Root = "$work/runc"
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".registry.mirrors."$1"]
  endpoint = ["http://$1"]
TOML
}

# Waits until the CRI plugin answers and, when upstream crictl is at hand,
# reports every condition (runtime and pod network) true.
wait_ready() {
  local crictl
  crictl=${BERTH_TOOLS:-$(realpath -m "$(dirname "$0")/../../shared/tools")}/crictl
  for _ in $(seq 200); do
    kill -0 "$(cat "$work/containerd.pid")" 2>/dev/null ||
      { echo "containerd-bench: containerd exited; log: $work/containerd.log" >&2; return 1; }
    if [ -S "$work/containerd.sock" ]; then
      [ -x "$crictl" ] || return 0
      "$crictl" --runtime-endpoint "unix://$work/containerd.sock" info -o json 2>/dev/null |
        python3 -c 'import json, sys
sys.exit(not all(c["status"] for c in json.load(sys.stdin)["status"]["conditions"]))' &&
        return 0
    fi
    sleep 0.1
  done
  echo "containerd-bench: containerd not ready after 20 s; log: $work/containerd.log" >&2
  return 1
}

start() {
  [ $# -eq 2 ] || usage
  install_containerd
  write_config "$1" "$2"
  containerd --config "$work/config.toml" --log-level warn >"$work/containerd.log" 2>&1 &
  echo $! >"$work/containerd.pid"
  wait_ready
  cat >"$work/containerd.env" <<ENV
CONTAINERD_ENDPOINT=unix://$work/containerd.sock
CONTAINERD_PID=$(cat "$work/containerd.pid")
ENV
  cat "$work/containerd.env"
}

stop() {
  local pid
  if [ -f "$work/containerd.pid" ]; then
    pid=$(cat "$work/containerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$work/containerd.pid"
  fi
  # Shims outlive containerd; ours are the ones given our socket. Killed, they
  # leave their sockets in /run/containerd/s, named in each task's address file.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $work/containerd.sock" || true); do
    kill -9 "$pid" 2>/dev/null || true
  done
  local address
  for address in "$work"/state/io.containerd.runtime.v2.task/*/*/address; do
    [ -f "$address" ] || continue
    rm -f "$(sed 's|^unix://||' "$address")"
  done
  rmdir /run/containerd/s /run/containerd 2>/dev/null || true  # only when nothing else uses them
  # Containers of a bench that failed half way, then the mounts beneath us
  # (rootfs overlays, shm, netns), deepest first.
  if [ -d "$work/runc" ]; then
    for id in $(runc --root "$work/runc" list -q 2>/dev/null || true); do
      runc --root "$work/runc" delete --force "$id" 2>/dev/null || true
    done
  fi
  awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
  # Rules the CNI plugins left that name our network or subnet.
  local table rule
  for table in nat filter mangle; do
    { iptables -t "$table" -S 2>/dev/null || true; } |
      { grep -E -- "^-A .*($network|${subnet%/*})" || true; } |
      while read -r rule; do eval "iptables -t $table ${rule/#-A/-D}" || true; done
  done
  rm -rf "$work"
}

case "$cmd" in
  start) shift 2; start "$@" ;;
  stop) stop ;;
  *) usage ;;
esac
