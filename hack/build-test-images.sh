#!/usr/bin/env bash
# Builds the test images from Debian's busybox-static and pushes them to a
# registry over its HTTP API (monolithic blob upload, manifest PUT):
#   berth-test/busybox:latest     one layer: /bin/busybox + applet symlinks, /etc/passwd
#                                 (root, app uid 1002), /etc/group (app also in staff, gid 50); Cmd ["/bin/sh"]
#   berth-test/multilayer:latest  busybox + a layer with files, a hard link and a symlink
#                                 + a layer with a whiteout (.wh.b.txt) and an opaque dir
#   berth-test/zstd:latest        busybox with its layer compressed with zstd (if zstd exists)
#   berth-test/multiarch:latest   OCI index: linux/amd64 and linux/arm64/v8
#   berth-test/big:latest         busybox + ~100 MB of incompressible data
# Deterministic (fixed mtimes and owners, gzip -n, an AES-CTR keystream for the big
# layer); layers are built once per build dir and blobs already in the registry are
# not uploaded again, so a second run only pushes.
#
#   hack/build-test-images.sh <registry-host:port> [build-dir]
# Writes <build-dir>/images.env (IMAGE_<NAME>_DIGEST=...) and prints it.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 <registry-host:port> [build-dir]" >&2; exit 2; }
reg=$1
out=$(mkdir -p "${2:-${TMPDIR:-/tmp}/berth-test-images}" && cd "${2:-${TMPDIR:-/tmp}/berth-test-images}" && pwd)
blobs=$out/blobs
mkdir -p "$blobs"
BUSYBOX=${BUSYBOX:-/bin/busybox}

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# make_layer <rootfs-dir> <gzip|zstd> -> sets LAYER_DIGEST LAYER_SIZE LAYER_DIFFID LAYER_TYPE
make_layer() {
  local dir=$1 comp=$2 tarf
  tarf=$(mktemp "$out/layer.XXXXXX")
  tar -C "$dir" --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
      -cf "$tarf" .
  LAYER_DIFFID=sha256:$(sha "$tarf")
  if [ "$comp" = zstd ]; then
    zstd -q -3 -f -o "$tarf.c" "$tarf"
    LAYER_TYPE=application/vnd.oci.image.layer.v1.tar+zstd
  else
    gzip -n -1 -c "$tarf" > "$tarf.c"
    LAYER_TYPE=application/vnd.oci.image.layer.v1.tar+gzip
  fi
  rm -f "$tarf"
  LAYER_DIGEST=sha256:$(sha "$tarf.c")
  LAYER_SIZE=$(size "$tarf.c")
  mv "$tarf.c" "$blobs/${LAYER_DIGEST#sha256:}"
}

# put_blob_file <content-file> -> sets BLOB_DIGEST BLOB_SIZE (stores it under blobs/)
put_blob_file() {
  BLOB_DIGEST=sha256:$(sha "$1")
  BLOB_SIZE=$(size "$1")
  cp "$1" "$blobs/${BLOB_DIGEST#sha256:}"
}

# cached_layer <name> <builder-function> <gzip|zstd>: builds a layer once per build dir
# (the spec is kept in <name>.layer); sets LAYER_SPEC "digest size diffid type".
cached_layer() {
  local name=$1 builder=$2 comp=$3 spec=$out/$1.layer
  if [ -s "$spec" ] && [ -s "$blobs/$(cut -d' ' -f1 "$spec" | sed 's/^sha256://')" ]; then
    LAYER_SPEC=$(cat "$spec")
    return 0
  fi
  local dir=$root/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  "$builder" "$dir"
  make_layer "$dir" "$comp"
  LAYER_SPEC="$LAYER_DIGEST $LAYER_SIZE $LAYER_DIFFID $LAYER_TYPE"
  echo "$LAYER_SPEC" > "$spec"
  rm -rf "$dir"
}

push_blob() {  # repo digest
  local repo=$1 digest=$2 file=$blobs/${2#sha256:} code loc
  code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$reg/v2/$repo/blobs/$digest")
  [ "$code" = 200 ] && return 0
  loc=$(curl -sfS -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" |
        awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
  [ -n "$loc" ] || { echo "build-test-images: no upload location for $repo" >&2; return 1; }
  case "$loc" in /*) loc="http://$reg$loc" ;; esac
  case "$loc" in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
  curl -sfS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' -T "$file" "$loc"
}

push_manifest() {  # repo reference file media-type
  curl -sfS -o /dev/null -X PUT -H "Content-Type: $4" --data-binary "@$3" \
      "http://$reg/v2/$1/manifests/$2"
}

# image <repo> <arch> <variant> <cmd-json> <layer specs "digest size diffid type"...>
# Pushes config + layers + manifest by tag when TAG is set; sets MANIFEST_* for indexes.
image() {
  local repo=$1 arch=$2 variant=$3 cmd=$4; shift 4
  local diffids="" layers="" spec d s i t
  for spec in "$@"; do
    read -r d s i t <<< "$spec"
    diffids+="${diffids:+,}\"$i\""
    layers+="${layers:+,}{\"mediaType\":\"$t\",\"digest\":\"$d\",\"size\":$s}"
    push_blob "$repo" "$d"
  done
  local cfg=$out/config.json
  printf '{"architecture":"%s",%s"os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"WorkingDir":"/","Labels":{"org.berth.test":"%s"}},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
      "$arch" "${variant:+\"variant\":\"$variant\",}" "$cmd" "$repo" "$diffids" > "$cfg"
  put_blob_file "$cfg"
  push_blob "$repo" "$BLOB_DIGEST"
  local man=$out/manifest.json
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
      "$OCI_MANIFEST" "$OCI_CONFIG" "$BLOB_DIGEST" "$BLOB_SIZE" "$layers" > "$man"
  MANIFEST_DIGEST=sha256:$(sha "$man")
  MANIFEST_SIZE=$(size "$man")
  push_manifest "$repo" "${TAG:-$MANIFEST_DIGEST}" "$man" "$OCI_MANIFEST"
}

root=$out/rootfs

# Concurrent runs on one build dir (parallel test processes) take turns.
exec 9> "$out/.lock"
flock 9

# 1. busybox layer.
busybox_rootfs() {
  local bb=$1
  mkdir -p "$bb/bin" "$bb/etc" "$bb/tmp" "$bb/root" "$bb/home/app"
  chmod 1777 "$bb/tmp"
  cp "$BUSYBOX" "$bb/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1002:1002:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$bb/etc/passwd"
  printf 'root:x:0:\napp:x:1002:\nstaff:x:50:app\nnobody:x:65534:\n' > "$bb/etc/group"
}
cached_layer busybox busybox_rootfs gzip
BB=$LAYER_SPEC
TAG=latest image berth-test/busybox amd64 "" '["/bin/sh"]' "$BB"
BUSYBOX_DIGEST=$MANIFEST_DIGEST

# 2. multi-layer: files, a hard link and a symlink; then a whiteout and an opaque dir.
files_rootfs() {
  mkdir -p "$1/data" "$1/opaque"
  echo alpha > "$1/data/a.txt"
  echo bravo > "$1/data/b.txt"
  ln "$1/data/a.txt" "$1/data/hard"
  ln -s a.txt "$1/data/link"
  echo x > "$1/opaque/x"
  echo y > "$1/opaque/y"
}
whiteout_rootfs() {
  mkdir -p "$1/data" "$1/opaque"
  : > "$1/data/.wh.b.txt"
  : > "$1/opaque/.wh..wh..opq"
  echo zulu > "$1/opaque/z"
}
cached_layer files files_rootfs gzip
L2=$LAYER_SPEC
cached_layer whiteouts whiteout_rootfs gzip
L3=$LAYER_SPEC
TAG=latest image berth-test/multilayer amd64 "" '["/bin/sh"]' "$BB" "$L2" "$L3"
MULTILAYER_DIGEST=$MANIFEST_DIGEST

# 3. zstd.
ZSTD_DIGEST=""
if command -v zstd > /dev/null; then
  cached_layer busybox-zstd busybox_rootfs zstd
  TAG=latest image berth-test/zstd amd64 "" '["/bin/sh"]' "$LAYER_SPEC"
  ZSTD_DIGEST=$MANIFEST_DIGEST
fi

# 4. multi-arch index (the arm64 image reuses the amd64 busybox: a test, not a product).
TAG="" image berth-test/multiarch amd64 "" '["/bin/sh"]' "$BB"
amd_digest=$MANIFEST_DIGEST amd_size=$MANIFEST_SIZE
TAG="" image berth-test/multiarch arm64 v8 '["/bin/sh","-c","echo arm64"]' "$BB"
arm_digest=$MANIFEST_DIGEST arm_size=$MANIFEST_SIZE
idx=$out/index.json
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}]}' \
    "$OCI_INDEX" "$OCI_MANIFEST" "$arm_digest" "$arm_size" "$OCI_MANIFEST" "$amd_digest" "$amd_size" > "$idx"
push_manifest berth-test/multiarch latest "$idx" "$OCI_INDEX"
MULTIARCH_DIGEST=sha256:$(sha "$idx")
MULTIARCH_AMD64_DIGEST=$amd_digest
MULTIARCH_ARM64_DIGEST=$arm_digest

# 5. ~100 MB of incompressible (AES-CTR keystream, so reproducible) data.
big_rootfs() {
  mkdir -p "$1/data"
  # head closes the pipe early by design: openssl's SIGPIPE is not a failure.
  { openssl enc -aes-128-ctr -nosalt -K 00112233445566778899aabbccddeeff -iv 0 -in /dev/zero \
      2>/dev/null || true; } | head -c 100000000 > "$1/data/random.bin"
}
cached_layer big big_rootfs gzip
TAG=latest image berth-test/big amd64 "" '["/bin/sh"]' "$BB" "$LAYER_SPEC"
BIG_DIGEST=$MANIFEST_DIGEST

rm -rf "$root" "$out/config.json" "$out/manifest.json" "$out/index.json"
cat > "$out/images.env" <<ENV
IMAGE_BUSYBOX_DIGEST=$BUSYBOX_DIGEST
IMAGE_MULTILAYER_DIGEST=$MULTILAYER_DIGEST
IMAGE_ZSTD_DIGEST=$ZSTD_DIGEST
IMAGE_MULTIARCH_DIGEST=$MULTIARCH_DIGEST
IMAGE_MULTIARCH_AMD64_DIGEST=$MULTIARCH_AMD64_DIGEST
IMAGE_MULTIARCH_ARM64_DIGEST=$MULTIARCH_ARM64_DIGEST
IMAGE_BIG_DIGEST=$BIG_DIGEST
ENV
cat "$out/images.env"
