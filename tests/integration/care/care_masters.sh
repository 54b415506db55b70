#!/usr/bin/env bash
# Three kube-apiserver stand-ins behind the VIP on the nftables datapath, with clients (issue 13):
#
#   care_masters.sh <lvscare> <apiserver_standin> <vip_load_client>
#
# The masters (tests/support/apiserver_standin, plain HTTP) run in network namespaces of their own
# behind veth pairs (netns_test_lib.sh: 10.79.N.2:6443); lvscare keeps 10.103.97.2:6443 in route mode
# with --interval 1 --health-timeout 1s --health-path /readyz. While vip_load_client sends 50 fresh
# connections per second through the VIP, checked with generous bounds:
#   1. the VIP serves through all three masters;
#   2. master 2 killed with SIGKILL leaves the nftables table (or is at weight 0) and gets no more
#      requests; restarted, it is back at weight 1 and serves again;
#   3. every request a client saw acknowledged is in the log of the master that answered it.
# How many requests failed around the crash is printed, not asserted: that is a benchmark figure
# (bench/care_failover_load.sh). Runs in a network namespace of its own (re-executes itself under
# `unshare -n`). Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 <lvscare> <apiserver_standin> <vip_load_client>" >&2; exit 2; }
LVSCARE=$(readlink -f "$1") STANDIN=$(readlink -f "$2") CLIENT=$(readlink -f "$3")
readonly LVSCARE STANDIN CLIENT VIP=10.103.97.2 VPORT=6443 NODE_IP=10.79.1.1
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${CARE_MASTERS_NETNS:-} ]]; then exec unshare -n env CARE_MASTERS_NETNS=1 "$0" "$@"; fi
for tool in ip nft unshare; do command -v "$tool" > /dev/null || skip "needs $tool"; done

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=netns_test_lib.sh
source "$here/netns_test_lib.sh"
work=$(mktemp -d /tmp/care-masters.XXXXXX)
log=$work/lvscare.log
care_pid="" client_pid=""
ok=0
cleanup() {
  local status=$?
  set +e
  [[ -n $client_pid ]] && kill -9 "$client_pid" 2> /dev/null
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  masters_cleanup
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() { fail_with_state 40 "$@"; }
readonly TABLE=lvscare_tcp_${VIP}_${VPORT}
# True when master $1 is in our table with a weight above 0.
# (The table is read whole first: grep -q would end the pipe early, and pipefail make that a "no".)
in_rotation() {
  local table; table=$(nft list table ip "$TABLE" 2> /dev/null) || return 1
  grep -q "rs ${master_rs[$1]//./\\.} weight [1-9]" <<< "$table"
}
out_of_rotation() { ! in_rotation "$1"; }

ip link set lo up
masters_setup
for n in 1 2 3; do master_start "$n" --shutdown-delay 2s; done
"$LVSCARE" care --vs "$VIP:$VPORT" --rs "${master_rs[1]}" --rs "${master_rs[2]}" --rs "${master_rs[3]}" \
  --health-schem http --health-path /readyz --interval 1 --health-timeout 1s --mode route --ip "$NODE_IP" \
  --datapath nftables --logger DEBG > "$log" 2>&1 &
care_pid=$!
for n in 1 2 3; do wait_for 15 in_rotation "$n" || fail "master $n not at weight 1 after 15 s"; done

"$CLIENT" --target "$VIP:$VPORT" --rate 50 --clients 16 --timeout 2s --duration 60s --first-id 1 \
  --acked "$work/acked" --results "$work/results" > "$work/client.out" 2> "$work/client.err" &
client_pid=$!
began=$(now_ms)
# The id the client sends now: 50 per second from $began.
id_now() { echo $((1 + ($(now_ms) - began) * 50 / 1000)); }

say "1. the VIP serves through all three masters"
for n in 1 2 3; do wait_for 10 master_served "$n" 1 || fail "master $n served no request through the VIP in 10 s"; done

say "2. master 2 killed: out of rotation, then back"
kill -KILL "${master_pid[2]}"
killed=$(now_ms)
wait "${master_pid[2]}" 2> /dev/null || true
wait_for 10 out_of_rotation 2 || fail "master 2 still in rotation 10 s after SIGKILL"
say "out of rotation after $(($(now_ms) - killed)) ms"
master_start 2 --startup-delay 500ms
wait_for 15 in_rotation 2 || fail "master 2 not back in rotation 15 s after its restart"
since=$(id_now)
wait_for 10 master_served 2 "$since" || fail "master 2 back in rotation but serves no request in 10 s"
say "back and serving"
sleep 1  # some more requests through all three

say "3. nothing acknowledged was lost"
kill -TERM "$client_pid"
wait "$client_pid" || fail "load client: $(cat "$work/client.err")"
client_pid=""
cat "$work/client.out"
grep -q "^summary requests=" "$work/client.out" || fail "no summary from the load client"
acked=$(wc -l < "$work/acked")
((acked >= 50)) || fail "only $acked acknowledged requests"
lost=$(acked_not_served "$work/acked")
((lost == 0)) || fail "$lost acknowledged requests are in no master's log"
say "PASS: $acked acknowledged requests, all served"
ok=1
