#!/usr/bin/env bash
# Cross-builds, for mingw-w64, the libraries the daemon's non-gRPC code needs
# and Debian does not ship for Windows: protobuf's runtime (libprotobuf), yaml-cpp,
# fmt, spdlog, civetweb and prometheus-cpp (core and pull: the metrics endpoint
# is its Exposer); of libcurl and libarchive, which berth opens at run time
# (pkg/dynlib), only the headers. The sources are Debian's own source packages, at the versions
# of the host's installed -dev packages, fetched with `apt-get source` through a private deb-src list (the
# system's apt sources and lists stay untouched).
#
#   hack/mingw-deps.sh        builds what is missing; prints, one a line,
#                             NAME_DIR=<path> for test/windows's find_package
#
# Each package lands in its own prefix /var/cache/berth/mingw/<package>-<version>
# (outside the checkout: reused across runs and by a fresh clone's CI). A prefix
# counts only once its stamp file exists, written last, so an interrupted build
# is redone from scratch on the next run. Logs go to stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # BERTH_ROOT, CCACHE_DIR

cache="${BERTH_MINGW_CACHE:-/var/cache/berth/mingw}"
toolchain="$BERTH_ROOT/cmake/mingw-w64-x86_64.cmake"
stamp_name=.berth-complete
log() { echo "mingw-deps: $*" >&2; }

# The source versions of the host's own -dev packages (install-deps installs
# them): protobuf's generated code must match the host's protoc, which stays
# the generator, and the others match what the Linux build links. Read from
# dpkg rather than written here, so a Debian update of the host's packages
# (a security release) moves both builds together instead of asking apt for a
# source version the archive no longer has.
source_version_of() {
  local v
  v="$(dpkg-query -W -f='${source:Version}' "$1" 2>/dev/null)" ||
    { log "$1 is not installed (hack/install-deps.sh installs it)"; exit 1; }
  echo "$v"
}
protobuf_version="$(source_version_of libprotobuf-dev)"
yaml_cpp_version="$(source_version_of libyaml-cpp-dev)"
fmtlib_version="$(source_version_of libfmt-dev)"
spdlog_version="$(source_version_of libspdlog-dev)"
civetweb_version="$(source_version_of libcivetweb-dev)"
prometheus_cpp_version="$(source_version_of prometheus-cpp-dev)"
curl_version="$(source_version_of libcurl4-openssl-dev)"
libarchive_version="$(source_version_of libarchive-dev)"

mkdir -p "$cache"
# One run at a time: a second caller (a parallel CTest, another checkout) waits
# and then finds the stamps written.
exec 9>"$cache/.lock"
flock 9

prefix_of() { echo "$cache/$1-${2#*:}"; }   # the epoch's ':' stays out of paths

# --- fetching sources ---------------------------------------------------------
apt_dir="$cache/apt"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists"
  # No binary caches: apt would otherwise rewrite the system's /var/cache/apt/*.bin
  # from these private lists.
  -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o APT::Sandbox::User=root -qq
)
apt_updated=
apt_source() {  # apt_source PACKAGE VERSION DEST: unpacked, Debian patches applied
  local pkg=$1 version=$2 dest=$3
  command -v dpkg-source >/dev/null || { log "dpkg-source not found (Debian package dpkg-dev)"; exit 1; }
  if [ -z "$apt_updated" ]; then
    mkdir -p "$apt_dir/lists/partial"
    # The mirror this machine's apt already uses (deb.debian.org), source entries only.
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
EOF
    log "updating the private deb-src lists in $apt_dir"
    apt-get "${apt_opts[@]}" update >&2
    apt_updated=1
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  log "fetching source $pkg=$version"
  (cd "$dest" && apt-get "${apt_opts[@]}" source "$pkg=$version" >&2)
}

# --- building -----------------------------------------------------------------
# in_prefix PACKAGE VERSION STEP ARGS...: unless PACKAGE's prefix is already
# stamped complete, fetches its source and runs `STEP SRC PREFIX WORK ARGS...`
# to fill the prefix, then stamps it.
in_prefix() {
  local pkg=$1 version=$2 step=$3; shift 3
  local prefix work src
  prefix="$(prefix_of "$pkg" "$version")"
  [ -f "$prefix/$stamp_name" ] && return 0
  work="$cache/work/$pkg"
  log "$step $pkg $version into $prefix"
  local started=$SECONDS
  apt_source "$pkg" "$version" "$work/src"
  src="$(find "$work/src" -mindepth 1 -maxdepth 1 -type d | head -n1)"
  rm -rf "$prefix"
  "$step" "$src" "$prefix" "$work" "$@"
  rm -rf "$work"
  touch "$prefix/$stamp_name"
  log "$pkg done in $((SECONDS - started)) s"
}

# cmake_build SRC PREFIX WORK CMAKE_ARGS...: the project's default targets
# (its tests, tools and examples switched off by the arguments, so only the
# libraries), installed with headers and CMake package files.
cmake_build() {
  local src=$1 prefix=$2 work=$3; shift 3
  rm -rf "$work/build"
  cmake -S "$src" -B "$work/build" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF "$@" >&2
  ninja -C "$work/build" -j2 >&2
  cmake --install "$work/build" >/dev/null
}

# copy_headers SRC PREFIX WORK DIR...: only the public headers, each DIR of
# the source (relative to its top) copied into <prefix>/include. For libraries
# pkg/dynlib loads at run time: the build needs their declarations, no code.
copy_headers() {
  local src=$1 prefix=$2 dir; shift 3
  mkdir -p "$prefix/include"
  for dir in "$@"; do cp -r "$src/$dir" "$prefix/include/"; done
}

build_package() { in_prefix "$1" "$2" cmake_build "${@:3}"; }
install_headers() { in_prefix "$1" "$2" copy_headers "${@:3}"; }

# protobuf: the full runtime (the daemon's records use reflection and JSON) and
# the lite one its install rules expect; no protoc, no libprotoc, no tests, no
# zlib (gzip streams are unused).
build_package protobuf "$protobuf_version" \
  -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
  -Dprotobuf_BUILD_EXAMPLES=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF \
  -Dprotobuf_MSVC_STATIC_RUNTIME=OFF
build_package yaml-cpp "$yaml_cpp_version" \
  -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=OFF \
  -DYAML_BUILD_SHARED_LIBS=OFF
build_package fmtlib "$fmtlib_version" -DFMT_TEST=OFF -DFMT_DOC=OFF
# Debian's spdlog has its bundled fmt removed: it builds against fmtlib's prefix.
build_package spdlog "$spdlog_version" \
  -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_EXAMPLE=OFF -DSPDLOG_BUILD_TESTS=OFF \
  -DSPDLOG_BUILD_BENCH=OFF -Dfmt_DIR="$(prefix_of fmtlib "$fmtlib_version")/lib/cmake/fmt"
# civetweb: the HTTP server under prometheus-cpp's Exposer, with its C++
# wrapper (what prometheus-cpp uses); no TLS (the endpoint is plain HTTP), no
# server executable, no tests.
build_package civetweb "$civetweb_version" \
  -DCIVETWEB_ENABLE_CXX=ON -DCIVETWEB_ENABLE_SSL=OFF -DCIVETWEB_BUILD_TESTING=OFF \
  -DCIVETWEB_ENABLE_SERVER_EXECUTABLE=OFF -DCIVETWEB_INSTALL_EXECUTABLE=OFF -DCIVETWEB_ENABLE_ASAN=OFF
# prometheus-cpp: core and pull against civetweb's prefix, as Debian builds it
# (USE_THIRDPARTY_LIBRARIES=OFF); no push (it needs libcurl), no gzip
# compression of scrapes (zlib; berth does not enable it), no tests.
build_package prometheus-cpp "$prometheus_cpp_version" \
  -DUSE_THIRDPARTY_LIBRARIES=OFF -DENABLE_PUSH=OFF -DENABLE_COMPRESSION=OFF -DENABLE_TESTING=OFF \
  -DGENERATE_PKGCONFIG=OFF -Dcivetweb_DIR="$(prefix_of civetweb "$civetweb_version")/lib/cmake/civetweb"
# curl/*.h and archive.h, archive_entry.h: neither is generated at configure
# time (both pick the platform's types in the header itself).
install_headers curl "$curl_version" include/curl
install_headers libarchive "$libarchive_version" libarchive/archive.h libarchive/archive_entry.h

# The package directories test/windows hands to find_package.
echo "Protobuf_DIR=$(prefix_of protobuf "$protobuf_version")/lib/cmake/protobuf"
echo "yaml-cpp_DIR=$(prefix_of yaml-cpp "$yaml_cpp_version")/lib/cmake/yaml-cpp"
echo "fmt_DIR=$(prefix_of fmtlib "$fmtlib_version")/lib/cmake/fmt"
echo "spdlog_DIR=$(prefix_of spdlog "$spdlog_version")/lib/cmake/spdlog"
echo "civetweb_DIR=$(prefix_of civetweb "$civetweb_version")/lib/cmake/civetweb"
echo "prometheus-cpp_DIR=$(prefix_of prometheus-cpp "$prometheus_cpp_version")/lib/cmake/prometheus-cpp"
# Header-only prefixes: their include directory, under the variable names the
# Linux build's find_package sets (pkg/dynlib reads them).
echo "CURL_INCLUDE_DIRS=$(prefix_of curl "$curl_version")/include"
echo "LibArchive_INCLUDE_DIRS=$(prefix_of libarchive "$libarchive_version")/include"
