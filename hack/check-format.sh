#!/usr/bin/env bash
# Checks every tracked C++ file against the tree's .clang-format and names each one
# that differs. Exit 0 when all match, 1 otherwise. Usage: check-format.sh [--fix] [root];
# `--fix` rewrites the files instead of checking them.
# clang-format's output changes between major versions, so the check uses the one
# Debian 12 ships (14); hack/install-deps.sh installs it.
set -euo pipefail
fix=false
if [ "${1:-}" = "--fix" ]; then fix=true; shift; fi
cd "${1:-$(dirname "$0")/..}"
formatter="$(command -v clang-format-14 || command -v clang-format || true)"
if [ -z "$formatter" ]; then
  echo "check-format: clang-format is not installed (hack/install-deps.sh installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
if $fix; then
  "$formatter" -i --style=file "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$formatter" --style=file "$f" | cmp -s - "$f" || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: bash hack/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: all ${#files[@]} C++ files match .clang-format"
