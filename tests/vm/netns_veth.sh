#!/usr/bin/env bash
# Inside the VM (or a fresh netns on an IPVS host): network namespaces joined by veth carry ICMP and
# TCP, and IPVS in masquerade mode forwards a connection to a real server in another namespace.
# Later IPVS traffic tests build on exactly this. Addresses exist only inside these namespaces.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
busybox=/bin/busybox
[[ -x $busybox ]] || fail "needs $busybox (busybox-static) for httpd and ping"

ns_a=lvs-vm-a-$$ ns_b=lvs-vm-b-$$
www=$(mktemp -d)
cleanup() {
  ip netns pids "$ns_b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  ip link del lvs-vm-vip 2>/dev/null || true
  rm -rf "$www"
}
trap cleanup EXIT

ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add lvs-vm-a type veth peer name lvs-vm-b
ip link set lvs-vm-a netns "$ns_a"
ip link set lvs-vm-b netns "$ns_b"
ip -n "$ns_a" addr add 10.200.0.1/24 dev lvs-vm-a
ip -n "$ns_b" addr add 10.200.0.2/24 dev lvs-vm-b
for ns in "$ns_a" "$ns_b"; do
  ip -n "$ns" link set lo up
done
ip -n "$ns_a" link set lvs-vm-a up
ip -n "$ns_b" link set lvs-vm-b up

ip netns exec "$ns_a" "$busybox" ping -c 1 -W 5 10.200.0.2 > /dev/null || fail "no ping reply across the veth pair"

echo "hello from $ns_b" > "$www/index.html"
ip netns exec "$ns_b" "$busybox" httpd -f -p 10.200.0.2:8080 -h "$www" &
got=""
for _ in $(seq 50); do # bounded: the server needs a moment to bind
  got=$(ip netns exec "$ns_a" curl -sf --max-time 2 http://10.200.0.2:8080/index.html) && break
  sleep 0.2
done
[[ $got == "hello from $ns_b" ]] || fail "TCP across the veth pair: got '$got'"
echo "ok: ping and HTTP across a veth pair between two namespaces"

# IPVS in this namespace (the VM's own, or a fresh one on an IPVS host), real server in ns_b.
ip link add lvs-vm-c type veth peer name lvs-vm-d
ip link set lvs-vm-d netns "$ns_b"
ip addr add 10.201.0.1/24 dev lvs-vm-c
ip link set lvs-vm-c up
ip -n "$ns_b" addr add 10.201.0.2/24 dev lvs-vm-d
ip -n "$ns_b" link set lvs-vm-d up
ip -n "$ns_b" route add default via 10.201.0.1
ip netns exec "$ns_b" "$busybox" httpd -f -p 10.201.0.2:8080 -h "$www" &
ip link add lvs-vm-vip type dummy
ip addr add 10.0.0.100/32 dev lvs-vm-vip
ip link set lvs-vm-vip up
ipvsadm -A -t 10.0.0.100:80 -s rr
ipvsadm -a -t 10.0.0.100:80 -r 10.201.0.2:8080 -m
got=""
for _ in $(seq 50); do
  got=$(curl -sf --max-time 2 http://10.0.0.100/index.html) && break
  sleep 0.2
done
[[ $got == "hello from $ns_b" ]] || fail "HTTP through the IPVS virtual server: got '$got'"
# IPVS (6.1) folds its per-CPU counters into what it reports from the estimator timer, every 2 s:
# a fresh connection may show up in the counters only that much later.
conns=0
for _ in $(seq 20); do
  conns=$(ipvsadm -Ln --stats | awk '$2 == "10.201.0.2:8080" {print $3}')
  [[ ${conns:-0} -ge 1 ]] && break
  sleep 0.5
done
[[ ${conns:-0} -ge 1 ]] || fail "ipvsadm counts no connection to the real server"
echo "ok: HTTP through IPVS (masquerade) to a real server in another namespace"
