#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: installs dependencies, builds, and runs
# every test (unit, network-namespace integration, real IPVS in a VM), then the fuzzers for a
# bounded number of runs. Extra arguments go to the main ctest run, e.g. `scripts/test.sh -L unit`.
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

# Parsers of untrusted input (kernel replies, HTTP responses) under libFuzzer with ASan and UBSan.
if [[ ${LVSCARE_SKIP_FUZZ:-0} != 1 ]]; then
  fuzz_dir=${build_dir}-fuzz
  CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DLVSCARE_BUILD_FUZZ=ON -DLVSCARE_BUILD_TESTS=OFF \
    -DLVSCARE_BUILD_BENCH=OFF -DLVSCARE_WERROR=OFF >/dev/null
  cmake --build "$fuzz_dir" -j"$(nproc)" --target fuzzers
  ctest --test-dir "$fuzz_dir" --output-on-failure -j"$(nproc)"
fi
