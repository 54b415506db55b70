#!/usr/bin/env bash
# The k3s case of issue 11, end to end on the nftables datapath:
#
#   fail_open_k3s.sh <lvscare binary>
#
# Two "masters" (busybox httpd behind basic auth, so /healthz answers 401 like a k3s apiserver
# with anonymous auth off) in network namespaces of their own behind veth pairs (10.77.N.2:6443);
# lvscare keeps 10.103.97.2:6443 in route mode with --ip 10.77.1.1. Checked with nft and curl:
#   1. --run-once programs both at weight 1 (fail-open), says why each failed, exits 0, and a
#      request through the VIP reaches a master (it answers 401: the connection got there);
#   2. --run-once --fail-open=false (LVScare's strict behaviour) programs none and exits 0;
#   3. the daemon keeps both at weight 1 while they fail; traffic flows through the VIP;
#   4. master 1 starts passing (no auth): fail-open ends, master 1 stays, master 2 is removed;
#   5. -C leaves nothing of ours.
# Runs in a network namespace of its own (re-executes itself under `unshare -n`); every wait is
# bounded. Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 <lvscare>" >&2; exit 2; }
readonly LVSCARE=$1 VIP=10.103.97.2 VPORT=6443 VS=10.103.97.2:6443 NODE_IP=10.77.1.1
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${FAIL_OPEN_NETNS:-} ]]; then exec unshare -n env FAIL_OPEN_NETNS=1 "$0" "$@"; fi
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=/usr/bin/busybox
[[ -x $busybox ]] || skip "needs busybox (busybox-static) for httpd"
for tool in curl ip nft unshare; do command -v "$tool" > /dev/null || skip "needs $tool"; done

source "$(dirname "$0")/netns_test_lib.sh"
work=$(mktemp -d /tmp/fail-open-k3s.XXXXXX)
log=$work/lvscare.log
care_pid=
declare -a server_pid=() server_ns=() rs=()
ok=0
cleanup() {
  local status=$?
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  for pid in "${server_pid[@]}"; do kill "$pid" 2> /dev/null; done
  del_peer_netns "${server_ns[@]}"
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() { fail_with_state 60 "$@"; }
nft_table=lvscare_tcp_${VIP}_${VPORT}
weight() { rs_weight "$nft_table" "$1"; }
has_weight() { [[ $(weight "$1") == "$2" ]]; }
weights() { echo "${rs[0]}=$(weight "${rs[0]}") ${rs[1]}=$(weight "${rs[1]}")"; }
# The HTTP status of one request through the VIP ("000": no connection).
through_vip() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$VIP:$VPORT/healthz" 2> /dev/null || true; }

ip link set lo up
start_server() { # index, auth (1: every path answers 401)
  local i=$1 dir=$work/www$1
  mkdir -p "$dir"
  echo ok > "$dir/healthz"
  : > "$work/httpd$i.conf"
  (($2)) && echo "/:admin:secret" > "$work/httpd$i.conf"
  ip netns exec "${server_ns[$i]}" "$busybox" httpd -f -p "${rs[$i]}" -h "$dir" -c "$work/httpd$i.conf" &
  server_pid[$i]=$!
}
for i in 0 1; do
  n=$((i + 1)) ns=fo-srv$n-$$
  server_ns[$i]=$ns
  add_peer_netns "$ns" fo-v$n 10.77.$n.1/24 10.77.$n.2/24
  rs[$i]=10.77.$n.2:$VPORT
  start_server "$i" 1
done
direct() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/healthz" 2> /dev/null || true; }
wait_for 5 eval '[[ $(direct "${rs[0]}") == 401 && $(direct "${rs[1]}") == 401 ]]' || fail "masters do not answer 401"
say "both masters answer /healthz with 401"

# sealctl ipvs as Sealos runs it before a join (route mode, the node IP given), on nftables here.
care_args=(care --vs "$VS" --rs "${rs[0]}" --rs "${rs[1]}" --health-path /healthz --health-schem http
           --interval 1 --health-timeout 1s --datapath nftables --ip "$NODE_IP")

# --- 1. --run-once fails open -----------------------------------------------------------------
"$LVSCARE" "${care_args[@]}" --run-once >> "$log" 2>&1 || fail "--run-once exited $?"
has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" 1 || fail "--run-once did not program both at weight 1: $(weights)"
for r in "${rs[@]}"; do
  grep -q "fail-open vs=$VS rs=$r phase=removed failed=\"HTTP 401\"" "$log" || fail "no line saying why $r failed"
done
grep -q "fail-open vs=$VS servers=2 reason=" "$log" || fail "no line saying lvscare fails open"
code=$(through_vip)
[[ $code == 401 ]] || fail "a request through the VIP got $code, want the masters' 401"
say "--run-once: exit 0, both at weight 1 ($(weights)), a request through the VIP reaches a master (401)"

# --- 2. strict --------------------------------------------------------------------------------
"$LVSCARE" care --vs "$VS" -C --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"
"$LVSCARE" "${care_args[@]}" --run-once --fail-open=false >> "$log" 2>&1 || fail "strict --run-once exited $?"
has_weight "${rs[0]}" absent && has_weight "${rs[1]}" absent || fail "strict --run-once programmed: $(weights)"
say "--run-once --fail-open=false: exit 0, no real server ($(weights)), as Go LVScare"
"$LVSCARE" care --vs "$VS" -C --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"

# --- 3. the daemon keeps traffic flowing --------------------------------------------------------
"$LVSCARE" "${care_args[@]}" >> "$log" 2>&1 &
care_pid=$!
wait_for 10 eval 'has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" 1' || fail "daemon: not both at weight 1: $(weights)"
sleep 3  # three more failing rounds
has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" 1 || fail "daemon: fail-open not kept: $(weights)"
codes=""
for _ in 1 2 3 4; do codes+="$(through_vip) "; done
[[ $codes == "401 401 401 401 " ]] || fail "daemon: requests through the VIP got: $codes"
say "daemon: both kept at weight 1 while failing; 4 requests through the VIP: $codes"

# --- 4. one master passes: the usual rules again -----------------------------------------------
kill "${server_pid[0]}"; wait "${server_pid[0]}" 2> /dev/null || true
start_server 0 0
wait_for 10 eval 'has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" absent' || fail "fail-open did not end: $(weights)"
grep -q "fail-open vs=$VS ended rs=${rs[0]}" "$log" || fail "no line saying fail-open ended"
code=$(through_vip)
[[ $code == 200 ]] || fail "after recovery a request through the VIP got $code"
say "master 1 passes: fail-open ended ($(weights)), requests go to it (200)"

# --- 5. -C ------------------------------------------------------------------------------------
kill "$care_pid"; wait "$care_pid" 2> /dev/null || true
care_pid=
"$LVSCARE" care --vs "$VS" -C --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"
! nft list ruleset | grep -q "table ip lvscare_" || fail "-C left a table"
say "-C: nothing of ours left"
ok=1
