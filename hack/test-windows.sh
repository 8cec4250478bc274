#!/usr/bin/env bash
# Cross-builds with mingw-w64 the Windows platform module, the CRI messages and
# the daemon's portable part, with their tests, against the libraries
# hack/mingw-deps.sh cross-builds from Debian's sources, and runs the tests under
# wine64 in a throw-away WINEPREFIX (Wine's real registry and service manager).
# CTest runs this as the one test labelled "windows".
#
#   hack/test-windows.sh [build-dir]      (default: <repo>/build/windows)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$repo/build/windows}"
# ccache in the shared cache with paths relative to the checkout, as every
# hack/ build, so a fresh clone (CI) or another worktree reuses the objects.
source "$repo/hack/lib.sh"

find_tool() {  # first executable among the candidates
  for c in "$@"; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}
wine="$(find_tool wine64 /usr/lib/wine/wine64)" ||
  { echo "test-windows: wine64 not found (Debian package wine64)" >&2; exit 1; }
wineserver="$(find_tool wineserver /usr/lib/wine/wineserver)" ||
  { echo "test-windows: wineserver not found (Debian package wine64)" >&2; exit 1; }
command -v x86_64-w64-mingw32-g++-posix >/dev/null ||
  { echo "test-windows: x86_64-w64-mingw32-g++-posix not found (g++-mingw-w64-x86-64-posix)" >&2; exit 1; }
[ -f /usr/x86_64-w64-mingw32/include/zlib.h ] && [ -f /usr/x86_64-w64-mingw32/lib/libz.a ] ||
  { echo "test-windows: zlib for mingw-w64 not found (Debian package libz-mingw-w64-dev; hack/install-deps.sh installs it)" >&2; exit 1; }
[ -f /usr/include/boost/asio.hpp ] ||
  { echo "test-windows: Boost.Asio headers not found in /usr/include/boost (Debian package libboost-dev)" >&2; exit 1; }

# 1. The mingw libraries (built once, then reused from /var/cache/berth/mingw),
# then the cross build (ccache is picked up by test/windows/CMakeLists.txt).
# Configured every run: the package directories change with the host's package versions.
package_dirs_text="$("$repo/hack/mingw-deps.sh")"   # a failure stops here (set -e)
mapfile -t package_dirs <<<"$package_dirs_text"
cmake -S "$repo/test/windows" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/mingw-w64-x86_64.cmake" -DCMAKE_BUILD_TYPE=Release \
  "${package_dirs[@]/#/-D}" >/dev/null
ninja -C "$build" -j2

# 2. A fresh prefix, removed (with its wineserver) however we leave.
export WINEPREFIX
WINEPREFIX="$(mktemp -d "${TMPDIR:-/tmp}/berth-wine.XXXXXX")"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko install prompts
cleanup() {
  "$wineserver" -k >/dev/null 2>&1 || true   # only this prefix's server
  rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

# 3. wineboot creates the registry and starts services.exe; wait until the
# prefix is fully set up and the server has gone idle, so no boot-time service
# start races the tests' own service.
echo "test-windows: initializing $WINEPREFIX"
timeout 120 "$wine" wineboot --init
timeout 60 "$wineserver" -w

# 4. The tests: registry values under the CredentialSpecs key, the stale sweep,
# the service host via CreateService/StartService/ControlService, pkg/fs and
# pkg/dynlib on Wine's file system and loader, and the portable unit tests on
# the Windows runtime; then those of pkg/base, pkg/events, pod_cidr.cc and the
# daemon's portable part (records, platform hooks, call context, event
# stream); then pkg/streaming's on Winsock (a real server on 127.0.0.1). All
# run, and any failing fails the run.
# (berth_fs_symlink_windows_test is built, not run: Wine 8 has no symlinks.)
status=0
for exe in "$build/berth_platform_windows_test.exe" "$build/berth_portable_windows_test.exe" \
  "$build/berth_streaming_windows_test.exe"; do
  echo "test-windows: running $(basename "$exe") under $("$wine" --version)"
  timeout 180 "$wine" "$exe" --gtest_brief=1 || status=1
done

# 5. The daemon without its gRPC transport, linked for Windows: it opens a
# Server on a fresh state directory. Open() must come back (no crash, no hang)
# with OK or an honest Unimplemented naming a Linux-only part (today the
# overlayfs layer store: Windows layers are HCS's).
state="$(mktemp -d "${TMPDIR:-/tmp}/berth-daemon-windows.XXXXXX")"
echo "test-windows: opening the daemon (berth_daemon_link_check.exe) on $state"
daemon_out="$(timeout 120 "$wine" "$build/berth_daemon_link_check.exe" "Z:$state" 2>&1)" || true
rm -rf "$state"
echo "$daemon_out"
if ! grep -qE '^Open: (OK|Unimplemented: .*Linux-only)' <<<"$daemon_out"; then
  echo "test-windows: the daemon's Open() on Windows gave no honest answer" >&2
  status=1
fi
exit $status
