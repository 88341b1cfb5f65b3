#!/usr/bin/env bash
# The main job: the study end to end at its demo scale (32 + 8 + 32 networks, a few minutes on
# 2 cores): train the populations of the three tasks, find their fixed points, compare them,
# embed the comparisons and write the report, OUT/report/index.html.
# Usage: scripts/demo.sh [output directory, default out/demo] [more `rnnatlas reproduce` flags]
# Rerunning resumes; `--scale small` is the 30-minute version whose numbers mean something.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
shift || true
scripts/build.sh
build/release/apps/rnnatlas/rnnatlas reproduce --scale demo --out "$out" "$@"
