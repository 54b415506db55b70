#!/usr/bin/env bash
# What clients see when a master fails (issue 13, "Measure"): a load of fresh connections through
# the VIP while a master is killed, black-holed or restarted gracefully, with lvscare beside HAProxy
# in the same run.
#
#   bench/care_failover_load.sh [build dir] [trials]
#
# Three kube-apiserver stand-ins (tests/support/apiserver_standin, plain HTTP) in network namespaces
# of their own behind veth pairs (tests/integration/care/netns_test_lib.sh), 10.79.N.2:6443. Rows,
# one after the other in this run:
#   lvscare        lvscare care --mode route --datapath nftables --interval 1 --health-timeout 1s
#                  $LVSCARE_EXTRA_FLAGS, VIP 10.103.97.2:6443
#   lvscare-5s     the same with LVScare's settings: --interval 5 (timeout: the interval)
#                  $LVSCARE_GO_EXTRA_FLAGS (e.g. passive detection off, once there is such a flag)
#   haproxy        Debian's HAProxy, TCP mode, `option httpchk` on the same path, `inter 1s fall 1
#                  rise 1`, `timeout connect 1s`, `retries 3`, `option redispatch`, on 127.0.0.1:16443
#   keepalived     with DATAPATH=ipvs only (in the test VM: scripts/vm/run.sh -- env DATAPATH=ipvs
#                  bench/care_failover_load.sh build): Debian's keepalived on IPVS, HTTP_GET on the
#                  same path, delay_loop 1, connect_timeout 1, retry 0, the VIP on lo
# DATAPATH (nftables, default, or ipvs) is the lvscare rows' --datapath; with ipvs, NODE_CONNTRACK
# (default 1) adds one conntrack rule as a node has (see below), and NODE_NAT=1 an empty nat chain
# as kube-proxy's or a CNI's NAT rules register one (lvscare adds its own NAT hook where it needs one).
# LVSCARE (default: <build dir>/src/cli/lvscare) names another lvscare binary to measure.
# The masters close a connection idle for $IDLE_TIMEOUT (default 10s; idle canaries meet this).
# All check $HEALTH_PATH (default /readyz). Scenarios, each trial with tests/support/vip_load_client
# running ($RATE fresh connections per second, default 50, from $CLIENTS concurrent clients, default
# 128 so that no request waits for a free client while many hang, each request bounded by
# $REQUEST_TIMEOUT, default 2s) through the row's address:
#   kill       master 2 gets SIGKILL (its port refuses), is restarted once the balancer had time to
#              take it out (interval + timeout + 1.5 s), and the trial ends once it serves again:
#              failed requests per crash and the client-visible outage;
#   blackhole  master 2 gets SIGSTOP (the kernel still accepts connections, nobody answers) for as
#              long, then SIGCONT: failed requests, and "to-victim": from the first to the last
#              request sent to it while stopped (the ids it serves on SIGCONT, with the client's
#              times), the issue's goal being the check timeout + 200 ms;
#   drop       master 2's namespace drops every packet to port 6443 (a host gone silent: SYNs never
#              answered) for as long, then accepts again: failed requests, and "to-victim": from the
#              first to the last request sent to it while dropping, known from the client's side
#              (timed out, or answered only after a SYN retransmission: 900 ms or more, where an
#              answer takes a few ms; a proxy that redispatches shows up the same way);
#   rolling    masters 1, 2, 3 in turn get SIGTERM (/readyz fails for $SHUTDOWN_DELAY, default 3s,
#              while they serve, then they close their listener) and are restarted 1 s after they
#              exit (not ready for the first second): failed requests (the goal is 0).
# Also per trial: the slowest answered request ("slowest": what a retrying proxy costs the clients it
# saves). After every trial each acknowledged request is looked up in the masters' logs ("lost":
# answered but never served; anything but 0 is a bug). $TRIALS (default 5) for kill and blackhole,
# $ROLLING_TRIALS (default 2) for rolling; $ROWS and $SCENARIOS choose (default: all). p50 and max
# per row and scenario in one table at the end; KEEP_LOGS=DIR keeps each row's balancer log there. Root only (exit 77 otherwise); everything runs in
# a private network namespace (unshare -n); every wait is bounded. A default run takes ~10 minutes.
set -euo pipefail
BUILD=$(readlink -f "${1:-build}")
TRIALS=${2:-${TRIALS:-5}}
ROLLING_TRIALS=${ROLLING_TRIALS:-2}
DATAPATH=${DATAPATH:-nftables}
if [[ $DATAPATH == ipvs ]]; then ROWS=${ROWS:-lvscare lvscare-5s haproxy keepalived}; else ROWS=${ROWS:-lvscare lvscare-5s haproxy}; fi
SCENARIOS=${SCENARIOS:-kill blackhole drop rolling}
RATE=${RATE:-50} CLIENTS=${CLIENTS:-128} REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-2s}
HEALTH_PATH=${HEALTH_PATH:-/readyz} SHUTDOWN_DELAY=${SHUTDOWN_DELAY:-3s} IDLE_TIMEOUT=${IDLE_TIMEOUT:-10s}
LVSCARE_EXTRA_FLAGS=${LVSCARE_EXTRA_FLAGS:-} LVSCARE_GO_EXTRA_FLAGS=${LVSCARE_GO_EXTRA_FLAGS:-}
LVSCARE=$(readlink -f "${LVSCARE:-$BUILD/src/cli/lvscare}") STANDIN=$BUILD/tests/support/apiserver_standin CLIENT=$BUILD/tests/support/vip_load_client
readonly VIP=10.103.97.2 VPORT=6443 NODE_IP=10.79.1.1 HAPROXY_ADDRESS=127.0.0.1:16443 VICTIM=2

[[ $(id -u) -eq 0 ]] || { echo "care_failover_load.sh: needs root" >&2; exit 77; }
for binary in "$LVSCARE" "$STANDIN" "$CLIENT"; do
  [[ -x $binary ]] || { echo "care_failover_load.sh: no $binary (build lvscare apiserver_standin vip_load_client)" >&2; exit 1; }
done
for tool in haproxy nft ip unshare; do command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 77; }; done
if [[ -z ${CARE_LOAD_NETNS:-} ]]; then
  exec unshare -n env CARE_LOAD_NETNS=1 TRIALS="$TRIALS" LVSCARE="$LVSCARE" "$0" "$BUILD"
fi

here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d /tmp/care-failover-load.XXXXXX)
log=$work/balancer.log
ok=0
# shellcheck source=../tests/integration/care/netns_test_lib.sh
source "$here/../tests/integration/care/netns_test_lib.sh"
balancer_pid="" client_pid=""
cleanup() {
  local status=$?
  set +e
  [[ -n $client_pid ]] && kill "$client_pid" 2> /dev/null
  [[ -n $balancer_pid ]] && kill "$balancer_pid" 2> /dev/null
  masters_cleanup
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  local f
  for f in "$log" "$work"/m[123].stderr; do [[ -e $f ]] && { echo "---- $f (last 15 lines):"; tail -n 15 "$f"; }; done
  exit 1
}

ip link set lo up
# On IPVS, conntrack (and so passive detection) sees IPVS connections only where conntrack runs in
# the namespace, as on any node (kube-proxy's and the CNI's rules); this fresh namespace has none
# unless NODE_CONNTRACK=1 (the default) adds one such rule. NODE_CONNTRACK=0 measures a bare host.
if [[ $DATAPATH == ipvs && ${NODE_CONNTRACK:-1} == 1 ]]; then
  nft -f - <<< "table ip node_conntrack { chain out { type filter hook output priority 0; ct state new counter; }; }"
  if [[ ${NODE_NAT:-0} == 1 ]]; then nft -f - <<< "table ip node_nat { chain post { type nat hook postrouting priority 100; }; }"; fi
fi
masters_setup
start_master() { master_start "$1" --shutdown-delay "$SHUTDOWN_DELAY" --idle-timeout "$IDLE_TIMEOUT" --startup-delay "${2:-0}"; }
for n in 1 2 3; do start_master "$n"; done

# ---- the balancers ---------------------------------------------------------------------------------
# start_row ROW: starts the row's balancer; sets target (the client's address) and settle_ms (how long
# it may take to take out a dead server: interval + check timeout + 1.5 s).
start_row() {
  : > "$log"
  case $1 in
    lvscare | lvscare-5s)
      # LVScare's settings: --interval 5 and its --health-timeout default (10 s, cut to the interval).
      local interval=1 timeout=1 extra=$LVSCARE_EXTRA_FLAGS
      if [[ $1 == lvscare-5s ]]; then interval=5 timeout=5 extra=$LVSCARE_GO_EXTRA_FLAGS; fi
      "$LVSCARE" care -C --vs "$VIP:$VPORT" --mode route --ip "$NODE_IP" --datapath "$DATAPATH" > /dev/null 2>&1 || true
      # shellcheck disable=SC2086  # the extra flags are words
      "$LVSCARE" care --vs "$VIP:$VPORT" --rs "${master_rs[1]}" --rs "${master_rs[2]}" --rs "${master_rs[3]}" \
        --health-schem http --health-path "$HEALTH_PATH" --interval "$interval" --health-timeout "${timeout}s" \
        --mode route --ip "$NODE_IP" --datapath "$DATAPATH" $extra >> "$log" 2>&1 &
      balancer_pid=$! target=$VIP:$VPORT settle_ms=$(((interval + timeout) * 1000 + 1500))
      row_description="lvscare --datapath $DATAPATH --interval $interval --health-timeout ${timeout}s $extra" ;;
    haproxy)
      cat > "$work/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout check 1s
  retries 3
  option redispatch
frontend vip
  bind $HAPROXY_ADDRESS
  default_backend masters
backend masters
  balance roundrobin
  option httpchk
  http-check send meth GET uri $HEALTH_PATH
  server m1 ${master_rs[1]} check inter 1s fall 1 rise 1
  server m2 ${master_rs[2]} check inter 1s fall 1 rise 1
  server m3 ${master_rs[3]} check inter 1s fall 1 rise 1
EOF
      haproxy -db -f "$work/haproxy.cfg" >> "$log" 2>&1 &
      balancer_pid=$! target=$HAPROXY_ADDRESS settle_ms=$(((1 + 1) * 1000 + 1500))
      row_description="haproxy, tcp mode, httpchk inter 1s fall 1 rise 1, timeout connect 1s, retries 3, redispatch" ;;
    keepalived)
      # IPVS programmed by keepalived; the VIP on lo so that this namespace's own connections to it
      # pass IPVS (the masters route their answers back through 10.79.N.1).
      masters_keepalived_conf lvscare_failover_load "$HEALTH_PATH" > "$work/keepalived.conf"
      ip addr add "$VIP/32" dev lo
      keepalived --dont-fork --log-console --check --use-file "$work/keepalived.conf" --pid "$work/keepalived.pid" \
        --checkers_pid "$work/checkers.pid" >> "$log" 2>&1 &
      balancer_pid=$! target=$VIP:$VPORT settle_ms=$(((1 + 1) * 1000 + 1500))
      row_description="keepalived on IPVS, HTTP_GET delay_loop 1 connect_timeout 1 retry 0" ;;
    *) echo "unknown row $1 (lvscare, lvscare-5s, haproxy, keepalived)" >&2; exit 2 ;;
  esac
}
# Waits (at most 30 s) until a short burst through $target is answered whole, by all three masters.
row_serves() {
  "$CLIENT" --target "$target" --rate 30 --clients 4 --timeout 1s --duration 300ms > "$work/warmup.out" 2>&1 &&
    grep -q " failed=0 " "$work/warmup.out" && grep -q "answered by: m1 [0-9]* m2 [0-9]* m3 " "$work/warmup.out"
}
wait_row_ready() { wait_for 30 row_serves || fail "$target does not serve through all three masters: $(cat "$work/warmup.out")"; }
stop_row() {
  kill "$balancer_pid" 2> /dev/null || true
  wait "$balancer_pid" 2> /dev/null || true
  balancer_pid=""
  if [[ -n ${KEEP_LOGS:-} ]]; then
    cp "$log" "$KEEP_LOGS/$1.log"
    { conntrack -S; nstat -az; nft list ruleset; } > "$KEEP_LOGS/$1.counters" 2>&1 || true
  fi
  if [[ $1 == keepalived ]]; then
    ip addr del "$VIP/32" dev lo
    ipvsadm -C
  fi
}

# ---- one trial ---------------------------------------------------------------------------------
next_id=1000000
# start_load: the client load of one trial, ids from $first_id on.
start_load() {
  first_id=$next_id next_id=$((next_id + 1000000))
  load_start_ms=$(now_ms)
  "$CLIENT" --target "$target" --rate "$RATE" --clients "$CLIENTS" --timeout "$REQUEST_TIMEOUT" --first-id "$first_id" \
    --duration 600s --results "$work/results" --acked "$work/acked" > "$work/client.out" 2> "$work/client.err" &
  client_pid=$!
  # Every master in rotation before the fault (a slow rise after the last trial's restart).
  for n in 1 2 3; do wait_for 30 master_served "$n" "$first_id" || fail "master $n gets no requests through $target"; done
  sleep 0.5
}
stop_load() {
  kill "$client_pid"
  wait "$client_pid" || fail "the load client failed: $(cat "$work/client.err")"
  client_pid=
}
# The id the client sends now (its requests go out at $RATE per second from $load_start_ms).
id_now() { echo $((first_id + ($(now_ms) - load_start_ms) * RATE / 1000)); }
# Waits until master $1 serves requests sent after it came back.
wait_back() {
  local since; since=$(($(id_now) + RATE / 5))
  wait_for 40 master_served "$1" "$since" || fail "master $1 gets no requests 40 s after it came back"
}
summary_field() { grep -o " $1=[0-9.]*" "$work/client.out" | cut -d= -f2; }

trial_kill() {
  fault_us=$EPOCHREALTIME
  kill -KILL "${master_pid[VICTIM]}"
  wait "${master_pid[VICTIM]}" 2> /dev/null || true
  sleep "$(awk -v ms="$settle_ms" 'BEGIN { print ms / 1000 }')"
  start_master "$VICTIM" 1s
  wait_back "$VICTIM"
}
trial_blackhole() {
  local stop_us=$EPOCHREALTIME
  fault_us=$stop_us
  kill -STOP "${master_pid[VICTIM]}"
  sleep "$(awk -v ms="$settle_ms" 'BEGIN { print ms / 1000 }')"
  local cont_us=$EPOCHREALTIME
  kill -CONT "${master_pid[VICTIM]}"
  wait_back "$VICTIM"
  stop_us=${stop_us/./} cont_us=${cont_us/./}
  blackhole_window=("$stop_us" "$cont_us")
}
readonly DROP_TABLE=lvscare_bench_drop
trial_drop() {
  local start_us=$EPOCHREALTIME
  fault_us=$start_us
  ip netns exec "${master_ns[VICTIM]}" nft -f - <<< "table ip $DROP_TABLE {
    chain input { type filter hook input priority -300; policy accept; tcp dport $VPORT drop; }; }"
  sleep "$(awk -v ms="$settle_ms" 'BEGIN { print ms / 1000 }')"
  local end_us=$EPOCHREALTIME
  ip netns exec "${master_ns[VICTIM]}" nft delete table ip "$DROP_TABLE"
  wait_back "$VICTIM"
  start_us=${start_us/./} end_us=${end_us/./}
  blackhole_window=("$start_us" "$end_us")
}
master_exited() { ! kill -0 "${master_pid[$1]}" 2> /dev/null; }
trial_rolling() {
  local n
  fault_us=$EPOCHREALTIME
  for n in 1 2 3; do
    kill -TERM "${master_pid[n]}"
    wait_for 60 master_exited "$n" || fail "master $n still runs 60 s after SIGTERM"
    wait "${master_pid[n]}" 2> /dev/null || true
    sleep 1
    start_master "$n" 1s
    wait_back "$n"
  done
}

# From the first to the last request the victim served (on SIGCONT) that was sent while it was
# stopped, in ms: how long the balancer kept sending new connections to a black hole.
to_victim_ms() {
  awk -v f="$first_id" -v a="${blackhole_window[0]}" -v b="${blackhole_window[1]}" '
    FILENAME == ARGV[1] { start[$1] = $2; next }
    $2 == "m'"$VICTIM"'" && ($1 in start) && start[$1] >= a && start[$1] < b {
      if (first == "" || start[$1] < first) first = start[$1]
      if (start[$1] > last) last = start[$1]
    }
    END { print first == "" ? 0 : int((last - first) / 1000) }' "$work/results" "$work/m$VICTIM.log"
}

# The same for a dropping victim, from the client's results: the requests started while it dropped
# that timed out or were answered only after 900 ms (a SYN retransmission, or a proxy's redispatch).
to_victim_drop_ms() {
  awk -v a="${blackhole_window[0]}" -v b="${blackhole_window[1]}" '
    $2 >= a && $2 < b && ($4 == "timeout" || $3 >= 900000) {
      if (first == "" || $2 < first) first = $2
      if ($2 > last) last = $2
    }
    END { print first == "" ? 0 : int((last - first) / 1000) }' "$work/results"
}

# The failed requests of a trial, "<outcome>@<ms from the fault>" each (at most 8): whether they fell
# at the fault or at the victim's return tells a slow take-out from a bad re-add.
failed_at() {
  awk -v f="${fault_us/./}" '$4 != "ok" { printf "%s%s@%+d", n++ ? " " : "", $4, int(($2 - f) / 1000) }
    n == 8 { exit }' "$work/results"
}

declare -A figures=()  # "<row> <scenario> <measure>" -> values, one per trial
record() { figures["$1 $2 $3"]+="$4 "; }

run_trials() { # row scenario count
  local row=$1 scenario=$2 count=$3 t
  for ((t = 1; t <= count; t++)); do
    start_load
    "trial_$scenario"
    stop_load
    local failed outage slowest lost extra=""
    failed=$(summary_field failed) outage=$(summary_field outage_ms) slowest=$(summary_field max_ms)
    lost=$(acked_not_served "$work/acked")
    record "$row" "$scenario" failed "$failed"
    record "$row" "$scenario" slowest "${slowest%.*}"
    record "$row" "$scenario" outage "${outage%.*}"
    record "$row" "$scenario" lost "$lost"
    if [[ $scenario == blackhole || $scenario == drop ]]; then
      local victim_ms
      if [[ $scenario == drop ]]; then victim_ms=$(to_victim_drop_ms); else victim_ms=$(to_victim_ms); fi
      record "$row" "$scenario" to_victim "$victim_ms"
      extra=", to victim for $victim_ms ms"
    fi
    ((failed > 0)) && extra+="; failed at (ms from the fault) $(failed_at)"
    say "$row $scenario trial $t: $(sed -n 1p "$work/client.out")$extra; slowest answer $slowest ms; lost $lost"
  done
}

say "lvscare $("$LVSCARE" version 2>&1 | tr -d '\n' | cut -c1-120); $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3)"
say "masters ${master_rs[*]}; rows: $ROWS; scenarios: $SCENARIOS; $RATE new connections/s from $CLIENTS clients," \
  "timeout $REQUEST_TIMEOUT, health path $HEALTH_PATH, shutdown delay $SHUTDOWN_DELAY"
for row in $ROWS; do
  start_row "$row"
  say "row $row: $row_description"
  wait_row_ready
  for scenario in $SCENARIOS; do
    count=$TRIALS
    [[ $scenario == rolling ]] && count=$ROLLING_TRIALS
    run_trials "$row" "$scenario" "$count"
  done
  stop_row "$row"
done

# ---- the table ---------------------------------------------------------------------------------
p50_max() { # values... -> "p50/max"
  [[ $# -gt 0 ]] || { echo "-"; return; }
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d/%d", v[int((NR + 1) / 2)], v[NR] }'
}
sum() { local total=0 v; for v in "$@"; do total=$((total + v)); done; echo "$total"; }
echo
echo "failover under load: $RATE new connections/s, $CLIENTS clients, request timeout $REQUEST_TIMEOUT;" \
  "p50/max over trials; outage, to-victim and slowest answer in ms; lost summed over trials"
printf '%-11s %-10s %6s %15s %15s %18s %15s %5s\n' row scenario trials "failed p50/max" "outage p50/max" \
  "to-victim p50/max" "slowest p50/max" lost
for row in $ROWS; do
  for scenario in $SCENARIOS; do
    # shellcheck disable=SC2206  # the values are words
    failed=(${figures["$row $scenario failed"]:-}) outage=(${figures["$row $scenario outage"]:-}) \
      victim=(${figures["$row $scenario to_victim"]:-}) lost=(${figures["$row $scenario lost"]:-}) \
      slowest=(${figures["$row $scenario slowest"]:-})
    printf '%-11s %-10s %6d %15s %15s %18s %15s %5d\n' "$row" "$scenario" "${#failed[@]}" "$(p50_max "${failed[@]}")" \
      "$(p50_max "${outage[@]}")" "$(p50_max "${victim[@]}")" "$(p50_max "${slowest[@]}")" "$(sum "${lost[@]}")"
  done
done
ok=1
