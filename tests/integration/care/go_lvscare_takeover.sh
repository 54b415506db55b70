#!/usr/bin/env bash
# Taking over a node where Go LVScare ran in link mode (issue 11, item 4), against the real
# objects:
#
#   go_lvscare_takeover.sh <lvscare binary>
#
# In a network namespace of its own: makes Go LVScare's link-mode objects exactly as its
# care/iptables.go does, with Debian's iptables (nft backend) and ipset, plus foreign objects of
# the same kinds (rules in the same built-in chains, a chain, a set). Then:
#   1. lvscare care --mode link (nftables datapath), --run-once and the daemon, says in one line
#      what it found, and traffic
#      through the VIP reaches the real servers (127.0.0.1:8081-8082);
#   2. with a foreign rule jumping to VIRTUAL-SERVICES, -C removes only our own tables and says why
#      Go LVScare's objects stay (the set too: a rule still uses it);
#   3. without it, -C removes exactly LVScare's objects: `nft list ruleset` and `ipset list -n`
#      afterwards equal what they were before LVScare's objects were made (counters aside), so
#      every foreign rule, chain and set stays.
# Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 <lvscare>" >&2; exit 2; }
readonly LVSCARE=$1 VIP=10.103.97.2 VPORT=6443 VS=10.103.97.2:6443
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${TAKEOVER_NETNS:-} ]]; then exec unshare -n env TAKEOVER_NETNS=1 "$0" "$@"; fi
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=/usr/bin/busybox
[[ -x $busybox ]] || skip "needs busybox (busybox-static) for httpd"
for tool in curl ip nft iptables ipset; do command -v "$tool" > /dev/null || skip "needs $tool"; done
iptables --version | grep -q nf_tables || skip "iptables is not the nft backend"

source "$(dirname "$0")/netns_test_lib.sh"
work=$(mktemp -d /tmp/go-lvscare-takeover.XXXXXX)
log=$work/lvscare.log
care_pid=
declare -a server_pid=()
ok=0
cleanup() {
  local status=$?
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  for pid in "${server_pid[@]}"; do kill "$pid" 2> /dev/null; done
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() { fail_with_state 80 "$@"; }
# The ruleset with the numbers traffic changes taken out.
ruleset() { nft list ruleset 2> /dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }

ip link set lo up
# A node address of global scope (link mode's masquerade needs one; see care_scenario.sh).
ip link add gl-n0 type veth peer name gl-n1
ip link set gl-n0 up
ip link set gl-n1 up
ip addr add 10.77.9.1/24 dev gl-n0

# --- foreign objects: the same tables and built-in chains, a chain and a set of someone else ------
iptables -t nat -A OUTPUT -p tcp --dport 9 -m comment --comment "foreign portals" -j RETURN
iptables -t nat -A PREROUTING -p tcp --dport 9 -j RETURN
iptables -t nat -N FOREIGN-CHAIN
iptables -t nat -A POSTROUTING -p tcp --dport 9 -j FOREIGN-CHAIN
iptables -t filter -A OUTPUT -p tcp --dport 9 -m comment --comment "accept for all marked by someone" -j ACCEPT
ipset create FOREIGN-SET hash:ip family inet
ipset add FOREIGN-SET 10.77.9.9
iptables -t filter -A OUTPUT -m set --match-set FOREIGN-SET dst -j ACCEPT
before_ruleset=$(ruleset)
before_sets=$(ipset list -n)

# --- Go LVScare's link mode (care/iptables.go), mark bit 0 -----------------------------------------
ipset create VIRTUAL-IP hash:ip,port family inet hashsize 1024 maxelem 65536 -exist
ipset add VIRTUAL-IP "$VIP,tcp:$VPORT" -exist
iptables -t nat -N VIRTUAL-SERVICES
iptables -t nat -N VIRTUAL-POSTROUTING
iptables -t nat -N VIRTUAL-MARK-MASQ
iptables -t nat -A OUTPUT -m comment --comment "virtual service portals" -j VIRTUAL-SERVICES
iptables -t nat -A PREROUTING -m comment --comment "virtual service portals" -j VIRTUAL-SERVICES
iptables -t nat -A POSTROUTING -m comment --comment "virtual service postrouting rules" -j VIRTUAL-POSTROUTING
iptables -t nat -A VIRTUAL-SERVICES -m comment --comment "virtual service ip + port for masquerade purpose" \
  -m set --match-set VIRTUAL-IP dst,dst -j VIRTUAL-MARK-MASQ
iptables -t nat -A VIRTUAL-MARK-MASQ -j MARK --or-mark 0x00000001
iptables -t nat -A VIRTUAL-POSTROUTING -m mark ! --mark 0x00000001 -j RETURN
iptables -t filter -I OUTPUT -m comment --comment "accept for all marked by lvscare" -m mark --mark 0x00000001 -j ACCEPT
iptables -t nat -A VIRTUAL-POSTROUTING -m comment --comment "virtual service traffic requiring SNAT" -j MASQUERADE --random-fully
iptables -t filter -N VIRTUAL-CANARY
iptables -t nat -N VIRTUAL-CANARY
[[ $(ruleset) != "$before_ruleset" ]] || fail "Go LVScare's objects were not made"
say "Go LVScare's link-mode objects made with $(iptables --version) and $(ipset version | head -1)"

# --- 1. lvscare finds them and works alongside --------------------------------------------------
for i in 1 2; do
  mkdir -p "$work/www$i"
  echo "server $i" > "$work/www$i/index.html"
  "$busybox" httpd -f -p 127.0.0.1:808$i -h "$work/www$i" &
  server_pid+=($!)
done
serving() { curl -s --max-time 1 http://127.0.0.1:8081/ > /dev/null && curl -s --max-time 1 http://127.0.0.1:8082/ > /dev/null; }
wait_for 5 serving || fail "the real servers do not answer"
want="go-lvscare found=\"nat chains VIRTUAL-SERVICES VIRTUAL-POSTROUTING VIRTUAL-MARK-MASQ; 3 jump rules; filter OUTPUT mark rule; VIRTUAL-CANARY in filter nat; ipset VIRTUAL-IP (hash:ip,port, 1 reference)\""
care_args=(care --vs "$VS" --rs 127.0.0.1:8081 --rs 127.0.0.1:8082 --health-schem http --health-path /
           --interval 1 --mode link --datapath nftables)
# --run-once says it too, in one line, and changes nothing of Go LVScare's.
"$LVSCARE" "${care_args[@]}" --run-once > "$work/run-once.log" 2>&1 || fail "--run-once failed: $(cat "$work/run-once.log")"
grep -qF "$want" "$work/run-once.log" || fail "--run-once: no detection line: $(grep go-lvscare "$work/run-once.log")"
[[ $(grep -c "go-lvscare" "$work/run-once.log") == 1 ]] || fail "--run-once: more than one go-lvscare line"
: > "$log"
"$LVSCARE" "${care_args[@]}" >> "$log" 2>&1 &
care_pid=$!
wait_for 10 grep -qF "$want" "$log" || fail "no detection line: $want"
[[ $(grep -c "go-lvscare" "$log") == 1 ]] || fail "more than one go-lvscare line"
say "detected: $(grep -o 'go-lvscare found=.*' "$log")"
request() { curl -s --max-time 2 "http://$VIP:$VPORT/" 2> /dev/null || echo failed; }
# Both servers answer through the VIP (each joins once its first check passed).
both_answer() {
  answers=""
  for _ in 1 2 3 4 5 6; do answers+="$(request) "; done
  [[ $answers == *"server 1"* && $answers == *"server 2"* && $answers != *failed* ]]
}
wait_for 10 both_answer || fail "requests through the VIP: $answers"
say "6 requests through the VIP: $answers"
kill "$care_pid"; wait "$care_pid" 2> /dev/null || true
care_pid=

# --- 2. a foreign rule jumping to one of its chains: -C touches none of Go LVScare's objects -------
iptables -t nat -A OUTPUT -p tcp --dport 7 -j VIRTUAL-SERVICES
# iptables-nft's tables alone (lvscare's own tables go with -C).
iptables_tables() { for t in nat filter; do nft list table ip "$t"; done 2> /dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
with_foreign=$(iptables_tables)
"$LVSCARE" care --vs "$VS" -C >> "$log" 2>&1 || fail "-C with a foreign jump failed"
grep -q 'go-lvscare removed=nothing kept="nat chains VIRTUAL-SERVICES .*a rule that is not Go LVScare.s jumps to its chains: ip nat OUTPUT handle [0-9]*.*; ipset VIRTUAL-IP (hash:ip,port, 1 reference) (still used by a rule)"' "$log" ||
  fail "no line saying why nothing was removed: $(grep 'go-lvscare removed' "$log")"
[[ $(iptables_tables) == "$with_foreign" ]] || fail "-C changed Go LVScare's objects although a foreign rule jumps to them"
ipset list -n | grep -qx VIRTUAL-IP || fail "-C destroyed the set although a rule uses it"
say "a foreign jump to VIRTUAL-SERVICES: -C removed ours only and said why Go LVScare's objects stay"
iptables -t nat -D OUTPUT -p tcp --dport 7 -j VIRTUAL-SERVICES

# --- 3. -C removes exactly LVScare's objects ---------------------------------------------------------
"$LVSCARE" care --vs "$VS" -C >> "$log" 2>&1 || fail "-C failed"
grep -qF "go-lvscare removed=\"nat chains VIRTUAL-SERVICES VIRTUAL-POSTROUTING VIRTUAL-MARK-MASQ; 3 jump rules; filter OUTPUT mark rule; VIRTUAL-CANARY in filter nat; ipset VIRTUAL-IP" "$log" ||
  fail "no removal line"
after_ruleset=$(ruleset)
if [[ $after_ruleset != "$before_ruleset" ]]; then
  diff <(echo "$before_ruleset") <(echo "$after_ruleset") || true
  fail "the ruleset after -C differs from the one before Go LVScare's objects"
fi
[[ $(ipset list -n) == "$before_sets" ]] || fail "sets after -C: $(ipset list -n | tr '\n' ' '), want $before_sets"
say "-C: the ruleset and the sets are as before Go LVScare's objects (foreign rules, chain and set kept)"
# Nothing left: a second -C finds nothing and says nothing of Go LVScare.
lines=$(grep -c "go-lvscare" "$log")
"$LVSCARE" care --vs "$VS" -C >> "$log" 2>&1 || fail "second -C failed"
[[ $(grep -c "go-lvscare" "$log") == "$lines" ]] || fail "second -C still found something"
ok=1
