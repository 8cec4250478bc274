# Sourced by hack/run.sh (and its test): berth's default pod network goes onto
# a node only when the node has no CNI network config at all. Any .conf,
# .conflist or .json file is a network to libcni, and berth's 10-berth-bridge
# sorts before most names, so installing it beside another network would take
# that network over.

# berth_cni_dir_has_network DIR: succeeds when DIR holds a CNI config file.
berth_cni_dir_has_network() {
  local dir=$1 f
  # Each glob on its own: an unmatched one stays literal and fails -f.
  for f in "$dir"/*.conf "$dir"/*.conflist "$dir"/*.json \
           "$dir"/.*.conf "$dir"/.*.conflist "$dir"/.*.json; do
    [ -f "$f" ] && return 0
  done
  return 1
}

# berth_install_default_network DIR CONFLIST: installs CONFLIST into DIR
# unless DIR already holds a network.
berth_install_default_network() {
  local dir=$1 conflist=$2
  berth_cni_dir_has_network "$dir" && return 0
  [ -f "$conflist" ] || return 0
  install -D -m 0644 "$conflist" "$dir/$(basename "$conflist")"
  echo "run.sh: installed default pod network $dir/$(basename "$conflist")"
}
