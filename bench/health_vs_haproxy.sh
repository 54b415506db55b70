#!/usr/bin/env bash
# CPU per HTTP health check and peak RSS: lvscare's checker beside Debian's HAProxy (option httpchk)
# doing the same checks against the same local servers (127.0.0.1 only), in the same run.
#
#   bench/health_vs_haproxy.sh [--checks N] [--servers K] [--interval-ms I] [--scheme http|https] [--haproxy PATH|none]
#
# Defaults: 20000 checks, 100 servers, every 100 ms per server (1000 checks/s for each checker).
# lvscare's probe timeout is at most the interval, so on a loaded machine a few checks time out;
# they are counted as failures (HAProxy's verdicts are not read: n/a).
# HTTPS (--scheme https, certificates not verified, as LVScare by default) costs the servers a TLS
# handshake each: use fewer checks per second, e.g. --servers 20 --interval-ms 100.
# Builds health_check_bench in $LVSCARE_BUILD_DIR (default build/) if it is missing. The machine's
# other load shows up in the figures: compare the two rows of one run, not runs with each other.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${LVSCARE_BUILD_DIR:-build}
bench=$build_dir/bench/health_check_bench
if [[ ! -x $bench ]]; then
  [[ -f $build_dir/build.ninja ]] || cmake -S . -B "$build_dir" -G Ninja >/dev/null
  cmake --build "$build_dir" --target health_check_bench >/dev/null
fi
if ! command -v haproxy >/dev/null && [[ " $* " != *" --haproxy "* ]]; then
  echo "health_vs_haproxy.sh: haproxy is not installed (scripts/install-deps.sh installs it); measuring lvscare alone" >&2
  set -- "$@" --haproxy none
fi

"$bench" --checks 20000 "$@"
echo "goal: lvscare's cpu us/check <= haproxy's; peak RSS < 9.3 MB (keepalived's two processes)"
