#!/usr/bin/env bash
# Route mode on real IPVS (in the test VM) with real servers on this host, checked with ip, ipvsadm
# and curl (never with lvscare itself):
#   - IPv4: one real server on 127.0.0.1 and one in a network namespace of its own behind a veth
#     pair: `lvscare care --run-once --mode route` makes the route `local <VIP> dev lo src <node IP>`
#     (IPVS keeps a packet's old route when it rewrites it to a local address, so the `via` route
#     would carry nothing to 127.0.0.1), and requests through the VIP reach both servers, from the
#     node IP; -C removes the route and the virtual server;
#   - IPv6: a real server on ::1 alone, the same;
#   - only a remote real server: the route stays LVScare's `<VIP> via <node IP>`.
#
#   route_local_vm.sh <lvscare binary>
# Runs in a private network namespace (re-executes itself under unshare -n). Exit 77: cannot run here.
set -euo pipefail
LVSCARE=$1
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
if [[ -z ${ROUTE_LOCAL_VM_NETNS:-} ]]; then exec unshare -n env ROUTE_LOCAL_VM_NETNS=1 "$0" "$@"; fi
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=/usr/bin/busybox
[[ -x $busybox ]] || { echo "SKIP: needs busybox (busybox-static) for httpd"; exit 77; }
for tool in ipvsadm curl ip; do command -v "$tool" > /dev/null || { echo "SKIP: needs $tool"; exit 77; }; done
[[ -e /proc/net/ip_vs ]] || { echo "SKIP: no IPVS in this kernel"; exit 77; }

work=$(mktemp -d /tmp/route-local.XXXXXX)
ns=route-local-srv-$$
cleanup() {
  set +e
  for pid in $(jobs -p); do kill "$pid"; done
  ip netns del "$ns" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "---- ipvsadm -Ln:"; ipvsadm -Ln
  echo "---- routes:"; ip route show table all | grep -v "^local 127\|^broadcast\|^multicast\|^fe80\|^ff00\|^anycast"
  echo "---- lvscare log:"; cat "$work/log" 2> /dev/null
  exit 1
}

ip link set lo up
# The node's address (10.255.0.1, fd00:255::1) on a veth pair; the remote server at 10.77.1.2.
ip link add node0 type veth peer name node1
ip addr add 10.255.0.1/24 dev node0
ip addr add fd00:255::1/64 dev node0 nodad
ip link set node0 up
ip link set node1 up
ip netns add "$ns"
ip link add srv0 type veth peer name srv1
ip link set srv1 netns "$ns"
ip addr add 10.77.1.1/24 dev srv0
ip link set srv0 up
ip -n "$ns" link set lo up
ip -n "$ns" addr add 10.77.1.2/24 dev srv1
ip -n "$ns" link set srv1 up
ip -n "$ns" route add default via 10.77.1.1

mkdir -p "$work/local" "$work/remote"
echo local > "$work/local/index.html"
echo remote > "$work/remote/index.html"
"$busybox" httpd -f -p 127.0.0.1:8081 -h "$work/local" &
"$busybox" httpd -f -p '[::1]:8081' -h "$work/local" &
ip netns exec "$ns" "$busybox" httpd -f -p 80 -h "$work/remote" &
up() { curl -s --max-time 1 "$1" > /dev/null; }
for url in http://127.0.0.1:8081/ 'http://[::1]:8081/' http://10.77.1.2/; do
  for _ in $(seq 50); do up "$url" && break; sleep 0.1; done
  up "$url" || fail "server $url did not come up"
done

care() { "$LVSCARE" care --datapath ipvs --mode route --health-schem http --health-path / "$@" >> "$work/log" 2>&1; }
# Sends $2 requests to $1; prints the answers counted, e.g. "local=3 remote=3".
spread() {
  local urls=() i
  for ((i = 0; i < $2; i++)); do urls+=("$1"); done
  curl -s -H 'Connection: close' --connect-timeout 1 --max-time 2 "${urls[@]}" | sort | uniq -c |
    awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " } END { print "" }'
}

# 1. IPv4, a local and a remote real server.
care --run-once --vs 169.254.0.1:80 --rs 127.0.0.1:8081 --rs 10.77.1.2:80 --ip 10.255.0.1 ||
  fail "lvscare care --run-once exited $?"
route=$(ip route show table main 169.254.0.1/32)
[[ $route == "local 169.254.0.1 dev lo proto 76 scope host src 10.255.0.1 metric 50"* ]] ||
  fail "route to the VIP is \"$route\", expected the local form"
got=$(spread http://169.254.0.1:80/ 6)
echo "ok: IPv4 route \"$route\"; 6 requests: $got"
[[ $got == "local=3 remote=3" ]] || fail "requests through the VIP: $got (expected local=3 remote=3)"
ipvsadm -Lnc | grep -q "10.255.0.1:[0-9]* *169.254.0.1:80" || fail "clients did not connect from the node IP"
care --vs 169.254.0.1:80 --ip 10.255.0.1 -C || fail "lvscare care -C exited $?"
[[ -z $(ip route show table all 169.254.0.1/32) ]] || fail "route left after -C: $(ip route show table all 169.254.0.1/32)"
ipvsadm -Ln -t 169.254.0.1:80 > /dev/null 2>&1 && fail "virtual server left after -C"
echo "ok: -C removes the local route and the virtual server"

# 2. IPv6, a real server on ::1.
care --run-once --vs '[fd00::169]:80' --rs '[::1]:8081' --ip fd00:255::1 || fail "lvscare care --run-once (IPv6) exited $?"
route=$(ip -6 route show table all fd00::169/128)
[[ $route == "local fd00::169 dev lo proto 76 src fd00:255::1 metric 50"* ]] ||
  fail "IPv6 route to the VIP is \"$route\", expected the local form"
got=$(spread 'http://[fd00::169]:80/' 3)
echo "ok: IPv6 route \"$route\"; 3 requests: $got"
[[ $got == "local=3" ]] || fail "IPv6 requests through the VIP: $got"
care --vs '[fd00::169]:80' --ip fd00:255::1 -C || fail "lvscare care -C (IPv6) exited $?"
[[ -z $(ip -6 route show table all fd00::169/128) ]] || fail "IPv6 route left after -C"

# 3. Only a remote real server: LVScare's route, unchanged.
care --run-once --vs 169.254.0.1:80 --rs 10.77.1.2:80 --ip 10.77.1.1 || fail "lvscare care --run-once (remote) exited $?"
route=$(ip route show table main 169.254.0.1/32)
[[ $route == "169.254.0.1 via 10.77.1.1 dev srv0 proto 76 metric 50"* ]] || fail "route with a remote server only: \"$route\""
got=$(spread http://169.254.0.1:80/ 2)
[[ $got == "remote=2" ]] || fail "requests through the VIP (remote only): $got"
care --vs 169.254.0.1:80 --ip 10.77.1.1 -C || fail "lvscare care -C (remote) exited $?"
echo "ok: a remote real server alone keeps the route via the node IP ($got)"
