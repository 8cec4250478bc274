#!/bin/bash
# A fake OCI runtime for the daemon handler unit tests: it speaks the part of
# runc's command line berthd uses and keeps each container as a directory
# under its --root, so the handlers run without root, conmon or a rootfs.
#
#   <root>/calls             one line per call: the verb and its arguments
#   <root>/exit_dir          the daemon's exit directory (the test writes it);
#                            a kill that ends a container writes the exit file
#                            there, as conmon would
#   <root>/<id>/status       "created", "running" or "stopped"
#   <root>/<id>/pid          the pid `state` reports
#   <root>/<id>/ignore-<n>   kill with signal <n> is accepted and ignored
#   <root>/<id>/fail-delete  delete fails (until the file is removed)
#   <root>/<id>/fail-delete-once  the next delete fails (and removes the file)
#   <root>/<id>/exec-exit    the exit code of an exec (default 0)
#   <root>/<id>/exec-hang    an exec never ends (until killed)
#   <root>/<id>/process.json the process of the last exec, as given
#   <root>/<id>/exec-pid     the pid of the last exec's command
#   <root>/<id>/resources.json  the resources of the last update, as given
set -u
root=/run/fake-runtime
while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --version) echo "runc version 1.1.5-fake"; echo "spec: 1.0.2-dev"; exit 0 ;;
    *) shift ;;
  esac
done
verb="${1:-}"
shift
mkdir -p "$root"
echo "$verb $*" >> "$root/calls"

no_such() {
  echo "time=\"fake\" level=error msg=\"container does not exist\"" >&2
  exit 1
}
# The last argument of a call, which names the container for most verbs.
last() { eval "echo \"\${$#}\""; }

case "$verb" in
  features)
    echo '{"ociVersionMin":"1.0.0","ociVersionMax":"1.1.0","mountOptions":["rro"],"linux":{"namespaces":["user"],"mountExtensions":{"idmap":{"enabled":true}}}}'
    ;;
  state)
    id="$1"
    [ -d "$root/$id" ] || no_such
    printf '{"ociVersion":"1.0.2","id":"%s","pid":%s,"status":"%s","bundle":"/fake"}\n' \
      "$id" "$(cat "$root/$id/pid" 2>/dev/null || echo 0)" "$(cat "$root/$id/status")"
    ;;
  start)
    id="$1"
    [ -d "$root/$id" ] || no_such
    echo running > "$root/$id/status"
    ;;
  kill)
    [ "$1" = "--all" ] && shift
    id="$1"; sig="$2"
    [ -d "$root/$id" ] || no_such
    [ -e "$root/$id/ignore-$sig" ] && exit 0
    if [ "$(cat "$root/$id/status")" = running ]; then
      echo stopped > "$root/$id/status"
      exit_dir="$(cat "$root/exit_dir")"
      # Written aside and renamed, as conmon does, so a reader never sees half.
      echo $((128 + sig)) > "$exit_dir/.$id.tmp" && mv "$exit_dir/.$id.tmp" "$exit_dir/$id"
    fi
    ;;
  delete)
    id="$(last "$@")"
    [ -e "$root/$id/fail-delete" ] && { echo "time=\"fake\" level=error msg=\"device busy\"" >&2; exit 1; }
    if [ -e "$root/$id/fail-delete-once" ]; then
      rm -f "$root/$id/fail-delete-once"
      echo "time=\"fake\" level=error msg=\"device busy\"" >&2; exit 1
    fi
    rm -rf "${root:?}/$id"
    ;;
  update)
    id="$(last "$@")"
    [ -d "$root/$id" ] || no_such
    cat > "$root/$id/resources.json"
    ;;
  exec)
    id="$(last "$@")"
    [ -d "$root/$id" ] || no_such
    while [ $# -gt 1 ]; do
      case "$1" in
        --process) cp "$2" "$root/$id/process.json"; shift 2 ;;
        --pid-file) echo $$ > "$2"; echo $$ > "$root/$id/exec-pid"; shift 2 ;;
        *) shift ;;
      esac
    done
    [ -e "$root/$id/exec-hang" ] && exec sleep 1000
    echo "out of $id"
    echo "err of $id" >&2
    exit "$(cat "$root/$id/exec-exit" 2>/dev/null || echo 0)"
    ;;
  *)
    echo "fake runtime: $verb is not faked" >&2
    exit 2
    ;;
esac
