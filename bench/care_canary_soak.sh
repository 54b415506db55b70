#!/usr/bin/env bash
# False removals and the canary's cost over a long run (issue 15: "false removals in an hour with
# servers that close idle connections every few seconds (goal 0); CPU and RSS with canaries on and
# off").
#
#   bench/care_canary_soak.sh [build dir] [seconds]
#
# Three kube-apiserver stand-ins (tests/support/apiserver_standin, plain HTTP) in network namespaces
# of their own behind veth pairs, 10.79.N.2:6443, each closing any connection idle for $IDLE_TIMEOUT
# (default 2s): every canary is closed by its server every 2 s. Nothing fails. Two lvscare in the same
# run, side by side over the same three masters, each with its own VIP:
#   canary     lvscare care --interval 1 --health-timeout 1s --canary, VIP 10.103.97.2:6443
#   no-canary  the same without --canary,                          VIP 10.103.97.3:6443
# both with passive detection (the default) and a light client load through each VIP
# (tests/support/vip_load_client, $RATE fresh connections per second, default 10, 2 s timeout) so the
# conntrack evidence has input too. Over SECONDS (default 3600) it counts, per lvscare, the real
# servers taken out (every phase change away from active: all false, the servers never fail), the
# evidence acted on, ignored and unconfirmed (refusals a confirming connect found false), the
# canaries' opens, closes and deaths (from /metrics), the client's
# failed requests, and CPU (utime + stime) and RSS (VmRSS, VmHWM) from /proc. A progress line every
# $REPORT_EVERY seconds (default 300). Root only (exit 77 otherwise); everything runs in a private
# network namespace (unshare -n); every wait is bounded.
set -euo pipefail
BUILD=$(readlink -f "${1:-build}")
DURATION=${2:-${DURATION:-3600}}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-2s} RATE=${RATE:-10} REPORT_EVERY=${REPORT_EVERY:-300}
LVSCARE=$(readlink -f "${LVSCARE:-$BUILD/src/cli/lvscare}") STANDIN=$BUILD/tests/support/apiserver_standin
CLIENT=$BUILD/tests/support/vip_load_client
readonly VPORT=6443 NODE_IP=10.79.1.1 ROWS="canary no-canary"
declare -A row_vip=([canary]=10.103.97.2 [no-canary]=10.103.97.3)
declare -A row_metrics=([canary]=10271 [no-canary]=10272)

[[ $(id -u) -eq 0 ]] || { echo "care_canary_soak.sh: needs root" >&2; exit 77; }
[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || { echo "care_canary_soak.sh: seconds: a positive number" >&2; exit 2; }
for binary in "$LVSCARE" "$STANDIN" "$CLIENT"; do
  [[ -x $binary ]] || { echo "care_canary_soak.sh: no $binary (build lvscare apiserver_standin vip_load_client)" >&2; exit 1; }
done
for tool in ip unshare; do command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 77; }; done
if [[ -z ${CARE_SOAK_NETNS:-} ]]; then
  exec unshare -n env CARE_SOAK_NETNS=1 DURATION="$DURATION" LVSCARE="$LVSCARE" "$0" "$BUILD"
fi

here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d /tmp/care-canary-soak.XXXXXX)
log=$work/canary.log
ok=0
# shellcheck source=../tests/integration/care/netns_test_lib.sh
source "$here/../tests/integration/care/netns_test_lib.sh"
declare -A care_pid=() client_pid=()
cleanup() {
  local status=$? pid
  set +e
  for pid in "${client_pid[@]}" "${care_pid[@]}"; do kill "$pid" 2> /dev/null; done
  masters_cleanup
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() {
  say "FAIL: $*"
  local row
  for row in $ROWS; do echo "---- $row log (last 15 lines):"; tail -n 15 "$work/$row.log"; done
  exit 1
}

ip link set lo up
masters_setup
for n in 1 2 3; do master_start "$n" --idle-timeout "$IDLE_TIMEOUT"; done

# The /metrics text of row $1's lvscare (bash's /dev/tcp: no client to install), bounded by 5 s.
metrics_of() {
  timeout 5 bash -c 'exec 3<> /dev/tcp/127.0.0.1/$1; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; cat <&3' _ \
    "${row_metrics[$1]}" 2> /dev/null || true
}
# The sum of the samples of family $2 in metrics text $1 whose labels contain $3 (default: all).
metric_sum() { awk -v family="$2" -v match_="${3:-}" 'index($0, family "{") == 1 && index($0, match_) { s += $NF }
  END { print s + 0 }' <<< "$1"; }
# utime + stime of pid $1 in clock ticks; VmRSS and VmHWM in kB.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
memory_of() { awk '/^VmRSS|^VmHWM/ { printf "%s %s kB ", $1, $2 }' "/proc/$1/status"; }
row_serves() { [[ $(VIP=${row_vip[$1]} weights_of_masters) == "1 1 1" ]]; }
weights_of_masters() { local n out=""; for n in 1 2 3; do out+="$(weight "${master_rs[n]}") "; done; echo "${out% }"; }

for row in $ROWS; do
  flags=(--interval 1 --health-timeout 1s)
  [[ $row == canary ]] && flags+=(--canary)
  "$LVSCARE" care --vs "${row_vip[$row]}:$VPORT" --rs "${master_rs[1]}" --rs "${master_rs[2]}" --rs "${master_rs[3]}" \
    --health-schem http --health-path /readyz --mode route --ip "$NODE_IP" --datapath nftables \
    --metrics-bind-address "127.0.0.1:${row_metrics[$row]}" "${flags[@]}" > "$work/$row.log" 2>&1 &
  care_pid[$row]=$!
  say "row $row: lvscare care --vs ${row_vip[$row]}:$VPORT ${flags[*]} (pid ${care_pid[$row]})"
done
for row in $ROWS; do
  VIP=${row_vip[$row]} wait_for 30 row_serves "$row" || fail "$row: the three masters are not in rotation after 30 s"
done
for row in $ROWS; do
  "$CLIENT" --target "${row_vip[$row]}:$VPORT" --rate "$RATE" --clients 8 --timeout 2s --duration "${DURATION}s" \
    > "$work/$row.client" 2> "$work/$row.client.err" &
  client_pid[$row]=$!
done
sleep 2
declare -A ticks0=()
for row in $ROWS; do ticks0[$row]=$(cpu_ticks "${care_pid[$row]}"); done
started=$(now_ms)
clk_tck=$(getconf CLK_TCK)

# One line per row: what it did since the start.
report() {
  local row text took cpu
  took=$((($(now_ms) - started) / 1000))
  for row in $ROWS; do
    kill -0 "${care_pid[$row]}" 2> /dev/null || fail "$row: lvscare exited"
    text=$(metrics_of "$row")
    cpu=$(awk -v t="$(cpu_ticks "${care_pid[$row]}")" -v t0="${ticks0[$row]}" -v hz="$clk_tck" -v s="$took" \
      'BEGIN { printf "%.3f s (%.4f s per 10 s)", (t - t0) / hz, (s > 0 ? (t - t0) / hz * 10 / s : 0) }')
    printf '%-10s after %5d s: out of rotation %d, evidence acted %d ignored %d unconfirmed %d, canary opened %d closed %d deaths %d; cpu %s; %s\n' \
      "$row" "$took" "$(metric_sum "$text" lvscare_state_transitions_total 'from="active"')" \
      "$(metric_sum "$text" lvscare_evidence_total 'outcome="acted"')" \
      "$(metric_sum "$text" lvscare_evidence_total 'outcome="ignored"')" \
      "$(metric_sum "$text" lvscare_evidence_total 'outcome="unconfirmed"')" \
      "$(metric_sum "$text" lvscare_canary_events_total 'event="opened"')" \
      "$(metric_sum "$text" lvscare_canary_events_total 'event="closed"')" \
      "$(metric_sum "$text" lvscare_canary_events_total 'event="death"')" "$cpu" "$(memory_of "${care_pid[$row]}")"
  done
}

say "$DURATION s, masters close connections idle for $IDLE_TIMEOUT, $RATE new connections/s through each VIP"
deadline=$((started + DURATION * 1000))
while :; do
  left=$(((deadline - $(now_ms)) / 1000))
  ((left > 0)) || break
  sleep $((left < REPORT_EVERY ? left : REPORT_EVERY))
  ((left > REPORT_EVERY)) || break
  say "progress"
  report
done
for row in $ROWS; do
  wait "${client_pid[$row]}" || fail "$row: the load client failed: $(cat "$work/$row.client.err")"
  unset "client_pid[$row]"
done
echo
echo "canary soak: $DURATION s, masters close idle connections after $IDLE_TIMEOUT; 'out of rotation' counts every" \
  "change away from active (all of them false: no master ever failed)"
report
for row in $ROWS; do echo "$row client: $(grep '^summary' "$work/$row.client")"; done
ok=1
