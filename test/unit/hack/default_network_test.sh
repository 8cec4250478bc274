#!/usr/bin/env bash
# hack/run.sh installs berth's default pod network only into a CNI directory
# with no network config at all (issue 12: it installed it beside an existing
# network whenever one of the three extensions had no match, and being
# 10-berth-... it then took over the node's network).
#   default_network_test.sh <source dir>
set -euo pipefail
src=$1
source "$src/hack/cni-default-network.sh"

tmp=$(mktemp -d /tmp/berth-cni-default-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
conflist="$src/config/10-berth-bridge.conflist"
failures=0

# case NAME EXPECT SETUP...: runs SETUP in a fresh directory, then the install;
# EXPECT is "installed" or "kept".
case_() {
  local name=$1 expect=$2; shift 2
  local dir="$tmp/$name/net.d"
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && eval "$@")
  berth_install_default_network "$dir" "$conflist" > /dev/null
  local got=kept
  [ -f "$dir/10-berth-bridge.conflist" ] && got=installed
  if [ "$got" != "$expect" ]; then
    echo "FAIL: $name: default network $got, want $expect; directory held:" >&2
    ls -la "$dir" >&2 2>/dev/null || echo "  (no directory)" >&2
    failures=$((failures + 1))
  else
    echo "ok: $name ($got)"
  fi
}

case_ no-directory        installed ":"
case_ empty-directory     installed "mkdir net.d"
case_ only-other-files    installed "mkdir net.d && touch net.d/README net.d/x.conf.bak net.d/x.yaml"
case_ dir-named-like-conf installed "mkdir -p net.d/sub.conflist"
case_ one-conflist        kept      "mkdir net.d && echo '{}' > net.d/87-podman.conflist"
case_ one-conf            kept      "mkdir net.d && echo '{}' > net.d/99-loopback.conf"
case_ one-json            kept      "mkdir net.d && echo '{}' > net.d/50-net.json"
case_ conf-and-conflist   kept      "mkdir net.d && touch net.d/a.conf net.d/b.conflist"
case_ hidden-conflist     kept      "mkdir net.d && touch net.d/.hidden.conflist"
case_ symlinked-conflist  kept      "mkdir net.d other && touch other/c.conflist && ln -s ../other/c.conflist net.d/c.conflist"
case_ all-three           kept      "mkdir net.d && touch net.d/a.conf net.d/b.conflist net.d/c.json"

# An installed default counts as a network: a second run changes nothing.
dir="$tmp/again/net.d"
berth_install_default_network "$dir" "$conflist" > /dev/null
out=$(berth_install_default_network "$dir" "$conflist")
if [ -n "$out" ]; then echo "FAIL: second run installed again: $out" >&2; failures=$((failures + 1)); fi

# run.sh must decide through this helper, not a copy of its own.
if ! grep -q '^berth_install_default_network ' "$src/hack/run.sh"; then
  echo "FAIL: hack/run.sh does not call berth_install_default_network" >&2
  failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
