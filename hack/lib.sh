# Shared by the hack/ scripts: repository root, ccache outside the checkout.
BERTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CCACHE_DIR="${CCACHE_DIR:-/var/cache/berth/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Hits across checkouts (CI clones afresh): paths relative to the root, and
# the working directory left out of the hash.
export CCACHE_BASEDIR="$BERTH_ROOT"
export CCACHE_NOHASHDIR=1
mkdir -p "$CCACHE_DIR" 2>/dev/null || true

# berth_build DIR [cmake args...]: configure (once) and build with Ninja.
berth_build() {
  local dir=$1; shift
  cmake -S "$BERTH_ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir"
}
