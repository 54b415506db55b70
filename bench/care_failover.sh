#!/usr/bin/env bash
# Fail-over time of `lvscare care`: from a real server's death to its leaving rotation in the kernel
# (weight 0, or removed at once: a killed server refuses connections, issue 13's down rule), and to
# its removal, as a distribution over repeated trials.
#
#   bench/care_failover.sh [lvscare binary] [ipvs|nftables|auto] [trials] [interval]
#
# Three busybox httpd servers in network namespaces of their own behind veth pairs, lvscare in route
# mode on 169.254.0.1:80 with --interval <interval> (default 1 s) and LVScare's thresholds (one
# failure decides). No client traffic goes through the VIP, so passive detection has nothing to
# see: this measures the active checks (bench/care_failover_load.sh measures with clients). Each trial kills one server at a random moment of the
# check cycle, waits until lvscare has removed it, restarts it and waits until it is back. The times
# are taken from lvscare's own log (the line it writes once the kernel acknowledged the op), against
# the moment just before the kill. Everything runs in a private network namespace (unshare -n).
# Root only (exit 77 otherwise). In the test VM: scripts/vm/run.sh -- bench/care_failover.sh ... ipvs
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
DATAPATH=${2:-auto}
TRIALS=${3:-20}
INTERVAL=${4:-1}
[[ $(id -u) -eq 0 ]] || { echo "care_failover.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
[[ -x $LVSCARE ]] || { echo "care_failover.sh: no lvscare binary at $LVSCARE" >&2; exit 1; }
if [[ -z ${CARE_BENCH_NETNS:-} ]]; then
  exec unshare -n env CARE_BENCH_NETNS=1 "$0" "$LVSCARE" "$DATAPATH" "$TRIALS" "$INTERVAL"
fi
busybox=$(command -v busybox) || { echo "needs busybox" >&2; exit 77; }

work=$(mktemp -d /tmp/care-failover.XXXXXX)
log=$work/lvscare.log
declare -a ns=() pid=() rs=()
care_pid=
cleanup() {
  set +e
  [[ -n $care_pid ]] && kill "$care_pid"
  for p in "${pid[@]}"; do kill "$p" 2> /dev/null; done
  for n in "${ns[@]}"; do ip netns del "$n" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip link set lo up
for i in 0 1 2; do
  n=$((i + 1))
  ns[$i]=care-bench$n-$$
  ip netns add "${ns[$i]}"
  ip link add cb-v$n type veth peer name cb-p$n
  ip link set cb-p$n netns "${ns[$i]}"
  ip addr add 10.78.$n.1/24 dev cb-v$n
  ip link set cb-v$n up
  ip -n "${ns[$i]}" link set lo up
  ip -n "${ns[$i]}" addr add 10.78.$n.2/24 dev cb-p$n
  ip -n "${ns[$i]}" link set cb-p$n up
  mkdir -p "$work/www$n"
  echo "server $n" > "$work/www$n/index.html"
  rs[$i]=10.78.$n.2:80
done
serve() { ip netns exec "${ns[$1]}" "$busybox" httpd -f -p "${rs[$1]}" -h "$work/www$(($1 + 1))" & pid[$1]=$!; }
for i in 0 1 2; do serve "$i"; done

"$LVSCARE" care --vs 169.254.0.1:80 --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http \
  --health-path / --interval "$INTERVAL" --mode route --ip 10.78.1.1 --datapath "$DATAPATH" --logger DEBG > "$log" 2>&1 &
care_pid=$!

# Epoch milliseconds of the first log line after line $1 matching $2 (bounded wait: 60 s).
log_time_after() {
  local from=$1 line
  shift
  for _ in $(seq 1200); do
    line=$(tail -n +"$from" "$log" | grep -m1 "$@" || true)
    if [[ -n $line ]]; then
      local stamp=${line%% *}
      date -u -d "${stamp:0:10} ${stamp:11:12}" +%s%3N
      return
    fi
    sleep 0.05
  done
  echo "timed out waiting for: $*" >&2
  tail -n 20 "$log" >&2
  exit 1
}
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

victim=1 target=${rs[1]}
log_time_after 1 "add real server $target weight 1" > /dev/null
datapath=$(grep -o 'datapath=[a-z]*' "$log" | head -1)
echo "lvscare $datapath, interval ${INTERVAL}s, $TRIALS trials (server $target killed at a random moment)"
zero=() gone=()
for ((t = 1; t <= TRIALS; t++)); do
  sleep "0.$((RANDOM % 1000))"  # a random phase of the check cycle
  from=$(($(wc -l < "$log") + 1))
  t0=$(now_ms)
  kill "${pid[$victim]}"
  # Out of rotation: weight 0 (a timeout, LVScare's sequence) or removed at once (refused).
  t1=$(log_time_after "$from" -E "set real server $target weight 0|delete real server $target")
  t2=$(log_time_after "$from" "delete real server $target")
  zero+=($((t1 - t0)))
  gone+=($((t2 - t0)))
  printf 'trial %2d: out of rotation after %5d ms, removed after %5d ms\n' "$t" $((t1 - t0)) $((t2 - t0))
  wait "${pid[$victim]}" 2> /dev/null || true
  from=$(($(wc -l < "$log") + 1))
  serve "$victim"
  log_time_after "$from" "add real server $target weight 1" > /dev/null
done

source "$(dirname "$(readlink -f "$0")")/stats.sh"
stats "death->out of rotation" "${zero[@]}"
stats "death->removed" "${gone[@]}"
