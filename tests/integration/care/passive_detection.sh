#!/usr/bin/env bash
# Passive detection on the nftables datapath (issue 13), end to end:
#
#   passive_detection.sh <lvscare binary> [nftables|ipvs]
#
# On IPVS (in the test VM) lvscare sets net.ipv4.vs.conntrack=1 so that IPVS connections show in
# conntrack's events. Conntrack itself runs in a network namespace only once a rule needs it (on a
# node: kube-proxy's and the CNI's rules; link mode's masquerade); this fresh namespace in route
# mode has none, so the test adds one rule that counts new connections, as a node has.
# lvscare adds a NAT hook there (nftables/nat_hook_ruleset.hpp) and repairs it when deleted.
# Three busybox httpd servers in network namespaces of their own behind veth pairs (10.79.N.2:80),
# lvscare keeping 10.103.98.1:80 in route mode with --interval 30, so that within the test only
# the conntrack events it watches can act (the first check round is at start, the next 30 s
# later). Checked with nft and curl:
#   0a. a client through the VIP and a direct connection from the same address and port (as a
#      check's) both get through: conntrack resolves their entries' collision;
#   0. a refusal of one client only (server 1 resets SYNs from a few source ports, as a TIME_WAIT
#      left from an earlier connection with the same ports makes it look): the confirming connect
#      gets through, so the server stays (the evidence is counted unconfirmed);
#   1. a killed server: a client's connection through the VIP is refused, and the server is
#      removed at once (no weight-0 step), long before the next check;
#   2. a black-holed server (its netns drops the port): a client's SYN goes unanswered, and the
#      server gets weight 0 (then the confirming check removes it);
#   3. the last active server black-holed too: evidence never empties the VIP; it keeps weight 1;
#   4. -C leaves nothing of ours.
# Runs in a network namespace of its own (re-executes itself under `unshare -n`); every wait is
# bounded. Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 <lvscare> [nftables|ipvs]" >&2; exit 2; }
readonly WAIT=${PASSIVE_WAIT:-5}  # seconds for each wait; more in the emulated VM
readonly LVSCARE=$1 DATAPATH=${2:-nftables} VIP=10.103.98.1 VPORT=80 VS=10.103.98.1:80 NODE_IP=10.79.1.1
source "$(dirname "$0")/netns_test_lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${PASSIVE_NETNS:-} ]]; then exec unshare -n env PASSIVE_NETNS=1 "$0" "$@"; fi
find_busybox
[[ $DATAPATH == nftables ]] || command -v ipvsadm > /dev/null || skip "needs ipvsadm"
for tool in curl ip nft python3 unshare; do command -v "$tool" > /dev/null || skip "needs $tool"; done
begin_server_test passive-detection
fail() { fail_with_state 60 "$@"; }
# $1 requests through the VIP, each on a fresh connection, at most 2 s each.
requests() { for ((n = 0; n < $1; n++)); do curl -s -o /dev/null --max-time 2 "http://$VS/" 2> /dev/null || true; done; }
# Drops the port in server $1's namespace: SYNs to it go unanswered.
black_hole() {
  ip netns exec "${server_ns[$1]}" nft -f - <<< "table inet blackhole { chain drop_port { type filter hook input priority 0; tcp dport $VPORT drop; }; }"
}

ip link set lo up
if [[ $DATAPATH == ipvs ]]; then
  nft -f - <<< "table ip node_conntrack { chain out { type filter hook output priority 0; ct state new counter; }; }"
fi
# lvscare's first check is its only one for 30 s: the servers must answer before it starts.
start_three_http_servers pd "$WAIT" 79 "$VPORT"

"$LVSCARE" care --vs "$VS" --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http --health-path / \
  --interval 30 --health-timeout 1s --datapath "$DATAPATH" --ip "$NODE_IP" --logger DEBG \
  --metrics-bind-address "" >> "$log" 2>&1 &
care_pid=$!
wait_for "$WAIT" eval 'has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" 1 && has_weight "${rs[2]}" 1' \
  || fail "not all three at weight 1: $(weights)"
grep -q "passive detection on source=conntrack" "$log" || fail "passive detection did not start"
if [[ $DATAPATH == ipvs ]]; then  # IPVS connections tracked, nothing else registers NAT: the hook
  nft list table ip "lvscare_nathook_$VIP" > /dev/null 2>&1 || fail "no NAT hook table on IPVS"
  nft delete table ip "lvscare_nathook_$VIP"
  wait_for "$WAIT" eval 'nft list table ip "lvscare_nathook_$VIP" > /dev/null 2>&1' || fail "the deleted NAT hook is not back"
else  # nftables' DNAT registers NAT itself
  ! nft list table ip "lvscare_nathook_$VIP" > /dev/null 2>&1 || fail "a NAT hook table on nftables"
fi
say "all three at weight 1; passive detection on"

# --- 0a. a client and a check from the same address and port: both get through ----------------
# With IPVS connections in conntrack, a client's connection through the VIP from the node's port P
# to server i leaves an entry whose reply tuple (server i -> node:P) is also the reply tuple of a
# direct connection from port P to server i, as lvscare's checks and canaries open. Without a NAT
# hook in the namespace conntrack drops the second one's SYNs (insert_failed) for as long as the
# first entry lives (two minutes after a close): a check that times out, or a client's connect.
# The client ends with a reset (SO_LINGER 0), so that no TIME_WAIT socket holds the port; its
# entry stays, in state CLOSE, for 10 s.
served_by=$(python3 - "$NODE_IP" "$VIP" "$VPORT" << 'PY'
import socket, struct, sys
node, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket()
s.settimeout(2)
s.bind((node, 41000))
s.connect((vip, port))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
answer = b""
while b"server" not in answer:
    chunk = s.recv(4096)
    if not chunk: break
    answer += chunk
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print(answer.split(b"server ")[-1].split()[0].decode() if b"server " in answer else "none")
PY
) || fail "no answer through the VIP from port 41000"
[[ $served_by =~ ^[012]$ ]] || fail "unexpected answer through the VIP from port 41000: $served_by"
curl -sS -o /dev/null --max-time 3 --interface "$NODE_IP" --local-port 41000 "http://${rs[served_by]}/" 2>> "$log" \
  || fail "a direct connection from port 41000 to ${rs[served_by]} after a client's through the VIP got no answer" \
    "(conntrack: $(conntrack -S 2> /dev/null | grep -o 'insert_failed=[0-9]*' | tr '\n' ' '))"
say "a client through the VIP and a direct connection from the same port both answered"

# --- 0. refused for one client only: unconfirmed, kept ------------------------------------------
ip netns exec "${server_ns[0]}" nft -f - <<< "table inet refuse_some { chain in { type filter hook input priority 0; tcp dport $VPORT tcp sport 40000-40009 tcp flags syn reject with tcp reset; }; }"
for ((n = 0; n < 3; n++)); do  # round robin: one of them goes to server 0 and is refused
  curl -s -o /dev/null --max-time 2 --local-port 40000-40009 "http://$VS/" 2> /dev/null || true
done
wait_for "$WAIT" grep -q "evidence rs=${rs[0]} detail=\"connection from .* refused\" unconfirmed=\"connected\"" "$log" \
  || fail "no line saying the refusal of ${rs[0]} was unconfirmed"
has_weight "${rs[0]}" 1 || fail "a refusal the confirming connect disproved took ${rs[0]} out: $(weights)"
! grep -q "rs=${rs[0]} active ->" "$log" || fail "${rs[0]} changed phase on an unconfirmed refusal"
ip netns exec "${server_ns[0]}" nft delete table inet refuse_some
say "a refusal of one client only was unconfirmed; ${rs[0]} kept: $(weights)"

# --- 1. killed: refused, removed at once ------------------------------------------------------
kill -9 "${server_pid[0]}"; wait "${server_pid[0]}" 2> /dev/null || true
requests 3  # round robin: one of them goes to the dead server
wait_for "$WAIT" has_weight "${rs[0]}" absent || fail "killed server not removed: $(weights)"
grep -q "rs=${rs[0]} active -> removed weight=none detail=\"passive: connection from .* refused\"" "$log" \
  || fail "no line saying ${rs[0]} was removed on a refused connection"
sleep 0.5  # the confirming check fails too: it stays out
has_weight "${rs[0]}" absent || fail "killed server came back: $(weights)"
say "killed server removed on the first refused connection: $(weights)"

# --- 2. black-holed: unanswered, weight 0 -----------------------------------------------------
black_hole 1
requests 2  # two servers left: one of these goes to the black hole and times out
wait_for "$WAIT" eval '! has_weight "${rs[1]}" 1' || fail "black-holed server still at weight 1: $(weights)"
grep -q "rs=${rs[1]} active -> draining weight=0 detail=\"passive: connection from .* unanswered for 1s\"" "$log" \
  || fail "no line saying ${rs[1]} was drained on an unanswered connection"
say "black-holed server taken out on an unanswered connection: $(weights)"

# --- 3. the last active server is never taken by evidence -------------------------------------
black_hole 2
requests 1
wait_for "$WAIT" grep -q "evidence rs=${rs[2]} kind=timeout .* ignored=\"last active server\"" "$log" \
  || fail "no line saying evidence against the last active server was ignored"
has_weight "${rs[2]}" 1 || fail "evidence took the last active server: $(weights)"
say "the last active server kept at weight 1 against evidence: $(weights)"

# --- 4. -C ------------------------------------------------------------------------------------
kill "$care_pid"; wait "$care_pid" 2> /dev/null || true
care_pid=
"$LVSCARE" care --vs "$VS" -C --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"
! nft list ruleset | grep -q "table ip lvscare_" || fail "-C left a table"
[[ $DATAPATH == nftables ]] || [[ $(weight "${rs[2]}") == novs ]] || fail "-C left the IPVS virtual server"
say "-C: nothing of ours left"
ok=1
