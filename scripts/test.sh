#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: installs dependencies, builds the
# release artifacts (static binaries, image, .deb) and the tests, and runs every test (unit,
# network-namespace integration, the artifacts under podman and dpkg, real IPVS in a VM), then the
# fuzzers for a bounded number of runs. Extra arguments go to the main ctest run, e.g.
# `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  scripts/install-deps.sh
else
  echo "test.sh: not root: skipping dependency install; root and VM tests will report themselves skipped" >&2
fi

build_dir=${LVSCARE_BUILD_DIR:-build}

# What an admin installs, built as the README says: the static, stripped Release binaries (the
# static-release preset), their OCI image (scripts/image.sh, needs buildah: root) and the .deb.
# The tests in tests/release check them. Warnings are errors here, as in the test build.
release_dir=$(realpath -m "${build_dir}-static-release")
cmake --preset static-release -B "$release_dir" -DLVSCARE_WERROR=ON >/dev/null
cmake --build "$release_dir" -j"$(nproc)" --target lvscare sealctl
if command -v buildah >/dev/null && [[ $(id -u) -eq 0 ]]; then
  scripts/image.sh "$release_dir"
else
  echo "test.sh: no buildah or not root: no image; the image tests will report themselves skipped" >&2
fi
cpack --config "$release_dir/CPackConfig.cmake" >/dev/null

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLVSCARE_WERROR=ON \
  -DLVSCARE_RELEASE_DIR="$release_dir" >/dev/null
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
