#!/usr/bin/env bash
# Pushes the images hack/bench.sh --compare needs beyond hack/build-test-images.sh's:
#   berth-bench/pause:latest    berth-pause as /pause, the Entrypoint: the sandbox image
#                               of the private containerd (no network to pull one)
#   berth-bench/layered:latest  ~100 MB in 4 layers (busybox + 3 x 33 MB of
#                               incompressible data), so that a pull fetches and
#                               unpacks several layers, as a real image makes it
#
#   hack/bench-images.sh <registry-host:port> <berth-pause binary> <workdir>
# Prints PAUSE_IMAGE=... and LAYERED_IMAGE=...; layers are built once per workdir.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 <registry-host:port> <berth-pause> <workdir>" >&2; exit 2; }
reg=$1 pause=$2
work=$(mkdir -p "$3" && cd "$3" && pwd)
mkdir -p "$work/blobs"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

# blob <file>: stores it under blobs/ by digest; prints "sha256:<hex> <size>".
blob() {
  local digest
  digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$work/blobs/${digest#sha256:}"
  echo "$digest $(stat -c %s "$1")"
}

# layer <name> <dir>: a deterministic gzip layer of <dir>, once per workdir;
# prints "sha256:<digest> <size> sha256:<diff-id>".
layer() {
  local spec=$work/$1.layer tar=$work/$1.tar
  if [ ! -s "$spec" ]; then
    tar -C "$2" --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -cf "$tar" .
    local diffid
    diffid=sha256:$(sha256sum "$tar" | cut -d' ' -f1)
    gzip -n -1 -c "$tar" >"$tar.gz"
    echo "$(blob "$tar.gz") $diffid" >"$spec"
    rm -f "$tar" "$tar.gz"
  fi
  cat "$spec"
}

# push_blob <repo> <digest>: monolithic upload unless the registry has it.
push_blob() {
  local repo=$1 digest=$2 loc
  [ "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$reg/v2/$repo/blobs/$digest")" = 200 ] &&
    return 0
  loc=$(curl -sfS -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" |
        awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
  [ -n "$loc" ] || { echo "bench-images: no upload location for $repo" >&2; return 1; }
  case "$loc" in /*) loc="http://$reg$loc" ;; esac
  case "$loc" in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
  curl -sfS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
      -T "$work/blobs/${digest#sha256:}" "$loc"
}

# image <repo> <config-json-without-rootfs> <layer specs...>: pushes <repo>:latest.
image() {
  local repo=$1 config=$2 layers="" diffids="" spec d s i
  shift 2
  for spec in "$@"; do
    read -r d s i <<<"$spec"
    push_blob "$repo" "$d"
    layers+="${layers:+,}{\"mediaType\":\"$OCI_LAYER\",\"digest\":\"$d\",\"size\":$s}"
    diffids+="${diffids:+,}\"$i\""
  done
  printf '%s,"rootfs":{"type":"layers","diff_ids":[%s]}}' "${config%\}}" "$diffids" \
      >"$work/config.json"
  read -r d s <<<"$(blob "$work/config.json")"
  push_blob "$repo" "$d"
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
      "$OCI_MANIFEST" "$d" "$s" "$layers" >"$work/manifest.json"
  curl -sfS -o /dev/null -X PUT -H "Content-Type: $OCI_MANIFEST" \
      --data-binary "@$work/manifest.json" "http://$reg/v2/$repo/manifests/latest"
}

rootfs=$work/rootfs
rm -rf "$rootfs"

# 1. The pause image.
mkdir -p "$rootfs/pause"
cp "$pause" "$rootfs/pause/pause"
image berth-bench/pause '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]}}' \
    "$(layer pause "$rootfs/pause")"

# 2. ~100 MB in 4 layers. The data is an AES-CTR keystream (reproducible,
# incompressible), a different key per layer so that no two layers share a digest.
mkdir -p "$rootfs/busybox/bin"
cp "${BUSYBOX:-/bin/busybox}" "$rootfs/busybox/bin/busybox"
ln -s busybox "$rootfs/busybox/bin/sh"
specs=("$(layer busybox "$rootfs/busybox")")
for n in 1 2 3; do
  if [ ! -s "$work/data$n.layer" ]; then
    mkdir -p "$rootfs/data$n/data"
    # head closes the pipe early by design: openssl's SIGPIPE is not a failure.
    { openssl enc -aes-128-ctr -nosalt -K "0011223344556677${n}899aabbccddeeff" -iv 0 \
        -in /dev/zero 2>/dev/null || true; } | head -c 33000000 >"$rootfs/data$n/data/part$n.bin"
  fi
  specs+=("$(layer "data$n" "$rootfs/data$n")")
done
image berth-bench/layered \
    '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]}}' "${specs[@]}"

rm -rf "$rootfs" "$work/config.json" "$work/manifest.json"
echo "PAUSE_IMAGE=$reg/berth-bench/pause:latest"
echo "LAYERED_IMAGE=$reg/berth-bench/layered:latest"
