#!/usr/bin/env bash
# Time from a master's process death (SIGKILL) to its removal from the kernel's balancing (issue 15:
# goal < 5 ms p99), with no client traffic: what the balancer learns on its own.
#
#   bench/care_kill_to_removal.sh [build dir] [kills per row]
#
# Three kube-apiserver stand-ins (tests/support/apiserver_standin, plain HTTP, idle connections
# closed after $IDLE_TIMEOUT, default 10s) in network namespaces of their own behind veth pairs,
# 10.79.N.2:6443, VIP 10.103.97.2:6443, route mode. bench/kill_to_removal sends the SIGKILL itself and
# stops the clock when the kernel shows the change (nftables: the commit's announcement; IPVS: a
# read every 200 us, so up to ~0.3 ms late). Master 2 is killed $KILLS times per row (default 20) and
# restarted after each kill; the next kill waits until it is back in rotation and 2 s more (the
# canary's retry). Rows ($ROWS), one after the other:
#   canary      lvscare --interval 1 --health-timeout 1s --canary (passive detection on, as default)
#   default     lvscare --interval 1 --health-timeout 1s (no canary: the next check finds it)
#   lvscare-5s  LVScare's settings: --interval 5, --passive-detection=false
#   keepalived  DATAPATH=ipvs only (in the test VM): Debian's keepalived, HTTP_GET delay_loop 1,
#               connect_timeout 1, retry 0
# Last, a row "close": when an idle connection the timer itself held to the victim read its end
# (the FIN of the dead process's sockets), over every kill of every row: the floor, since no one
# holding a connection knows sooner, and the server's kernel still accepts (then resets) new
# connections until about then. Beside each row, "<row> after close": its removal minus that kill's
# close, the part that is the balancer's.
# DATAPATH: nftables (default) or ipvs (in the VM: scripts/vm/run.sh -- env DATAPATH=ipvs
# bench/care_kill_to_removal.sh build). Prints every kill, then p50 / p90 / p99 / max per row in ms.
# Root only (exit 77 otherwise); everything in a private network namespace (unshare -n); every wait
# is bounded. 20 kills per row take ~2 minutes.
set -euo pipefail
BUILD=$(readlink -f "${1:-build}")
KILLS=${2:-${KILLS:-20}}
DATAPATH=${DATAPATH:-nftables}
if [[ $DATAPATH == ipvs ]]; then ROWS=${ROWS:-canary default lvscare-5s keepalived}; else ROWS=${ROWS:-canary default lvscare-5s}; fi
IDLE_TIMEOUT=${IDLE_TIMEOUT:-10s}
LVSCARE=$(readlink -f "${LVSCARE:-$BUILD/src/cli/lvscare}") STANDIN=$BUILD/tests/support/apiserver_standin
TIMER=$BUILD/bench/kill_to_removal
readonly VIP=10.103.97.2 VPORT=6443 NODE_IP=10.79.1.1 VICTIM=2

[[ $(id -u) -eq 0 ]] || { echo "care_kill_to_removal.sh: needs root" >&2; exit 77; }
[[ $KILLS =~ ^[0-9]+$ && $KILLS -gt 0 ]] || { echo "care_kill_to_removal.sh: kills: a positive number" >&2; exit 2; }
for binary in "$LVSCARE" "$STANDIN" "$TIMER"; do
  [[ -x $binary ]] || { echo "care_kill_to_removal.sh: no $binary (build lvscare apiserver_standin kill_to_removal)" >&2; exit 1; }
done
for tool in ip unshare; do command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 77; }; done
if [[ -z ${CARE_KILL_NETNS:-} ]]; then
  exec unshare -n env CARE_KILL_NETNS=1 KILLS="$KILLS" LVSCARE="$LVSCARE" "$0" "$BUILD"
fi

here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d /tmp/care-kill-to-removal.XXXXXX)
log=$work/balancer.log
ok=0
# shellcheck source=../tests/integration/care/netns_test_lib.sh
source "$here/../tests/integration/care/netns_test_lib.sh"
balancer_pid=""
cleanup() {
  local status=$?
  set +e
  [[ -n $balancer_pid ]] && kill "$balancer_pid" 2> /dev/null
  masters_cleanup
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  [[ -e $log ]] && { echo "---- $log (last 15 lines):"; tail -n 15 "$log"; }
  exit 1
}

ip link set lo up
masters_setup
start_master() { master_start "$1" --idle-timeout "$IDLE_TIMEOUT"; }
for n in 1 2 3; do start_master "$n"; done

start_row() {
  : > "$log"
  case $1 in
    canary | default | lvscare-5s)
      local flags=(--interval 1 --health-timeout 1s)
      [[ $1 == canary ]] && flags+=(--canary)
      [[ $1 == lvscare-5s ]] && flags=(--interval 5 --health-timeout 5s --passive-detection=false)
      "$LVSCARE" care -C --vs "$VIP:$VPORT" --mode route --ip "$NODE_IP" --datapath "$DATAPATH" > /dev/null 2>&1 || true
      "$LVSCARE" care --vs "$VIP:$VPORT" --rs "${master_rs[1]}" --rs "${master_rs[2]}" --rs "${master_rs[3]}" \
        --health-schem http --health-path /readyz --mode route --ip "$NODE_IP" --datapath "$DATAPATH" \
        "${flags[@]}" >> "$log" 2>&1 &
      balancer_pid=$! row_description="lvscare --datapath $DATAPATH ${flags[*]}" ;;
    keepalived)
      masters_keepalived_conf lvscare_kill_to_removal "/readyz" > "$work/keepalived.conf"
      keepalived --dont-fork --log-console --check --use-file "$work/keepalived.conf" --pid "$work/keepalived.pid" \
        --checkers_pid "$work/checkers.pid" >> "$log" 2>&1 &
      balancer_pid=$! row_description="keepalived on IPVS, HTTP_GET delay_loop 1 connect_timeout 1 retry 0" ;;
    *) echo "unknown row $1 (canary, default, lvscare-5s, keepalived)" >&2; exit 2 ;;
  esac
}
stop_row() {
  kill "$balancer_pid" 2> /dev/null || true
  wait "$balancer_pid" 2> /dev/null || true
  balancer_pid=""
  [[ $1 == keepalived ]] && ipvsadm -C
  return 0
}
# The datapath gives master $1 new connections (weight: nft, or ipvsadm when DATAPATH=ipvs).
in_rotation() { local w; w=$(weight "${master_rs[$1]}"); [[ $w =~ ^[0-9]+$ && $w -gt 0 ]]; }
all_in_rotation() { in_rotation 1 && in_rotation 2 && in_rotation 3; }

declare -A figures=()
say "lvscare $("$LVSCARE" version 2>&1 | tr -d '\n' | cut -c1-120); datapath $DATAPATH; rows: $ROWS; $KILLS kills per row"
for row in $ROWS; do
  start_row "$row"
  say "row $row: $row_description"
  wait_for 30 all_in_rotation || fail "$row: not all three masters in rotation after 30 s"
  sleep 2
  for ((k = 1; k <= KILLS; k++)); do
    out=$("$TIMER" --datapath "$DATAPATH" --vs "$VIP:$VPORT" --rs "${master_rs[VICTIM]}" --pid "${master_pid[VICTIM]}" \
      --timeout-ms 15000) || fail "$row kill $k: kill_to_removal failed ($out)"
    wait "${master_pid[VICTIM]}" 2> /dev/null || true
    us=$(sed -n 's/.*kill_to_removal_us=\([0-9]*\).*/\1/p' <<< "$out")
    close_us=$(sed -n 's/.*kill_to_close_us=\([0-9]*\).*/\1/p' <<< "$out")
    figures[$row]+="$us "
    if [[ -n $close_us ]]; then
      figures[close]+="$close_us "
      figures["$row after close"]+="$((us - close_us)) "
    fi
    say "$row kill $k: $out"
    start_master "$VICTIM"
    wait_for 30 in_rotation "$VICTIM" || fail "$row: master $VICTIM not back in rotation 30 s after its restart"
    sleep 2
  done
  stop_row "$row"
done

echo
echo "kill to removal, $DATAPATH, no client traffic, $KILLS kills per row (ms)"
printf '%-22s %8s %8s %8s %8s %8s\n' row p50 p90 p99 max n
rows=()
for row in $ROWS; do rows+=("$row" "$row after close"); done
for row in "${rows[@]}" close; do
  [[ -n ${figures[$row]:-} ]] || continue
  # shellcheck disable=SC2086  # the values are words
  printf '%s\n' ${figures[$row]} | sort -n | awk -v row="$row" '{ v[NR] = $1 }
    function at(q,  i) { i = int(NR * q + 0.999); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] / 1000 }
    END { printf "%-22s %8.2f %8.2f %8.2f %8.2f %8d\n", row, at(0.5), at(0.9), at(0.99), v[NR] / 1000, NR }'
done
ok=1
