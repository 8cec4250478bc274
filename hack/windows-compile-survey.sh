#!/usr/bin/env bash
# Which .cc files of pkg/ and daemon/ compile for Windows: each is compiled on
# its own with the mingw-w64 toolchain against the libraries
# hack/mingw-deps.sh cross-builds (-fsyntax-only, the flags of test/windows)
# and reported as "OK <file>" or "FAIL <file>: <first error>". This is how
# pkg/platform/README.md's table of what compiles is checked.
#
#   hack/windows-compile-survey.sh <windows-build-dir> [file.cc ...]
#
# The build directory is one hack/test-windows.sh has built (it holds the
# generated CRI messages); without files, every .cc of pkg/ and daemon/ but
# pkg/*/linux/ is checked (some 200 files: about 25 minutes on a busy 2-core
# machine).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: windows-compile-survey.sh <windows-build-dir> [file.cc ...]}"
shift
[ -f "$build/api/runtime/v1/api.pb.h" ] ||
  { echo "windows-compile-survey: $build has no generated CRI messages; run hack/test-windows.sh $build first" >&2; exit 1; }

# Each package's include directory, from the prefixes mingw-deps.sh prints
# (<prefix>/lib/cmake/<name>, or a header-only prefix's <prefix>/include).
includes=()
while IFS='=' read -r _ dir; do
  case "$dir" in
    */include) includes+=(-isystem "$dir") ;;
    *) includes+=(-isystem "${dir%/lib/cmake/*}/include") ;;
  esac
done < <("$repo/hack/mingw-deps.sh")

survey_one() {
  local out
  if out="$(x86_64-w64-mingw32-g++-posix -std=c++20 -fsyntax-only -Wall -Wextra -Werror \
      -DNOMINMAX -DUNICODE -D_UNICODE -DWIN32_LEAN_AND_MEAN -DWINVER=0x0A00 -D_WIN32_WINNT=0x0A00 \
      -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DBERTH_VERSION='"survey"' \
      -I"$repo" -I"$build" -I"$build/api" -isystem "$build/nlohmann-include" -isystem "$build/boost-include" "${includes[@]}" \
      -include "$repo/test/windows/crt_macro_names.h" "$1" 2>&1)"; then
    echo "OK   $1"
  else
    echo "FAIL $1: $(grep -m1 -E 'error' <<<"$out")"
  fi
}

cd "$repo"
if [ $# -eq 0 ]; then
  mapfile -t files < <(find pkg daemon -name '*.cc' -not -path '*/linux/*' | sort)
else
  files=("$@")
fi
for f in "${files[@]}"; do survey_one "$f"; done
