#!/usr/bin/env bash
# The quality gates of rnnatlas (docs/reliability.md), each timed; fails when any job reports
# anything.
#
# Usage: scripts/quality.sh [JOB...]      JOB: asan tsan fuzz lint (default: all, in that order)
#   asan  builds the tests' programs with ASan + UBSan (preset asan) and runs the C++ tests and
#         the CLI end to end (test preset asan)
#   tsan  builds the threaded code's tests with TSan (preset tsan) and runs them (test preset tsan)
#   fuzz  builds the libFuzzer targets and runs each for FUZZ_SECONDS (scripts/fuzz.sh)
#   lint  clang-format on every C++ file, clang-tidy on those changed since .ci/tidy-baseline
#         (LINT_ALL=1: every file; scripts/lint.sh)
# The build directories are the presets' own, build/asan, build/tsan, build/fuzz and build/lint
# (ctest --preset reads the preset's directory; make build/<preset> a symbolic link to build
# elsewhere). Environment:
#   FUZZ_SECONDS  seconds per fuzz target (default 30; 8 targets)
#   JOBS          parallel compile / test / clang-tidy processes (default 2)
#   LINT_ALL      1: clang-tidy on the whole tree, not only what changed since the baseline
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=("$@")
((${#jobs[@]} > 0)) || jobs=(asan tsan fuzz lint)
n=${JOBS:-2}
mkdir -p build
scripts/install-deps.sh quality || exit 2

# The build targets the tests of a preset need: every executable of the build that a test runs,
# whether as the test's command, as an argument (mpiexec PROGRAM, python3 check.py --writer
# PROGRAM) or through RNNATLAS_CLI (the CLI tests run the `rnnatlas` program). Read from the
# CTestTestfiles, which name the executables before they are built.
targets_of_tests() {  # targets_of_tests PRESET BUILD_DIR
  local names executables
  names=$(ctest --preset "$1" -N | sed -nE 's/^ *Test +#[0-9]+: +//p')
  executables=$(ninja -C "$2" -t targets all | sed -nE 's/^(.*\/)?([^/:]+): C(XX)?_EXECUTABLE_LINKER.*/\2/p')
  find "$2/" -name CTestTestfile.cmake -exec cat {} + | python3 -c '
import re, sys
names, executables = set(sys.argv[1].split()), set(sys.argv[2].split())
for line in sys.stdin:
    test = re.match(r"(?:add_test|set_tests_properties)\(\[=\[([^]]+)\]=\]", line)
    if not test or test.group(1) not in names:
        continue
    for path in re.findall(r"\"([^\"]+)\"", line) + re.findall(r"RNNATLAS_CLI=([^;\"]+)", line):
        name = path.rsplit("/", 1)[-1]
        if name in executables:
            print(name)
' "$names" "$executables" | sort -u
}

configure() {  # configure PRESET
  [[ -f build/$1/CMakeCache.txt ]] && return 0
  cmake --preset "$1" > "build/$1.configure.log" 2>&1 || { cat "build/$1.configure.log"; return 1; }
}

job_asan() {
  local targets
  configure asan || return 1
  mapfile -t targets < <(targets_of_tests asan build/asan)
  echo "asan: building ${targets[*]}"
  cmake --build --preset asan -j "$n" --target "${targets[@]}" &&
    ctest --preset asan -j "$n"
}

job_tsan() {
  local targets
  configure tsan || return 1
  mapfile -t targets < <(targets_of_tests tsan build/tsan)
  echo "tsan: building ${targets[*]}"
  cmake --build --preset tsan -j "$n" --target "${targets[@]}" &&
    ctest --preset tsan -j "$n"
}

job_fuzz() { RNNATLAS_FUZZ_BUILD=build/fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-30}"; }

# clang-format checks every file; clang-tidy (about half a CPU minute per Eigen-heavy source, 50
# CPU minutes for the tree) checks what changed since the commit in .ci/tidy-baseline, unless
# LINT_ALL=1 (docs/reliability.md, section 8). `scripts/lint.sh` alone checks the whole tree.
job_lint() {
  local since=()
  if [[ ${LINT_ALL:-0} != 1 && -f .ci/tidy-baseline ]]; then
    since=(--tidy-since "$(grep -v '^#' .ci/tidy-baseline | tr -d '[:space:]')")
  fi
  RNNATLAS_LINT_BUILD=build/lint JOBS=$n scripts/lint.sh "${since[@]}"
}

results=()
status=0
for job in "${jobs[@]}"; do
  if ! declare -F "job_$job" > /dev/null; then
    echo "quality.sh: unknown job $job; known: asan tsan fuzz lint" >&2
    exit 2
  fi
  echo "==== $job"
  start=$(date +%s)
  if "job_$job"; then result=passed; else result=FAILED; status=1; fi
  seconds=$(($(date +%s) - start))
  results+=("$(printf '%-5s %-7s %4dm%02ds' "$job" "$result" $((seconds / 60)) $((seconds % 60)))")
done

echo "==== quality gates ($(nproc) cores)"
printf '%s\n' "${results[@]}"
exit $status
