#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: installs dependencies, builds, and runs
# every test (unit, network-namespace integration, real IPVS in a VM). Extra arguments go to ctest,
# e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  scripts/install-deps.sh
else
  echo "test.sh: not root: skipping dependency install; root and VM tests will report themselves skipped" >&2
fi

build_dir=${LVSCARE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLVSCARE_WERROR=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 900 "$@"
