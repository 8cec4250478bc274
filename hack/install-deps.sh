#!/usr/bin/env bash
# Installs every Debian package that building, testing and running berth needs.
# Idempotent: when everything is present it only checks (a few hundred ms) and exits.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config git
  clang-format  # hack/check-format.sh, run as the unit test clang_format_check
  systemd  # systemd-analyze verify of config/berthd.{service,socket} (unit test systemd_units_verify)
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  libboost-dev libboost-system-dev
  libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev libseccomp-dev
  zlib1g-dev  # SPDY/3.1 header compression (pkg/streaming)
  libgtest-dev libgmock-dev
  prometheus-cpp-dev  # the metrics endpoint (pkg/metrics): registry, text format, HTTP exposer
  # runtime: OCI runtime, monitor, networking, helpers the daemon shells out to
  runc conmon containernetworking-plugins iptables iproute2 util-linux procps
  # gVisor, the runtime for untrusted pods (config/berth.yaml.d/50-runsc.yaml)
  runsc
  # tests: a local registry, test images from busybox, htpasswd for Basic auth
  docker-registry busybox-static apache2-utils curl jq python3 zstd
  # promtool checks berthd's /metrics exposition (test/integration/metrics)
  prometheus
  # conformance: critest's images are built offline (../shared/tools/critest-images/build.sh)
  skopeo umoci gcc libc6-dev
  # Windows platform module: cross compiler and wine to run its tests;
  # dpkg-dev unpacks the Debian sources hack/mingw-deps.sh cross-builds
  g++-mingw-w64-x86-64-posix wine64 dpkg-dev
  libz-mingw-w64-dev  # zlib for the Windows build of pkg/streaming (SPDY header compression)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# docker-registry's package starts a service on :5000, prometheus's on :9090 (the
# example metrics.address); tests run their own registries and need only promtool.
for service in docker-registry prometheus; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q "$service" 2>/dev/null; then
    systemctl stop "$service" || true
    systemctl disable "$service" >/dev/null 2>&1 || true
  fi
done
