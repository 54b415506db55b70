#!/usr/bin/env bash
# `lvscare care --run-once` with many real servers given in CARE_RS, all healthy: wall time and peak
# RSS per list size, to see that nothing grows with the square of the list (issue 14, item 9).
#
#   bench/care_many_reals.sh [lvscare binary] [sizes...]     (default sizes: 1000 2000 4000 10000)
#
# The servers are TCP listeners on 1.1.<n>.<m>:8 (addresses made local by one `local 1.1.0.0/16`
# route), so the whole list fits in one environment variable (the kernel caps one at 128 KiB).
# nftables datapath, --health-schem tcp, everything in a private network namespace (unshare -n).
# Root only (exit 77 otherwise).
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
shift || true
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(1000 2000 4000 10000)
[[ $(id -u) -eq 0 ]] || { echo "care_many_reals.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
if [[ -z ${CARE_BENCH_NETNS:-} ]]; then
  exec unshare -n env CARE_BENCH_NETNS=1 "$0" "$LVSCARE" "${SIZES[@]}"
fi
max=0
for n in "${SIZES[@]}"; do ((n > max)) && max=$n; done
((max <= 65000)) || { echo "at most 65000 servers" >&2; exit 2; }

ip link set lo up
ip route add local 1.1.0.0/16 dev lo table local
ulimit -n $((max + 1000))
ready=$(mktemp)
trap 'kill $listener 2> /dev/null; rm -f "$ready"' EXIT
python3 - "$max" "$ready" << 'PY' &
import socket, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
held = []
for i in range(1, n + 1):
    s = socket.socket()
    s.bind(("1.1.%d.%d" % (i // 256, i % 256), 8))
    s.listen(64)
    held.append(s)
open(ready, "w").write("ready")
time.sleep(3600)
PY
listener=$!
for _ in $(seq 600); do [[ -s $ready ]] && break; sleep 0.1; done
[[ -s $ready ]] || { echo "listeners not ready" >&2; exit 1; }

for n in "${SIZES[@]}"; do
  nft flush ruleset
  list=$(python3 -c "import sys; n = int(sys.argv[1]); print(','.join('1.1.%d.%d:8' % (i // 256, i % 256) for i in range(1, n + 1)))" "$n")
  CARE_RS=$list /usr/bin/time -f "%e %M" -o "$ready.time" "$LVSCARE" care --vs 169.254.0.1:80 --run-once \
    --datapath nftables --health-schem tcp > /dev/null 2>&1
  read -r seconds kb < "$ready.time"
  backends=$(nft list table ip lvscare_tcp_169.254.0.1_80 | grep -c 'dnat to')
  printf '%6d real servers: %6.2f s, peak RSS %6.1f MB, %d backends programmed\n' "$n" "$seconds" "$((kb))e-3" "$backends"
done
rm -f "$ready.time"
