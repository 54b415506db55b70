#!/usr/bin/env bash
# lvscare's own connections (checks, canaries) come from ports above net.ipv4.ip_local_port_range,
# so that no client on the node that connects through the VIP shares a port with one of them (issue
# 15). On IPVS such a client's connection to the server a canary holds from the same port never
# completes its handshake: the client times out.
#   source_ports.sh <lvscare> [nftables|ipvs]   (ipvs: in the test VM, see tests/vm/care)
# This namespace's ephemeral range is cut to two ports (41000-41001), so that the kernel would give
# lvscare's canaries those same two ports, and clients connect through the VIP from both of them,
# many times each, round robin over the three servers:
#   1. every connection lvscare holds to a server comes from above 41001, none from 41000-41001;
#   2. every client request through the VIP is answered (on IPVS, the canary ports' collision
#      times them out);
#   3. a port a listener holds above the range is left alone (lvscare binds around it);
#   4. -C leaves nothing of ours;
#   5. IPVS: with the range up to 65535 (nothing above it), one warning says what that risks.
# Runs in a network namespace of its own (re-executes itself under `unshare -n`); every wait is
# bounded. Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 <lvscare> [nftables|ipvs]" >&2; exit 2; }
readonly WAIT=${SOURCE_PORTS_WAIT:-5}  # seconds for each wait; more in the emulated VM
readonly LVSCARE=$1 DATAPATH=${2:-nftables} VIP=10.103.99.1 VPORT=80 VS=10.103.99.1:80 NODE_IP=10.79.1.1
readonly FIRST=41000 LAST=41001 HELD=41002
source "$(dirname "$0")/netns_test_lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${SOURCE_PORTS_NETNS:-} ]]; then exec unshare -n env SOURCE_PORTS_NETNS=1 "$0" "$@"; fi
find_busybox
[[ $DATAPATH == nftables ]] || command -v ipvsadm > /dev/null || skip "needs ipvsadm"
for tool in curl ip nft python3 ss unshare sysctl; do command -v "$tool" > /dev/null || skip "needs $tool"; done
begin_server_test source-ports
fail() { fail_with_state 60 "$@"; }

ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="$FIRST $LAST"
if [[ $DATAPATH == ipvs ]]; then  # IPVS connections in conntrack, as on a node (passive detection)
  nft -f - <<< "table ip node_conntrack { chain out { type filter hook output priority 0; ct state new counter; }; }"
fi
start_three_http_servers sp "$WAIT" 79 "$VPORT"

# A listener on the first port above the range: lvscare must bind around it, not fail.
python3 -c "
import socket, time
s = socket.socket(); s.bind(('0.0.0.0', $HELD)); s.listen(1); time.sleep(600)" &
held_pid=$!
server_pid+=("$held_pid")
wait_for "$WAIT" eval "ss -Htln 'sport = :$HELD' | grep -q ." || fail "no listener on $HELD"

"$LVSCARE" care --vs "$VS" --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http --health-path / \
  --interval 2 --health-timeout 1s --canary --datapath "$DATAPATH" --ip "$NODE_IP" --logger DEBG \
  --metrics-bind-address "" >> "$log" 2>&1 &
care_pid=$!
wait_for "$WAIT" eval 'has_weight "${rs[0]}" 1 && has_weight "${rs[1]}" 1 && has_weight "${rs[2]}" 1' \
  || fail "not all three at weight 1: $(weights)"

# --- 1. lvscare's connections come from above the range ----------------------------------------
grep -q "canary connections on rs=3 tls=false source_ports=$((65535 - LAST))" "$log" \
  || fail "no line saying the canaries have the $((65535 - LAST)) ports above $LAST: $(grep "canary connections" "$log")"
# Local ports of lvscare's TCP connections to the servers (ss -p names the process).
lvscare_ports() { ss -Htnp state established "( dport = :$VPORT )" | grep "pid=$care_pid," | awk '{ n = split($3, a, ":"); print a[n] }'; }
canaries_open() { (($(lvscare_ports | wc -l) >= 3)); }
wait_for "$WAIT" canaries_open || fail "lvscare holds $(lvscare_ports | wc -l) connections to the servers, want 3 canaries"
sleep 5  # a few checks (every 2 s) too, beside the canaries
ports=$(lvscare_ports | sort -n | tr '\n' ' ')
for port in $ports; do
  ((port > HELD)) || fail "lvscare connects from port $port, want above $HELD (ephemeral $FIRST-$LAST, $HELD held): $ports"
done
say "lvscare's connections come from ports above the range: $ports"

# --- 2. clients through the VIP from the range's ports are all answered ----------------------------
# 16 requests, one after the other, each on a fresh connection from a port the kernel chooses (41000
# or 41001, as a client's) that ends with a reset (no TIME_WAIT holds the port), at most 3 s each.
answered=$(python3 - "$VIP" "$VPORT" << 'PY'
import socket, struct, sys
vip, vport = sys.argv[1], int(sys.argv[2])
for n in range(16):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((vip, vport))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        answer = b""
        while b"server " not in answer:
            chunk = s.recv(4096)
            if not chunk: break
            answer += chunk
        print(answer.split(b"server ")[-1].split()[0].decode() if b"server " in answer else "none-from-%d" % s.getsockname()[1])
    except OSError as error:
        port = s.getsockname()[1]
        print("failed-from-%s:%s" % (port, str(error).replace(" ", "_")))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
)
failed=$(grep -cv '^[012]$' <<< "$answered" || true)
((failed == 0)) || fail "$failed of 16 requests through the VIP from ports $FIRST-$LAST failed: $(grep -v '^[012]$' <<< "$answered" | sort | uniq -c | tr '\n' ' ')"
for i in 0 1 2; do grep -qx "$i" <<< "$answered" || fail "server $i answered none of the requests: $(tr '\n' ' ' <<< "$answered")"; done
say "16 requests through the VIP from ports $FIRST-$LAST, all answered, by all three servers"

# --- 3. the listener kept its port; lvscare kept checking -----------------------------------------
kill -0 "$held_pid" 2> /dev/null && ss -Htln "sport = :$HELD" | grep -q . || fail "the listener on $HELD is gone"
! grep -q "active -> " "$log" || fail "a server changed phase: $(grep "active -> " "$log" | head -3)"
say "the listener on $HELD kept its port; no server left rotation"

# --- 4. -C ----------------------------------------------------------------------------------------
kill "$care_pid" && wait "$care_pid" 2> /dev/null || true
care_pid=
"$LVSCARE" care -C --vs "$VS" --datapath "$DATAPATH" --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"
[[ $(weight "${rs[0]}") == novs ]] || fail "the virtual server is still there after -C"
# --- 5. IPVS: nothing above the range, one warning -----------------------------------------------
if [[ $DATAPATH == ipvs ]]; then
  sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  "$LVSCARE" care --run-once --vs "$VS" --rs "${rs[0]}" --datapath "$DATAPATH" --ip "$NODE_IP" >> "$log" 2>&1 || fail "run-once failed"
  : > "$work/none.log"
  "$LVSCARE" care --vs "$VS" --rs "${rs[0]}" --health-schem http --health-path / --canary --datapath "$DATAPATH" \
    --ip "$NODE_IP" --metrics-bind-address "" >> "$work/none.log" 2>&1 &
  care_pid=$!
  wait_for "$WAIT" grep -q "WARN canary source_ports=0 " "$work/none.log" \
    || fail "no warning that the canaries share the clients' ports: $(cat "$work/none.log")"
  kill "$care_pid" && wait "$care_pid" 2> /dev/null || true
  care_pid=
  "$LVSCARE" care -C --vs "$VS" --datapath "$DATAPATH" --ip "$NODE_IP" >> "$log" 2>&1 || fail "-C failed"
  say "with no port above the range, one warning"
fi
ok=1
say "PASS"
