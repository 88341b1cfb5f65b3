#!/usr/bin/env bash
# Configures and builds rnnatlas (library, CLI, Python module, tests, benchmarks) in build/release.
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# ccache (when installed) lets later builds of the same sources reuse these objects: the pip
# install test builds a clean clone, whose paths relative to its build directory are the same.
if command -v ccache > /dev/null && [[ ! -f build/release/CMakeCache.txt ]]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
fi
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake --preset release "$@" > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
rm -f build-configure.log
cmake --build --preset release
