#!/usr/bin/env bash
# The main job. Until the demo lands: build and show lvscare's help.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] && scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target lvscare
build/src/cli/lvscare --help
