#!/usr/bin/env bash
# The main job, for now: train a small GRU on the 3-bit flip-flop and show what it learned.
# Usage: scripts/demo.sh [output directory, default out/demo]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
scripts/build.sh
mkdir -p "$out"
cli=build/release/apps/rnnatlas/rnnatlas
"$cli" train --task flip_flop --cell gru --n-hidden 64 --seed 1 --iterations 1500 --n-batch 64 \
  --learning-rate 1e-2 --lr-decay-rate 0.5 --lr-decay-steps 500 --clip 1 --out "$out/flipflop-gru.h5"
"$cli" info "$out/flipflop-gru.h5"
"$cli" eval "$out/flipflop-gru.h5" --show-trial
