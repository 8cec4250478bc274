#!/usr/bin/env bash
# Prints the pod network hack/bench.sh gives each runtime it benches, so that
# berth and containerd get the same one: the bridge plugin (gateway, no
# masquerade, host-local IPAM with its own store) and portmap.
#
#   hack/bench-conflist.sh <network-name> <bridge> <subnet> <ipam-dir>
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 <network-name> <bridge> <subnet> <ipam-dir>" >&2; exit 2; }
cat <<JSON
{"cniVersion": "1.0.0", "name": "$1", "plugins": [
  {"type": "bridge", "bridge": "$2", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$4",
            "ranges": [[{"subnet": "$3"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
