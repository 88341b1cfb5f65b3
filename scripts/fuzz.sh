#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and runs each for a bounded
# time; see docs/reliability.md and fuzz/targets.h.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 30 (CI: 8 targets, 4 minutes); run longer by hand, e.g.
#                       scripts/fuzz.sh 3600 network_file
#   TARGET              sweep_config train_config network_file dynamics_file distance_file
#                       embedding_file manifest_csv cli (the default: all eight), or
#                       network_file_bytes: bytes of network files mutated anywhere, which also
#                       fuzzes HDF5's own parser; Debian's HDF5 1.10 overflows a buffer on some
#                       damaged files (docs/reliability.md), so it is for runs by hand, not CI
# Environment: RNNATLAS_FUZZ_BUILD  build directory (default build/fuzz)
#
# Each target starts from its seed corpus fuzz/corpus/<target>/ (never modified) plus a working
# corpus kept in <build>/corpus/<target>/, so later runs continue where earlier ones stopped.
# A crash, sanitizer report, leak, timeout or out-of-memory leaves the input in
# <build>/artifacts/<target>/ and fails the script. To turn it into a regression test: reproduce
# with `<build>/fuzz/fuzz_<target> FILE`, fix the parser, then copy FILE to
# fuzz/regressions/<target>/<name> with <name>.expect saying what the parser must now do with it
# (`accepted`, or text of the message of its clean rejection); the test fuzz_regression replays
# it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=30
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
default_targets=(sweep_config train_config network_file dynamics_file distance_file embedding_file
                 manifest_csv cli)
all_targets=("${default_targets[@]}" network_file_bytes)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${default_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] ||
    { echo "fuzz.sh: unknown target $t; known: ${all_targets[*]}" >&2; exit 2; }
done

build=${RNNATLAS_FUZZ_BUILD:-build/fuzz}
mkdir -p "$build"
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake --preset fuzz -B "$build" > "$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 2; }
fi
cmake --build "$build" -j 2 --target "${targets[@]/#/fuzz_}" > "$build/build.log" 2>&1 ||
  { tail -50 "$build/build.log" >&2; exit 2; }

# Reports abort the run; leaks are reports too. The fuzzer's own output is kept in a log.
# allocator_may_return_null=1: a request beyond ASan's 1 TB limit gets NULL, as malloc gives in
# production; HDF5 then reports a corrupt file, where ASan would abort inside HDF5's own malloc.
# (A throwing `new` that fails is still reported: our code must not ask for absurd sizes.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp:print_suppressions=0}

failed=()
printf '%-14s %10s %8s %8s  %s\n' target executions corpus seconds result
for t in "${targets[@]}"; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  log=$build/$t.log
  start=$(date +%s)
  # -close_fd_mask=3: the target's own stdout/stderr (the CLI's usage errors) are dropped;
  # libFuzzer's report still reaches the log. -timeout: one input may take at most 10 s.
  result=ok
  if ! "$build/fuzz/fuzz_$t" "$work" "fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1; then
    result="FAILED: $(ls -t "$artifacts" | head -1) (log: $log)"
    failed+=("$t")
  fi
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  printf '%-14s %10s %8s %8s  %s\n' "$t" "$execs" "$(ls "$work" | wc -l)" \
    "$(($(date +%s) - start))" "$result"
done

if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: ${failed[*]} failed; the report is at the end of each log:" >&2
  for t in "${failed[@]}"; do
    echo "---- $t ($build/$t.log)" >&2
    grep -A40 -m1 -E '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR|deadly signal|Timeout|out-of-memory' \
      "$build/$t.log" >&2 || tail -40 "$build/$t.log" >&2
  done
  exit 1
fi
