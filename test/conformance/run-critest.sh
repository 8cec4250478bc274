#!/usr/bin/env bash
# Runs upstream critest (cri-tools v1.26.1, validation mode) against a private berthd:
# its own root, runroot, socket, CNI bridge and subnet, and a local plain-HTTP registry
# that mirrors the registries critest names. Fails when a spec fails that is not listed in
# known-failing.txt (features not built yet); a listed spec that passes is reported.
#
#   run-critest.sh BERTHD SOURCE_DIR [OUT_DIR]
#
# OUT_DIR (default ./critest-out) keeps junit.xml, critest.log and berthd.log after the run.
# BERTH_CRITEST_RUNTIME_HANDLER=runsc runs every spec's pods under gVisor (critest's
# -runtime-handler; berthd gets Debian's runsc as a runtime) and judges the run by
# known-failing-runsc.txt: what gVisor itself cannot do, each with its reason.
# Images are built once per machine into BERTH_CRITEST_CACHE (default
# /var/cache/berth/critest-registry), outside the checkout.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BERTHD SOURCE_DIR [OUT_DIR]" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
  echo "run-critest: must run as root (berthd drives runc, mounts and network namespaces)" >&2
  exit 1
fi

berthd=$(realpath "$1")
src=$(realpath "$2")
out=$(mkdir -p "${3:-$PWD/critest-out}" && cd "${3:-$PWD/critest-out}" && pwd)
here=$src/test/conformance
tools=${BERTH_TOOLS:-$(realpath -m "$src/../shared/tools")}
cache=${BERTH_CRITEST_CACHE:-/var/cache/berth/critest-registry}
# critest's own timeouts are per spec; this bounds the whole suite so that the clean-up
# below still runs before CTest's TIMEOUT kills the script.
critest_timeout=${BERTH_CRITEST_TIMEOUT:-600}
# By hand: BERTH_CRITEST_FOCUS=Streaming runs only the matching specs.
handler=${BERTH_CRITEST_RUNTIME_HANDLER:-}
case "$handler" in
  "") known=$here/known-failing.txt ;;
  runsc) known=$here/known-failing-runsc.txt
         [ -x /usr/bin/runsc ] || { echo "run-critest: missing /usr/bin/runsc (hack/install-deps.sh)" >&2; exit 1; } ;;
  *) echo "run-critest: BERTH_CRITEST_RUNTIME_HANDLER must be empty or runsc, not $handler" >&2; exit 2 ;;
esac

for f in "$berthd" "$tools/critest" "$tools/crictl" "$tools/critest-images/build.sh" \
         /usr/bin/docker-registry; do
  [ -x "$f" ] || { echo "run-critest: missing $f" >&2; exit 1; }
done

# berthd runs pods with the berth-pause it finds beside it (in the build tree: ../berth-pause/).
[ -x "${berthd%/*}/berth-pause" ] || [ -x "${berthd%/*}/../berth-pause/berth-pause" ] ||
  { echo "run-critest: no berth-pause beside $berthd (build the default target)" >&2; exit 1; }

# Same sanitizer settings as hack/test.sh when run outside it: a report from berthd
# makes it exit non-zero, which fails this test below.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/test/lsan.supp:print_suppressions=0}

work=$(mktemp -d /tmp/berth-critest-XXXXXX)
sock=$work/berthd.sock
crictl=("$tools/crictl" --runtime-endpoint "unix://$sock" --image-endpoint "unix://$sock"
        --timeout 30s)

# A private bridge and /24 so that concurrent tests (the integration suites use
# 10.200-249.x) never share CNI state; the bridge name is at most 15 characters.
rand=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
bridge=bct$rand
while :; do
  subnet=10.254.$((RANDOM % 256)).0/24
  [ -z "$(ip -4 route show to match "$subnet" | grep -v '^default')" ] && break
done

registry_pid="" berthd_pid="" critest_pid="" berthd_rc=0

# Deadline-bounded poll: CMD... is retried every 100 ms for up to SECONDS seconds.
wait_until() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

exited() {  # pid: true once it is gone or a zombie (kill -0 succeeds on our own zombies)
  local state
  state=$(ps -o stat= -p "$1") || return 0
  [[ $state == Z* ]]
}

stop_pid() {  # pid seconds: SIGTERM, wait up to SECONDS, then SIGKILL; sets stopped_rc
  local pid=$1 seconds=$2
  stopped_rc=0
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until "$seconds" exited "$pid"; then
    echo "run-critest: pid $pid ignored SIGTERM for ${seconds}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || stopped_rc=$?
}

cleanup() {
  set +e
  # An interrupted run: critest first, so that it stops making pods.
  [ -n "$critest_pid" ] && stop_pid "$critest_pid" 30
  if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
    # critest removes what it makes; this catches pods left by an aborted run, while
    # berthd can still undo their containers, mounts, netns and CNI attachments.
    left=$("${crictl[@]}" pods -q 2>/dev/null | wc -l)
    if [ "$left" -gt 0 ]; then
      echo "run-critest: removing $left pod(s) left behind"
      timeout 120 "${crictl[@]}" rmp -af >/dev/null 2>&1
    fi
    stop_pid "$berthd_pid" 30
    berthd_rc=$stopped_rc
  elif [ -n "$berthd_pid" ]; then
    wait "$berthd_pid" 2>/dev/null; berthd_rc=$?  # it died during the run
  fi
  [ -n "$registry_pid" ] && stop_pid "$registry_pid" 10
  # berthd leaves containers running when it stops (conmon holds them); after a crash
  # some may be left in our private runc root, with nobody else to remove them.
  local id
  for id in $(/usr/sbin/runc --root "$work/run/runc" list -q 2>/dev/null); do
    echo "run-critest: removing leftover container $id"
    /usr/sbin/runc --root "$work/run/runc" delete --force "$id"
  done
  if [ -n "$handler" ]; then
    for id in $(/usr/bin/runsc --root "$work/run/runsc" list -quiet 2>/dev/null); do
      echo "run-critest: removing leftover gVisor container $id"
      /usr/bin/runsc --root "$work/run/runsc" delete --force "$id"
    done
  fi
  # berthd leaves its pinned-namespace directory mounted on exit (like /run/netns);
  # anything else still mounted under the work dir goes too, innermost first.
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  ip link show "$bridge" >/dev/null 2>&1 && ip link del "$bridge"
  # Rules naming our bridge or subnet are ours (portmap/bridge left them if a pod's
  # CNI DEL never ran): delete them, table by table.
  local net=${subnet%/24} table line
  net=${net%.0}
  for table in nat filter; do
    iptables-save -t "$table" 2>/dev/null | grep -E "^-A .*($bridge|${net//./\\.}\\.)" |
      while read -r line; do
        eval "iptables -w -t $table -D ${line#-A }" && echo "run-critest: removed iptables rule: $line"
      done
  done
  rm -rf "$work"
}

finish() {
  local rc=$?
  cleanup
  if [ "$berthd_rc" -ne 0 ]; then
    echo "run-critest: berthd exited $berthd_rc, not 0 (crash or sanitizer report?); see $out/berthd.log" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap finish EXIT
trap 'echo "run-critest: interrupted; cleaning up" >&2; exit 130' INT TERM

# 1. The registry: plain HTTP on a free loopback port; the storage is the per-machine cache.
mkdir -p "$cache/storage"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $cache/storage}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: 127.0.0.1:$port, secret: berth-critest}
YAML
/usr/bin/docker-registry serve "$work/registry.yml" > "$out/registry.log" 2>&1 < /dev/null &
registry_pid=$!
wait_until 30 curl -sf "http://127.0.0.1:$port/v2/" ||
  { echo "run-critest: registry did not come up; $out/registry.log" >&2; exit 1; }

# 2. The images, built only when the cache lacks them or build.sh changed since.
have_manifest() {  # repo:tag
  curl -sf -o /dev/null -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:$port/v2/${1%:*}/manifests/${1##*:}"
}
stamp=$(cat "$tools/critest-images/build.sh" "$tools"/critest-images/src/* | sha256sum | cut -d' ' -f1)
images_ready() {
  [ "$(cat "$cache/images.stamp" 2>/dev/null)" = "$stamp" ] &&
    have_manifest e2e-test-images/busybox:1.29-2 &&
    have_manifest docker/library/busybox:1-musl  # the last one build.sh pushes
}
if images_ready; then
  echo "run-critest: images present in $cache"
else
  # One builder per machine; a second run waits and then finds them present.
  exec {lock}> "$cache/build.lock"
  flock "$lock"
  if ! images_ready; then
    echo "run-critest: building critest images into $cache (once per machine)"
    start=$SECONDS
    WORKDIR=$work/images REGISTRY=127.0.0.1:$port bash "$tools/critest-images/build.sh" \
      > "$out/images-build.log" 2>&1 ||
      { tail -n 30 "$out/images-build.log" >&2; echo "run-critest: image build failed" >&2; exit 1; }
    echo "$stamp" > "$cache/images.stamp"
    echo "run-critest: images built in $((SECONDS - start))s"
  fi
  flock -u "$lock"
fi

# 3. berthd with everything private, mirroring every registry critest names.
mkdir -p "$work/cni" "$work/root" "$work/run"
cat > "$work/cni/10-critest.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "berth-critest-$rand",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$work/ipam",
              "ranges": [[{"subnet": "$subnet"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
mirror="{mirrors: [\"http://127.0.0.1:$port\"]}"
runsc_yaml=""
[ -z "$handler" ] || runsc_yaml="  runsc: {path: /usr/bin/runsc, root: $work/run/runsc, type: oci}"
cat > "$work/berth.yaml" <<YAML
root: $work/root
runroot: $work/run
listen: $sock
shutdown_file: $work/root/berth.shutdown
log_level: ${BERTH_CRITEST_LOG_LEVEL:-debug}
runtimes:
  runc: {path: /usr/sbin/runc, root: $work/run/runc, type: oci}
$runsc_yaml
cni: {conf_dir: $work/cni, plugin_dirs: [/usr/lib/cni, /opt/cni/bin]}
registries:
  "registry.k8s.io": $mirror
  "gcr.io": $mirror
  "public.ecr.aws": $mirror
  "docker.io": $mirror
  "127.0.0.1:$port": {insecure: true}
YAML
"$berthd" --config "$work/berth.yaml" > "$out/berthd.log" 2>&1 < /dev/null &
berthd_pid=$!
wait_until 60 "${crictl[@]}" version ||
  { tail -n 30 "$out/berthd.log" >&2; echo "run-critest: berthd did not serve on $sock" >&2; exit 1; }

# 4. critest, each spec once (no flake retries), junit for the verdict below.
echo "run-critest: critest against $sock (registry 127.0.0.1:$port, bridge $bridge, $subnet)"
rm -f "$out/junit.xml"
start=$SECONDS
# In the background so that a signal to this script interrupts `wait` and cleans up now.
timeout --signal=TERM --kill-after=30 "$critest_timeout" \
  "$tools/critest" -runtime-endpoint "unix://$sock" -image-endpoint "unix://$sock" \
    -ginkgo.skip 'public image with digest should be pulled and removed' \
    ${BERTH_CRITEST_FOCUS:+-ginkgo.focus "$BERTH_CRITEST_FOCUS"} \
    ${handler:+-runtime-handler "$handler"} \
    -ginkgo.junit-report "$out/junit.xml" -ginkgo.no-color > "$out/critest.log" 2>&1 &
critest_pid=$!
critest_rc=0
wait "$critest_pid" || critest_rc=$?
critest_pid=""
echo "run-critest: critest exited $critest_rc after $((SECONDS - start))s; log $out/critest.log"
[ -s "$out/junit.xml" ] || { tail -n 40 "$out/critest.log" >&2; echo "run-critest: no junit report" >&2; exit 1; }

python3 "$here/check_junit.py" "$out/junit.xml" "$known"
