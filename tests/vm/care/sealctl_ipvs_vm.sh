#!/usr/bin/env bash
# `sealctl ipvs` against real IPVS (in the test VM), checked with ipvsadm and ip:
#   - Sealos' two command lines, verbatim (their masters are unreachable here: the virtual server
#     is set up with no real server, since --run-once programs what one health round found);
#   - the same with reachable masters: an HTTPS server (openssl s_server) in a namespace of its own
#     is added, a master with nothing listening is not; the route to the VIP via the node IP
#     (LVSCARE_NODE_IP) is set; a second --run-once changes nothing; IPVS_ environment variables
#     work in place of flags; -C removes the virtual server and the route.
#
#   sealctl_ipvs_vm.sh <sealctl binary>
# Runs in a private network namespace (re-executes itself under unshare -n). Exit 77: cannot run here.
set -euo pipefail
SEALCTL=$1
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
if [[ -z ${SEALCTL_VM_NETNS:-} ]]; then exec unshare -n env SEALCTL_VM_NETNS=1 "$0" "$@"; fi
for tool in ipvsadm openssl ip; do command -v "$tool" > /dev/null || { echo "SKIP: needs $tool"; exit 77; }; done
[[ -e /proc/net/ip_vs ]] || { echo "SKIP: no IPVS in this kernel"; exit 77; }

work=$(mktemp -d /tmp/sealctl-ipvs.XXXXXX)
ns=sealctl-m1-$$
server=
cleanup() {
  set +e
  [[ -n $server ]] && kill "$server"
  ip netns del "$ns" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "---- ipvsadm -Ln:"; ipvsadm -Ln; echo "---- routes:"; ip route; exit 1; }

ip link set lo up
readonly VIP=10.103.97.2:6443
service() { ipvsadm -Ln -t "$VIP" 2> /dev/null; }
real_weight() { service | awk -v rs="$1" '$1 == "->" && $2 == rs { print $4 }'; }

# 1. Sealos' command lines, verbatim.
"$SEALCTL" ipvs --vs 10.103.97.2:6443 --rs 192.168.0.2:6443 --rs 192.168.0.3:6443 --health-path /healthz \
  --health-schem https --run-once || fail "sealctl ipvs --run-once exited $?"
service > /dev/null || fail "no virtual server after --run-once"
# No master passes (this VM has no network): fail-open keeps them all, so a joining node still
# gets a VIP to try (issue 11); --fail-open=false is Go LVScare's strict behaviour.
[[ $(real_weight 192.168.0.2:6443) == 1 && $(real_weight 192.168.0.3:6443) == 1 ]] ||
  fail "fail-open: the masters were not programmed at weight 1"
echo "ok: Sealos' --run-once command line: no master passes, so fail-open programs them all at weight 1"
"$SEALCTL" ipvs --vs 10.103.97.2:6443 -C || fail "sealctl ipvs -C exited $?"
"$SEALCTL" ipvs --vs 10.103.97.2:6443 --rs 192.168.0.2:6443 --rs 192.168.0.3:6443 --health-path /healthz \
  --health-schem https --run-once --fail-open=false || fail "sealctl ipvs --run-once --fail-open=false exited $?"
service > /dev/null || fail "no virtual server after --run-once --fail-open=false"
[[ -z $(real_weight 192.168.0.2:6443) ]] || fail "strict: an unreachable master was added"
echo "ok: --fail-open=false: virtual server set up, unreachable masters left out"
"$SEALCTL" ipvs --vs 10.103.97.2:6443 -C || fail "sealctl ipvs -C exited $?"
service > /dev/null && fail "virtual server left after -C"
echo "ok: Sealos' -C command line removes the virtual server"

# 2. Reachable masters: one HTTPS server at 10.77.1.2:6443, nothing at 10.77.2.2:6443.
ip netns add "$ns"
ip link add sc-v1 type veth peer name sc-p1
ip link set sc-p1 netns "$ns"
ip addr add 10.77.1.1/24 dev sc-v1
ip addr add 10.77.2.1/24 dev sc-v1
ip link set sc-v1 up
ip -n "$ns" link set lo up
ip -n "$ns" addr add 10.77.1.2/24 dev sc-p1
ip -n "$ns" link set sc-p1 up
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=apiserver \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
ip netns exec "$ns" openssl s_server -quiet -www -accept 10.77.1.2:6443 -cert "$work/cert.pem" \
  -key "$work/key.pem" > /dev/null 2>&1 &
server=$!
for _ in $(seq 100); do # bounded: until the server listens
  ip netns exec "$ns" ss -Hltn 2> /dev/null | grep -q "10.77.1.2:6443" && break
  sleep 0.1
done

LVSCARE_NODE_IP=10.77.1.1 "$SEALCTL" ipvs --vs "$VIP" --rs 10.77.1.2:6443 --rs 10.77.2.2:6443 \
  --health-path /healthz --health-schem https --run-once || fail "--run-once with reachable masters exited $?"
[[ $(real_weight 10.77.1.2:6443) == 1 ]] || fail "the healthy master is not at weight 1"
[[ -z $(real_weight 10.77.2.2:6443) ]] || fail "the dead master was added"
ip route show 10.103.97.2/32 | grep -q "via 10.77.1.1 .*metric 50" || fail "no route to the VIP via the node IP"
echo "ok: --run-once adds the healthy master only and sets the route via the node IP"
before=$(ipvsadm -Sn)
IPVS_VS=$VIP IPVS_RS=10.77.1.2:6443,10.77.2.2:6443 IPVS_HEALTH_PATH=/healthz LVSCARE_NODE_IP=10.77.1.1 \
  "$SEALCTL" ipvs --run-once || fail "--run-once from IPVS_ variables exited $?"
[[ $(ipvsadm -Sn) == "$before" ]] || fail "a second --run-once changed the rules"
echo "ok: IPVS_ variables in place of flags; a second --run-once changes nothing"
"$SEALCTL" ipvs --vs "$VIP" -C || fail "-C exited $?"
service > /dev/null && fail "virtual server left after -C"
[[ -z $(ip route show 10.103.97.2/32) ]] || fail "route left after -C"
echo "ok: -C removes the virtual server and the route"
