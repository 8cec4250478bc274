#!/usr/bin/env bash
# `systemd-analyze verify` on config/berthd.service and config/berthd.socket
# (no running systemd needed). verify exits 0 on much of what it warns about
# (an unknown key, a bad value), so any output at all fails the test.
#
# The service starts /usr/local/bin/berthd, where an installed berthd goes,
# and verify checks that the binary exists: the units are checked as copies
# whose ExecStart names the berthd this build made, everything else unchanged.
#
# usage: systemd_units_test.sh <source dir> <built berthd>
set -euo pipefail
src=$1
berthd=$2

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing: run hack/install-deps.sh (Debian package systemd)" >&2
  exit 1
fi
if [ ! -x "$berthd" ]; then
  echo "no built berthd at $berthd" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/config/berthd.service" "$src/config/berthd.socket" "$tmp/"

installed='^ExecStart=/usr/local/bin/berthd '
if [ "$(grep -c "$installed" "$tmp/berthd.service")" != 1 ]; then
  echo "config/berthd.service: expected one ExecStart=/usr/local/bin/berthd line" >&2
  exit 1
fi
sed -i "s#$installed#ExecStart=$berthd #" "$tmp/berthd.service"

if ! out=$(systemd-analyze verify "$tmp/berthd.service" "$tmp/berthd.socket" 2>&1) ||
  [ -n "$out" ]; then
  echo "systemd-analyze verify config/berthd.service config/berthd.socket:" >&2
  echo "${out//$tmp/config}" >&2
  exit 1
fi
echo "systemd-analyze verify: berthd.service and berthd.socket are clean"
