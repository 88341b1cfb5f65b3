#!/usr/bin/env bash
# Builds rnnatlas and runs every test: C++ unit tests, the CLI end to end, and the Python module
# (including the cross-checks against PyTorch). Usage: scripts/test.sh [ctest options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset release "$@"
