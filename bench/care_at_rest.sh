#!/usr/bin/env bash
# CPU that `lvscare care` uses at rest: three healthy HTTP servers, nothing changing, for SECONDS
# (default 60) per run, RUNS runs (default 2) per check interval (default "1 5").
#
#   bench/care_at_rest.sh [lvscare binary] [ipvs|nftables|auto] [seconds] [runs] [intervals]
#
# Read from /proc/<pid>/stat (utime + stime, clock ticks) and /proc/<pid>/schedstat (time on the CPU
# in ns, finer) at the start and the end of the window, after a settling time (SETTLE, default 5 s)
# from the start. Printed as CPU seconds per 10 s, the unit issue 13 quotes. With STRACE=1 (and
# strace installed) one more window of STRACE_SECONDS (default 10) per interval counts lvscare's
# system calls with `strace -c -f` (traced, so its CPU there is not counted).
#
# The anchor, when the datapath is IPVS and keepalived is installed: keepalived (Debian's) with the
# same virtual server and real servers (delay_loop = the interval, HTTP_GET of /), over the same
# window; its CPU is that of all its processes (the parent and the checker child). ANCHOR=0 skips it.
#
# Route mode with a node IP; three busybox httpd in network namespaces of their own behind veth
# pairs (as bench/care_repair.sh); everything in a private network namespace (unshare -n): the
# caller's host is not touched. Root only (exit 77 otherwise).
# Here (nftables):  bench/care_at_rest.sh build/src/cli/lvscare nftables 60 2 "1 5"
# IPVS in the VM:   scripts/vm/run.sh -- bench/care_at_rest.sh build/src/cli/lvscare ipvs 60 2 "1 5"
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
DATAPATH=${2:-auto}
SECONDS_PER_RUN=${3:-60}
RUNS=${4:-2}
INTERVALS=${5:-1 5}
SETTLE=${SETTLE:-5}
STRACE_SECONDS=${STRACE_SECONDS:-10}
[[ $(id -u) -eq 0 ]] || { echo "care_at_rest.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
[[ -x $LVSCARE ]] || { echo "care_at_rest.sh: no lvscare binary at $LVSCARE" >&2; exit 1; }
[[ $SECONDS_PER_RUN =~ ^[0-9]+$ && $SECONDS_PER_RUN -gt 0 ]] || { echo "care_at_rest.sh: seconds: a positive number" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || { echo "care_at_rest.sh: runs: a positive number" >&2; exit 2; }
if [[ -z ${CARE_BENCH_NETNS:-} ]]; then
  exec unshare -n env CARE_BENCH_NETNS=1 "$0" "$LVSCARE" "$DATAPATH" "$SECONDS_PER_RUN" "$RUNS" "$INTERVALS"
fi
busybox=$(command -v busybox) || { echo "needs busybox" >&2; exit 77; }
command -v ip > /dev/null || { echo "needs ip" >&2; exit 77; }

readonly VIP=169.254.0.1 VPORT=80 NODE_IP=10.78.1.1
work=$(mktemp -d /tmp/care-at-rest.XXXXXX)
declare -a ns=() pid=() rs=()
watched_pid=
cleanup() {
  set +e
  [[ -n $watched_pid ]] && kill "$watched_pid"
  for p in "${pid[@]}"; do kill "$p" 2> /dev/null; done
  for n in "${ns[@]}"; do ip netns del "$n" 2> /dev/null; done
  wait 2> /dev/null
  "$LVSCARE" care --vs "$VIP:$VPORT" -C > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

ip link set lo up
for i in 0 1 2; do
  n=$((i + 1))
  ns[$i]=care-rest$n-$$
  ip netns add "${ns[$i]}"
  ip link add ar-v$n type veth peer name ar-p$n
  ip link set ar-p$n netns "${ns[$i]}"
  ip addr add 10.78.$n.1/24 dev ar-v$n
  ip link set ar-v$n up
  ip -n "${ns[$i]}" link set lo up
  ip -n "${ns[$i]}" addr add 10.78.$n.2/24 dev ar-p$n
  ip -n "${ns[$i]}" link set ar-p$n up
  ip -n "${ns[$i]}" route add default via 10.78.$n.1
  mkdir -p "$work/www$n"
  echo "server $n" > "$work/www$n/index.html"
  rs[$i]=10.78.$n.2:80
  ip netns exec "${ns[$i]}" "$busybox" httpd -f -p "${rs[$i]}" -h "$work/www$n" &
  pid[$i]=$!
done

clk_tck=$(getconf CLK_TCK)
# Total CPU of the given pids: "<ticks> <ns>" (utime + stime of each; schedstat's run time of each
# of their threads).
cpu_of() {
  local ticks=0 ns=0 p t stat rest
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    stat=$(< "/proc/$p/stat")
    rest=${stat##*) }  # fields from 3 on (the name may hold spaces)
    read -r -a f <<< "$rest"
    ticks=$((ticks + f[11] + f[12]))  # fields 14 and 15
    for t in /proc/$p/task/*/schedstat; do
      read -r run _ < "$t" 2> /dev/null || continue
      ns=$((ns + run))
    done
  done
  echo "$ticks $ns"
}
# CPU of "$@" over SECONDS_PER_RUN, as "<s per 10 s by ticks> <s per 10 s by schedstat>".
measure_window() {
  local a b
  read -r -a a <<< "$(cpu_of "$@")"
  sleep "$SECONDS_PER_RUN"
  read -r -a b <<< "$(cpu_of "$@")"
  awk -v t=$((b[0] - a[0])) -v n=$((b[1] - a[1])) -v hz="$clk_tck" -v s="$SECONDS_PER_RUN" \
    'BEGIN { printf "%.3f %.3f", t / hz * 10 / s, n / 1e9 * 10 / s }'
}

start_care() { # interval
  "$LVSCARE" care --vs "$VIP:$VPORT" --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http \
    --health-path / --interval "$1" --mode route --ip "$NODE_IP" --datapath "$DATAPATH" > "$work/lvscare.log" 2>&1 &
  watched_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do grep -q 'datapath=' "$work/lvscare.log" && break; sleep 0.1; done
  dp=$(grep -m 1 -o 'datapath=[a-z]*' "$work/lvscare.log") || { echo "lvscare did not start:" >&2; cat "$work/lvscare.log" >&2; exit 1; }
  dp=${dp#datapath=}
}
stop_care() {
  kill "$watched_pid" 2> /dev/null || { echo "lvscare had exited:" >&2; tail -n 5 "$work/lvscare.log" >&2; exit 1; }
  wait "$watched_pid" 2> /dev/null || true
  watched_pid=
}

dp=
echo "care_at_rest: lvscare care, 3 healthy HTTP servers, route mode, $RUNS x ${SECONDS_PER_RUN} s per interval" \
     "after ${SETTLE} s settling; CPU seconds per 10 s (utime+stime ticks at ${clk_tck} Hz / schedstat)"
for interval in $INTERVALS; do
  for ((run = 1; run <= RUNS; run++)); do
    start_care "$interval"
    sleep "$SETTLE"
    read -r by_ticks by_ns <<< "$(measure_window "$watched_pid")"
    watch_line=$(grep -m 1 -o 'kernel watch [^"]*' "$work/lvscare.log" || echo "kernel watch: none logged")
    printf 'lvscare datapath=%s interval=%ss run %d: %s s / 10 s (schedstat %s)  [%s]\n' "$dp" "$interval" "$run" \
      "$by_ticks" "$by_ns" "$watch_line"
    if ((run == RUNS)) && [[ ${STRACE:-0} == 1 ]] && command -v strace > /dev/null; then
      timeout --signal=INT "$STRACE_SECONDS" strace -c -f -p "$watched_pid" -o "$work/strace" 2> /dev/null || true
      echo "    system calls in ${STRACE_SECONDS} s (strace -c -f):"
      awk 'NR > 2 && $0 !~ /^-/ { print "      " $0 }' "$work/strace" | head -n 14
    fi
    stop_care
  done
done

# --- the anchor: keepalived on IPVS ---------------------------------------------------------------
if [[ $dp != ipvs ]]; then
  echo "anchor: none here (keepalived programs IPVS only; this run's datapath is ${dp:-none})"
  exit 0
fi
if [[ ${ANCHOR:-1} == 0 ]]; then
  echo "anchor: skipped (ANCHOR=0)"
  exit 0
fi
if ! command -v keepalived > /dev/null; then
  echo "anchor: skipped, keepalived is not installed (Debian package keepalived)"
  exit 0
fi
ipvsadm -C 2> /dev/null || true
for interval in $INTERVALS; do
  {
    echo "global_defs { router_id lvscare_at_rest_bench }"
    echo "virtual_server $VIP $VPORT {"
    echo "  delay_loop $interval"
    echo "  lb_algo rr"
    echo "  lb_kind NAT"
    echo "  protocol TCP"
    for r in "${rs[@]}"; do
      echo "  real_server ${r%:*} ${r#*:} { weight 1"
      echo "    HTTP_GET { url { path / status_code 200 } connect_timeout 1 } }"
    done
    echo "}"
  } > "$work/keepalived.conf"
  for ((run = 1; run <= RUNS; run++)); do
    keepalived --dont-fork --log-console --check --use-file "$work/keepalived.conf" --pid "$work/keepalived.pid" \
      --checkers_pid "$work/checkers.pid" > "$work/keepalived.log" 2>&1 &
    watched_pid=$!
    sleep "$SETTLE"
    pids=("$watched_pid" $(pgrep -P "$watched_pid" || true))
    read -r by_ticks by_ns <<< "$(measure_window "${pids[@]}")"
    printf 'keepalived delay_loop=%s run %d: %s s / 10 s (schedstat %s), %d processes\n' "$interval" "$run" \
      "$by_ticks" "$by_ns" "${#pids[@]}"
    kill "$watched_pid"; wait "$watched_pid" 2> /dev/null || true; watched_pid=
    ipvsadm -C
  done
done
