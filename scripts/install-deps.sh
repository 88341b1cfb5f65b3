#!/usr/bin/env bash
# Installs everything rnnatlas needs to build, test and benchmark, from Debian's packages only.
# Called by the README's commands and by .ci/run; safe to run again (apt-get skips what is there).
#
# Usage: scripts/install-deps.sh [quality]
#   quality  also the quality gates' tools (scripts/quality.sh): clang 14 with libFuzzer and its
#            sanitizer runtimes, clang-format, clang-tidy
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libeigen3-dev libhdf5-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  pybind11-dev python3-dev python3-numpy python3-h5py python3-pytest
  python3-setuptools python3-pip python3-wheel
  libopenblas-pthread-dev
  python3-matplotlib python3-torch python3-threadpoolctl libopenblas0-openmp
  chromium
)
case "${1:-}" in
  "") ;;
  quality) packages+=(clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14) ;;
  *) echo "install-deps.sh: unknown group '$1' (known: quality)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
