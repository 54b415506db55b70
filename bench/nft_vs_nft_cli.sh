#!/usr/bin/env bash
# NftDatapath against the nft binary on the same ruleset: 1,000 VIPs x 10 backends applied in one
# transaction, one backend's weight changed, everything removed; each also done with `nft -f`.
# Runs as root inside a private network namespace the benchmark makes itself (the host's ruleset
# is never touched). Extra arguments go to nft_bench (--vips, --backends, --repeat, --weight-changes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "nft_vs_nft_cli.sh: needs root (nftables in a private network namespace)" >&2
  exit 2
fi
build_dir=${LVSCARE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target nft_bench
nft --version
"$build_dir"/bench/nft_bench "$@"
