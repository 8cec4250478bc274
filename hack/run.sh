#!/usr/bin/env bash
# Installs what is missing, builds an optimized berthd and runs it in the
# foreground with the default config (/etc/berth/berth.yaml, installed from
# config/berth.yaml when absent). A first-time node also gets berth's default
# pod network, like CRI-O's and containerd's packages ship one.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cni-default-network.sh"
cd "$BERTH_ROOT"

bash hack/install-deps.sh
build=build/release
berth_build "$build" -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF

if [ ! -e /etc/berth/berth.yaml ]; then
  install -D -m 0644 config/berth.yaml /etc/berth/berth.yaml
  echo "run.sh: installed default config /etc/berth/berth.yaml"
  # Untrusted pods run under gVisor where it is installed (see the drop-in).
  if [ -x /usr/bin/runsc ]; then
    install -D -m 0644 config/berth.yaml.d/50-runsc.yaml /etc/berth/berth.yaml.d/50-runsc.yaml
    echo "run.sh: installed /etc/berth/berth.yaml.d/50-runsc.yaml (untrusted_runtime: runsc)"
  fi
fi
conf_dir=$("$build/cmd/berthd/berthd" config | sed -n 's/^  conf_dir: //p')
conf_dir=${conf_dir:-/etc/cni/net.d}
berth_install_default_network "$conf_dir" config/10-berth-bridge.conflist
install -D -m 0755 "$build/cmd/berth-pause/berth-pause" /usr/local/libexec/berth/berth-pause
install -D -m 0755 "$build/cmd/berthd/berth-gvisor-shim" /usr/local/libexec/berth/berth-gvisor-shim
exec "$build/cmd/berthd/berthd" "$@"
