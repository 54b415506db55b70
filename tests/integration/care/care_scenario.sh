#!/usr/bin/env bash
# The seed scenario end to end, written once for both datapaths and both host modes:
#
#   [FAMILY=6] care_scenario.sh <lvscare binary> <ipvs|nftables> <link|route>
#
# Three HTTP servers (busybox httpd) answer "server N"; lvscare keeps 169.254.0.1:80 on them
# (FAMILY=6: [fd00:a9fe::1]:80, and every address below in its IPv6 form).
#   link:  servers on 127.0.0.1:8081-8083 ([::1]), lvscare --mode link (dummy link `lvscare` holds
#          the VIP; on a kernel without the dummy link type, lvscare's `local <VIP> dev lo` route
#          makes the VIP local instead, and that is what is checked and deleted)
#   route: servers in three network namespaces of their own behind veth pairs (10.77.N.2:80,
#          [fd77:N::2]:80), lvscare --mode route --ip 10.77.1.1 (fd77:1::1; the node IP: this
#          namespace's end of the first pair). The route is `VIP/32 via <node IP>`, for IPv6
#          `VIP/128 dev <node IP's interface> src <node IP>`: both make the VIP's traffic leave
#          with the node IP, which is checked with `ip route get`.
# Checked with independent tools (ipvsadm / nft, ip, curl), never with lvscare itself:
#   requests through the VIP reach all three servers; a killed server (refused) is removed at once
#   and comes back when restarted; a black-holed server (SIGSTOP: its checks time out) goes to
#   weight 0, then is removed, and comes back when resumed; every foreign deletion (datapath flush, one real server or table deleted, the link or the
#   route deleted) is repaired (bound 3 s each, the time printed); SIGTERM leaves the rules and the
#   traffic; a restart adopts them with no moment without them; -C leaves nothing of ours.
#
# Runs inside a network namespace of its own (it re-executes itself under `unshare -n`), so the
# caller's routes, links and rules are never touched; the server namespaces are removed on exit.
# Every wait is bounded. Exit 0 on success, 1 on failure, 77 when it cannot run here (not root, a
# tool or a kernel feature missing).
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <lvscare> <ipvs|nftables> <link|route>" >&2
  exit 2
fi
readonly LVSCARE=$1 DATAPATH=$2 MODE=$3 FAMILY=${FAMILY:-4}
readonly VPORT=80
case $FAMILY in
  4) readonly VIP=169.254.0.1 BITS=32 NFT_FAMILY=ip NODE_IP=10.77.1.1 VS=169.254.0.1:$VPORT URL_HOST=169.254.0.1 ;;
  6) readonly VIP=fd00:a9fe::1 BITS=128 NFT_FAMILY=ip6 NODE_IP=fd77:1::1 VS="[fd00:a9fe::1]:$VPORT" URL_HOST="[fd00:a9fe::1]" ;;
  *) echo "FAMILY: 4 or 6" >&2; exit 2 ;;
esac
readonly INTERVAL=1      # --interval, seconds
readonly STATE_WAIT=10   # bound for a weight to change (interval + timeout + emulation slack)
readonly REPAIR_WAIT=3   # bound for a foreign deletion to be repaired (lvscare aims at < 1 s)

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
case $DATAPATH in ipvs | nftables) ;; *) echo "datapath: ipvs or nftables" >&2; exit 2 ;; esac
case $MODE in link | route) ;; *) echo "mode: link or route" >&2; exit 2 ;; esac

if [[ -z ${CARE_SCENARIO_NETNS:-} ]]; then
  exec unshare -n env CARE_SCENARIO_NETNS=1 "$0" "$@"
fi

busybox=/bin/busybox
[[ -x $busybox ]] || busybox=/usr/bin/busybox
[[ -x $busybox ]] || skip "needs busybox (busybox-static) for httpd"
for tool in curl ip unshare; do command -v "$tool" > /dev/null || skip "needs $tool"; done
if [[ $DATAPATH == ipvs ]]; then
  command -v ipvsadm > /dev/null || skip "needs ipvsadm"
else
  command -v nft > /dev/null || skip "needs nft"
fi

work=$(mktemp -d /tmp/care-scenario.XXXXXX)
log=$work/lvscare.log
care_pid=
declare -a server_pid=() server_ns=() rs=()
ok=0

cleanup() {
  local status=$?
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  for pid in "${server_pid[@]}"; do kill -CONT "$pid" 2> /dev/null; kill "$pid" 2> /dev/null; done
  for ns in "${server_ns[@]}"; do
    for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    ip netns del "$ns" 2> /dev/null
  done
  wait 2> /dev/null
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT

start=$EPOCHREALTIME
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
say() { awk -v a="$start" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[%6.2fs] %s\n", b - a, m }'; }
fail() {
  say "FAIL: $*"
  echo "---- datapath:"; datapath_dump 2>&1 | head -40 || true
  echo "---- lvscare log (last 40 lines):"; tail -n 40 "$log" 2> /dev/null || true
  exit 1
}

# --- the datapath as the kernel holds it, read with the datapath's own tool ----------------------
nft_table=lvscare_tcp_${VIP//:/-}_${VPORT}
datapath_dump() {
  if [[ $DATAPATH == ipvs ]]; then ipvsadm -Ln; else nft list ruleset; fi
}
# The weight of real server $1, "absent", or "novs" when the virtual server is missing.
weight() {
  if [[ $DATAPATH == ipvs ]]; then
    local out
    out=$(ipvsadm -Ln -t "$VS" 2> /dev/null) || { echo novs; return; }
    awk -v rs="$1" '$1 == "->" && $2 == rs { print $4; found = 1 } END { if (!found) print "absent" }' <<< "$out"
  else
    local out
    out=$(nft list table "$NFT_FAMILY" "$nft_table" 2> /dev/null) || { echo novs; return; }
    local w rs_re
    rs_re=$(sed 's/[].[]/\\&/g' <<< "$1")  # [fd77:1::2]:80 is no regex
    w=$(grep -o "comment \"rs $rs_re weight [0-9]*\"" <<< "$out" | grep -o '[0-9]*"$' | tr -d '"') || true
    echo "${w:-absent}"
  fi
}
weights() { local out=""; for r in "${rs[@]}"; do out+="$r=$(weight "$r") "; done; echo "${out% }"; }
has_weight() { [[ $(weight "$1") == "$2" ]]; }
all_weight() { for r in "${rs[@]}"; do has_weight "$r" "$2" || return 1; done; }
# Real server $1 drained: weight 0 seen in the kernel, or already removed after lvscare logged its
# drain (weight=0) since line $log_mark of its log. One poll of the kernel in the emulated VM can
# outlast the one-interval drain phase, so the weight-0 state itself may never be observed.
log_mark=0
drained() {
  has_weight "$1" 0 && return 0
  has_weight "$1" absent && tail -n "+$((log_mark + 1))" "$log" | grep -F "rs=$1 " | grep -q " weight=0 "
}

# Polls "$@" every 50 ms for at most $1 seconds; prints how long it took (ms).
waited_ms=0
wait_for() {
  local limit=$1; shift
  local begin deadline
  begin=$(now_ms); deadline=$((begin + limit * 1000))
  until "$@"; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.05
  done
  waited_ms=$(($(now_ms) - begin))
}

# --- servers ----------------------------------------------------------------------------------------
ip link set lo up
[[ $FAMILY == 4 || -e /proc/sys/net/ipv6 ]] || skip "the kernel has no IPv6"
start_server() { # index
  local i=$1 dir=$work/www$1
  mkdir -p "$dir"
  echo "server $((i + 1))" > "$dir/index.html"
  if [[ $MODE == link ]]; then
    "$busybox" httpd -f -p "${rs[$i]}" -h "$dir" &
  else
    ip netns exec "${server_ns[$i]}" "$busybox" httpd -f -p "${rs[$i]}" -h "$dir" &
  fi
  server_pid[$i]=$!
}
if [[ $MODE == link ]]; then
  have_dummy=1
  if ip link add care-probe type dummy 2> /dev/null; then
    ip link del care-probe
  else
    have_dummy=0
    # Every real node has an address of global scope; link mode's masquerade needs one (on lo,
    # whose addresses are scope host, the kernel's masquerade finds no source and drops). This
    # namespace has only lo: give it a node address on a veth pair.
    ip link add care-n0 type veth peer name care-n1
    ip link set care-n0 up
    ip link set care-n1 up
    ip addr add 10.77.9.1/24 dev care-n0
    ip -6 addr add fd77:9::1/64 dev care-n0 nodad
  fi
  if [[ $FAMILY == 4 ]]; then rs=(127.0.0.1:8081 127.0.0.1:8082 127.0.0.1:8083); else rs=([::1]:8081 [::1]:8082 [::1]:8083); fi
  node_args=()
else
  for i in 0 1 2; do
    n=$((i + 1)) ns=care-srv$n-$$
    ip netns add "$ns"
    server_ns[$i]=$ns
    ip link add care-v$n type veth peer name care-p$n
    ip link set care-p$n netns "$ns"
    ip link set care-v$n up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set care-p$n up
    if [[ $FAMILY == 4 ]]; then
      ip addr add 10.77.$n.1/24 dev care-v$n
      ip -n "$ns" addr add 10.77.$n.2/24 dev care-p$n
      ip -n "$ns" route add default via 10.77.$n.1
      rs[$i]=10.77.$n.2:80
    else
      # nodad: usable at once (a tentative address cannot be a route's source yet)
      ip -6 addr add fd77:$n::1/64 dev care-v$n nodad
      ip -n "$ns" -6 addr add fd77:$n::2/64 dev care-p$n nodad
      ip -n "$ns" -6 route add default via fd77:$n::1
      rs[$i]=[fd77:$n::2]:80
    fi
  done
  node_args=(--ip "$NODE_IP")
fi
for i in 0 1 2; do start_server "$i"; done

request() { curl -g -s --max-time 2 "http://$URL_HOST:$VPORT/" 2> /dev/null; }
# Sends $1 requests through the VIP; prints the servers that answered, counted.
spread() {
  local i answers=""
  for ((i = 0; i < $1; i++)); do answers+="$(request || echo failed)"$'\n'; done
  sort <<< "${answers%$'\n'}" | uniq -c | awk '{ printf "%s%s %s=%s", sep, $2, $3, $1; sep = "," } END { print "" }'
}

care_args=(care --vs "$VS" --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http
           --health-path / --interval "$INTERVAL" --mode "$MODE" --datapath "$DATAPATH" --logger DEBG "${node_args[@]}")
start_care() {
  "$LVSCARE" "${care_args[@]}" >> "$log" 2>&1 &
  care_pid=$!
}

# What the host setup made, read with ip and nft.
vip_on_link() { ip -o addr show dev lvscare 2> /dev/null | grep -q " $VIP/$BITS "; }
# Link mode without the dummy link type: lvscare's local route (proto 76, no source) holds the VIP.
vip_local_route() {
  [[ $(ip -"$FAMILY" -j route show table main type local "$VIP/$BITS") == *'"dev":"lo","protocol":"76","scope":"host","metric":50'* ]]
}
# Our route, in its family's shape (see the header), read with ip: `ip -j` prints proto 76 as "76".
vip_route() {
  local shown
  shown=$(ip -"$FAMILY" -j route show "$VIP/$BITS")
  if [[ $FAMILY == 4 ]]; then
    [[ $shown == *'"gateway":"'$NODE_IP'","dev":"care-v1","protocol":"76","metric":50'* ]]
  else
    [[ $shown == *'"dev":"care-v1","protocol":"76","prefsrc":"'$NODE_IP'","metric":50'* && $shown != *gateway* ]]
  fi
}
masq_table() { nft list table "$NFT_FAMILY" "lvscare_masq_${VIP//:/-}" > /dev/null 2>&1; }

# --- 1. start: all three in, traffic round robin ------------------------------------------------
say "datapath=$DATAPATH mode=$MODE family=IPv$FAMILY vs=$VS rs=${rs[*]}"
start_care
wait_for "$STATE_WAIT" all_weight x 1 || fail "servers not all at weight 1: $(weights)"
say "all three real servers at weight 1 after ${waited_ms} ms: $(weights)"
grep -q "datapath=$DATAPATH" "$log" || fail "lvscare did not say it chose $DATAPATH"
if [[ $MODE == route ]]; then
  wait_for "$STATE_WAIT" vip_route || fail "no route of ours to the VIP: $(ip -"$FAMILY" route show "$VIP/$BITS")"
  got=$(ip -"$FAMILY" route get "$VIP")
  [[ $got == *" src $NODE_IP "* ]] || fail "the VIP's traffic does not leave with the node IP: $got"
  say "route: $(ip -"$FAMILY" route show "$VIP/$BITS"); the VIP's traffic leaves with src $NODE_IP"
fi
got=$(spread 9)
say "9 requests through the VIP: $got"
for n in 1 2 3; do [[ $got == *"server $n="* ]] || fail "server $n got no request: $got"; done
[[ $got != *failed* ]] || fail "requests failed: $got"

# --- 2. kill one: refused, so removed at once (no weight-0 step); restart: back -----------------
victim=1
log_mark=$(wc -l < "$log")
kill "${server_pid[$victim]}"; wait "${server_pid[$victim]}" 2> /dev/null || true
t0=$(now_ms)
wait_for "$STATE_WAIT" has_weight "${rs[$victim]}" absent || fail "killed server not removed: $(weights)"
tail -n "+$((log_mark + 1))" "$log" | grep -F "rs=${rs[$victim]} active -> removed" > /dev/null \
  || fail "killed server not removed at once (no 'active -> removed' line)"
say "server 2 killed: removed at once after $(($(now_ms) - t0)) ms: $(weights)"
got=$(spread 6)
say "6 requests: $got"
[[ $got != *"server 2"* && $got != *failed* ]] || fail "traffic still reaches the dead server or fails: $got"
start_server "$victim"
wait_for "$STATE_WAIT" has_weight "${rs[$victim]}" 1 || fail "restarted server not back: $(weights)"
say "server 2 restarted: back at weight 1 after ${waited_ms} ms"

# --- 3. black-holed (stopped) server: like a dead one ------------------------------------------
victim=2
log_mark=$(wc -l < "$log")
kill -STOP "${server_pid[$victim]}"
t0=$(now_ms)
wait_for "$STATE_WAIT" drained "${rs[$victim]}" || fail "stopped server not at weight 0: $(weights)"
say "server 3 stopped (SIGSTOP): weight 0 after $(($(now_ms) - t0)) ms"
wait_for "$STATE_WAIT" has_weight "${rs[$victim]}" absent || fail "stopped server not removed: $(weights)"
say "server 3 removed after $(($(now_ms) - t0)) ms"
kill -CONT "${server_pid[$victim]}"
wait_for "$STATE_WAIT" has_weight "${rs[$victim]}" 1 || fail "resumed server not back: $(weights)"
say "server 3 resumed: back at weight 1 after ${waited_ms} ms"

# --- 4. foreign deletions, each repaired ---------------------------------------------------------
repaired() { # description, check command...
  local what=$1; shift
  wait_for "$REPAIR_WAIT" "$@" || fail "$what: not repaired within ${REPAIR_WAIT} s: $(weights)"
  say "$what: repaired after ${waited_ms} ms"
}

if [[ $DATAPATH == ipvs ]]; then
  ipvsadm -C
  repaired "ipvsadm -C" all_weight x 1
  ipvsadm -d -t "$VS" -r "${rs[0]}"
  repaired "ipvsadm -d (one real server)" all_weight x 1
  ipvsadm -e -t "$VS" -r "${rs[0]}" -m -w 0
  repaired "ipvsadm -e (weight edited to 0 on a serving server)" all_weight x 1
  # A nonzero weight set by hand on a server that passes is the admin's, as with Go LVScare: kept
  # (several ticks later still there) and reported once, then put back by hand for what follows.
  ipvsadm -e -t "$VS" -r "${rs[0]}" -m -w 7
  wait_for "$REPAIR_WAIT" grep -qF "rs=${rs[0]} weight=7 kept=" "$log" || fail "hand-set weight 7 not reported as kept"
  sleep 1
  has_weight "${rs[0]}" 7 || fail "hand-set weight 7 not kept: $(weights)"
  say "ipvsadm -e (weight edited to 7): kept and reported"
  ipvsadm -e -t "$VS" -r "${rs[0]}" -m -w 1
else
  nft delete table "$NFT_FAMILY" "$nft_table"
  repaired "nft delete table $nft_table" all_weight x 1
fi
if command -v nft > /dev/null; then
  nft flush ruleset
  repaired "nft flush ruleset" all_weight x 1
  [[ $MODE == link ]] && repaired "nft flush ruleset (masquerade table)" masq_table
fi
if [[ $MODE == link ]]; then
  if ((have_dummy)); then
    ip link del lvscare
    repaired "ip link del lvscare" vip_on_link
    ip addr del "$VIP/$BITS" dev lvscare
    repaired "ip addr del (the VIP)" vip_on_link
  else
    vip_local_route || fail "no dummy link type, and no local route of ours to the VIP: $(ip -"$FAMILY" route show table main type local)"
    grep -q "fallback=route" "$log" || fail "lvscare did not log its fallback to the local route"
    ip -"$FAMILY" route del local "$VIP/$BITS" dev lo table main
    repaired "ip route del local $VIP/$BITS (no dummy link type here)" vip_local_route
  fi
else
  ip -"$FAMILY" route del "$VIP/$BITS"
  repaired "ip -$FAMILY route del $VIP/$BITS" vip_route
fi
got=$(spread 6)
say "6 requests after the repairs: $got"
[[ $got != *failed* ]] || fail "requests failed after the repairs: $got"

# --- 5. SIGTERM leaves the rules; a restart adopts them with no gap ------------------------------
# Settled first, so what is read after the signal can only differ if the exit touched the rules.
wait_for "$STATE_WAIT" all_weight x 1 || fail "servers not all at weight 1 before SIGTERM: $(weights)"
kill -TERM "$care_pid"
wait "$care_pid" 2> /dev/null || true
care_pid=
for r in "${rs[@]}"; do
  [[ $(weight "$r") =~ ^[0-9]+$ ]] || fail "rules gone after SIGTERM: $(weights)"
done
all_weight x 1 || fail "rules changed by SIGTERM: $(weights)"
got=$(spread 3)
[[ $got != *failed* ]] || fail "traffic stopped with lvscare: $got"
say "lvscare stopped by SIGTERM: rules kept ($(weights)), traffic flows: $got"
start_care
for _ in $(seq 20); do # sample through the restart: never a moment without the rules
  all_weight x 1 || fail "rules changed during the restart: $(weights)"
  sleep 0.05
done
grep -q "adopt .*exists=true" "$log" || fail "the restart did not adopt the existing virtual server"
say "restart adopted the rules: no change seen in 20 samples"

# --- 6. -C leaves nothing of ours --------------------------------------------------------------
kill -TERM "$care_pid"; wait "$care_pid" 2> /dev/null || true; care_pid=
"$LVSCARE" care --vs "$VS" -C "${node_args[@]}" >> "$log" 2>&1 || fail "lvscare -C failed"
leftovers=""
if [[ $DATAPATH == ipvs ]]; then
  ipvsadm -Ln | grep -qF "$VS" && leftovers+="ipvs service; "
fi
if command -v nft > /dev/null; then
  nft list ruleset | grep -q "table $NFT_FAMILY lvscare_" && leftovers+="nft table; "
fi
ip link show lvscare > /dev/null 2>&1 && leftovers+="link lvscare; "
[[ -n $(ip -"$FAMILY" route show "$VIP/$BITS") ]] && leftovers+="route; "
[[ -z $leftovers ]] || fail "-C left: $leftovers"
say "-C: no virtual server, table, link or route left"
"$LVSCARE" care --vs "$VS" -C --run-once "${node_args[@]}" >> "$log" 2>&1 || fail "-C --run-once on a clean host failed"
say "-C --run-once with nothing left: exit 0"
if [[ $MODE == route && $FAMILY == 6 ]]; then
  # IPv6 route mode needs the node IP on an interface (it is the route's source there). Without:
  # --run-once fails naming it; the daemon logs it once, retries every tick (counted, not logged
  # again) and sets no route; -C then leaves nothing again.
  missing=fd77:99::1
  out=$("$LVSCARE" "${care_args[@]}" --run-once --ip "$missing" 2>&1) && fail "--run-once with node IP $missing on no interface exited 0"
  echo "$out" >> "$log"
  grep -q "error=.*node IP $missing is on no interface" <<< "$out" || fail "--run-once did not name node IP $missing: $out"
  say "--run-once, node IP $missing on no interface: exit 1, $(grep -o "node IP $missing is on no interface[^;]*" <<< "$out" | head -1)"
  daemon_log=$work/missing.log
  "$LVSCARE" "${care_args[@]}" --ip "$missing" > "$daemon_log" 2>&1 &
  care_pid=$!
  sleep 3 # 12 repair ticks
  kill -TERM "$care_pid"; wait "$care_pid" 2> /dev/null || true; care_pid=
  cat "$daemon_log" >> "$log"
  lines=$(grep -c "EROR.*node IP $missing is on no interface" "$daemon_log") || true
  [[ $lines == 1 ]] || fail "the daemon logged node IP $missing on no interface $lines times in 3 s, want once"
  [[ -z $(ip -6 route show "$VIP/$BITS") ]] || fail "a route was set without the node IP: $(ip -6 route show "$VIP/$BITS")"
  say "daemon, node IP $missing on no interface for 3 s: one error line, no route"
  "$LVSCARE" care --vs "$VS" -C --ip "$missing" >> "$log" 2>&1 || fail "-C after the failed runs failed"
  nft list ruleset 2> /dev/null | grep -q "table $NFT_FAMILY lvscare_" && fail "-C left an nft table"
  [[ $DATAPATH == ipvs ]] && ipvsadm -Ln | grep -qF "$VS" && fail "-C left the ipvs service"
fi
ok=1
say "PASS datapath=$DATAPATH mode=$MODE family=IPv$FAMILY"
