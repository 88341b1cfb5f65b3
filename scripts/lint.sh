#!/usr/bin/env bash
# Checks formatting (clang-format, .clang-format) and runs clang-tidy (.clang-tidy) on the C++ of
# rnnatlas, changing nothing; see docs/reliability.md.
#
# Usage: scripts/lint.sh [--format-only | --tidy-only] [--diff] [--tidy-since REF] [FILE...]
#   FILE...        check only these files (default: every C++ file git knows of, tracked or new
#                  and not ignored: *.h *.cc *.cpp *.hpp)
#   --format-only  clang-format only;  --tidy-only  clang-tidy only
#   --diff         print what clang-format would change, as a unified diff
#   --tidy-since REF
#                  clang-tidy only the sources changed since commit REF (committed, staged, new),
#                  and every source that includes a header changed since REF; clang-format still
#                  checks every file. CI's lint job uses it with REF from .ci/tidy-baseline, a
#                  commit up to which the whole tree is clean. A REF this clone does not have (a
#                  shallow clone) means the whole tree.
# Environment:
#   RNNATLAS_LINT_BUILD  build directory whose compile_commands.json clang-tidy uses (default
#                        build/lint; configured with the `lint` preset when it has none; no build
#                        is needed, configuring generates every source clang-tidy reads)
#   JOBS                 parallel clang-tidy processes (default 2)
# Exit status: 0 clean, 1 findings, 2 usage or setup error. To fix formatting:
#   clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

do_format=1
do_tidy=1
show_diff=0
since=""
files=()
while (($# > 0)); do
  arg=$1
  shift
  case "$arg" in
    --tidy-since)
      (($# > 0)) || { echo "lint.sh: --tidy-since needs a commit" >&2; exit 2; }
      since=$1
      shift ;;
    --format-only) do_tidy=0 ;;
    --tidy-only) do_format=0 ;;
    --diff) show_diff=1 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lint.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done

clang_format=$(command -v clang-format-14 || command -v clang-format || true)
clang_tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if ((do_format)) && [[ -z $clang_format ]]; then
  echo "lint.sh: clang-format not found (Debian: apt-get install clang-format)" >&2; exit 2
fi
if ((do_tidy)) && [[ -z $clang_tidy ]]; then
  echo "lint.sh: clang-tidy not found (Debian: apt-get install clang-tidy)" >&2; exit 2
fi

given=${#files[@]}
if ((given == 0)); then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
                         '*.h' '*.cc' '*.cpp' '*.hpp' | sort -u)
fi
# Paths relative to the checkout. A missing file given by name is an error (a typo must not pass
# silently); one from git's list is a deletion not yet committed.
cxx=()
for f in "${files[@]}"; do
  f=${f#"$root"/}
  if [[ ! -f $f ]]; then
    ((given == 0)) && continue
    echo "lint.sh: no such file: $f" >&2; exit 2
  fi
  case "$f" in *.h | *.cc | *.cpp | *.hpp) cxx+=("$f") ;; esac
done

status=0

# ---- clang-format -------------------------------------------------------------------------------
if ((do_format)); then
  unformatted=()
  for f in "${cxx[@]}"; do
    if ! "$clang_format" --dry-run --Werror "$f" > /dev/null 2>&1; then
      unformatted+=("$f")
      if ((show_diff)); then
        "$clang_format" "$f" | diff -u --label "$f" --label "$f (clang-format)" "$f" - || true
      fi
    fi
  done
  echo "clang-format: ${#cxx[@]} files checked, ${#unformatted[@]} need clang-format -i"
  for f in "${unformatted[@]}"; do
    changed=$("$clang_format" "$f" | diff "$f" - | grep -c '^[<>]' || true)
    echo "  $f ($changed lines differ)"
  done
  ((${#unformatted[@]} == 0)) || status=1
fi

# ---- clang-tidy ---------------------------------------------------------------------------------
if ((do_tidy)); then
  build=${RNNATLAS_LINT_BUILD:-build/lint}
  if [[ ! -f $build/compile_commands.json ]]; then
    echo "clang-tidy: configuring $build (preset lint) for compile_commands.json" >&2
    cmake --preset lint -B "$build" > "$build.configure.log" 2>&1 ||
      { cat "$build.configure.log" >&2; exit 2; }
  fi
  # Sources in the compilation database; headers are checked through the sources including them.
  mapfile -t compiled < <(/usr/bin/env python3 - "$build/compile_commands.json" "$root" <<'EOF'
import json, os, sys
root = sys.argv[2]
for entry in json.load(open(sys.argv[1])):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    if path.startswith(root + os.sep):
        print(os.path.relpath(path, root))
EOF
  )
  tidy_files=("${cxx[@]}")
  if [[ -n $since ]]; then
    if git rev-parse --verify --quiet "$since^{commit}" > /dev/null; then
      # Changed since REF (committed or not) and new files, then the sources including a changed
      # header (by its path under include/, or its name for a header beside its sources).
      mapfile -t changed < <({ git diff --name-only "$since" -- '*.h' '*.cc' '*.cpp' '*.hpp'
                               git ls-files --others --exclude-standard -- '*.h' '*.cc'; } |
                             sort -u)
      # Every file that includes a changed header, directly or through other headers; an include
      # "a/b.h" names include/a/b.h or a header beside its sources (src/a/b.h, fuzz/b.h, ...).
      mapfile -t includers < <(git ls-files -- '*.h' '*.cc' '*.cpp' '*.hpp' |
        /usr/bin/env python3 -c '
import re, sys
changed = set(sys.argv[1:])
files = sys.stdin.read().split()
includes = {}
for f in files:
    try:
        text = open(f, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    includes[f] = re.findall(r"^\s*#\s*include\s+\"([^\"]+)\"", text, re.M)
def names(header, name):
    return header == "include/" + name or header.endswith("/" + name) or header == name
todo, seen = [h for h in changed if h.endswith((".h", ".hpp"))], set()
while todo:
    header = todo.pop()
    for f, names_included in includes.items():
        if f not in seen and any(names(header, n) for n in names_included):
            seen.add(f)
            if f.endswith((".h", ".hpp")):
                todo.append(f)
print("\n".join(sorted(seen)))
' "${changed[@]}")
      mapfile -t tidy_files < <(printf '%s\n' "${changed[@]}" "${includers[@]}" | grep . | sort -u)
      echo "clang-tidy: ${#tidy_files[@]} files changed since $since or including a changed header"
    else
      echo "clang-tidy: commit $since is not in this clone; checking the whole tree"
    fi
  fi
  sources=()
  skipped=()
  for f in "${tidy_files[@]}"; do
    [[ -f $f ]] || continue
    case "$f" in
      *.h | *.hpp) ;;
      *) if printf '%s\n' "${compiled[@]}" | grep -qxF "$f"; then sources+=("$f");
         else skipped+=("$f"); fi ;;
    esac
  done
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  # Only our headers: not Eigen (.../Eigen/src/...), HDF5, toml++, CLI11, pybind11, GoogleTest.
  filter="^$root/(include|src|apps|fuzz|python/src|bench)/"
  if ((${#sources[@]} > 0)); then
    printf '%s\n' "${sources[@]}" |
      xargs -P "${JOBS:-2}" -I{} sh -c '
        "$0" -p "$1" --quiet --header-filter="$2" "$3" > "$4/$(echo "$3" | tr / _).log" 2>&1 ||
          true' "$clang_tidy" "$build" "$filter" {} "$out"
  fi
  # One line per finding, deduplicated (a header's finding shows once per source including it).
  findings=$(cat "$out"/*.log 2> /dev/null |
               grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): ' | sed "s|^$root/||" | sort -u || true)
  n_findings=$(printf '%s' "$findings" | grep -c . || true)
  echo "clang-tidy: ${#sources[@]} sources checked, $n_findings findings"
  if ((${#skipped[@]} > 0)); then
    echo "  not in $build/compile_commands.json, not checked: ${skipped[*]}"
  fi
  if ((n_findings > 0)); then
    echo "$findings" | sed 's/^/  /'
    echo "  by check:"
    echo "$findings" | grep -oE '\[[a-z0-9.,-]+\]$' | sort | uniq -c | sort -rn | sed 's/^/  /'
    status=1
  fi
  # A source clang-tidy could not compile is a finding too (its errors are in the log above).
  if grep -l 'error: .*\[clang-diagnostic-error\]' "$out"/*.log > /dev/null 2>&1; then status=1; fi
fi

exit $status
