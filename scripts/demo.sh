#!/usr/bin/env bash
# The main job: the seed's example, end to end, in a private network namespace.
#
#   three HTTP echo servers on 127.0.0.1:8081-8083, a VIP 169.254.0.1:80 kept by
#   lvscare care --vs 169.254.0.1:80 --rs 127.0.0.1:8081 --rs 127.0.0.1:8082 --rs 127.0.0.1:8083 \
#                --logger DEBG --health-schem http --health-path /
#   requests through the VIP (round robin), one server stopped -> removed at once (it refuses
#   connections: nothing there can serve) -> restarted -> back, lvscare stopped (traffic carries
#   on), then `lvscare care --vs ... -C`.
#
# Run as root on Debian 12. Installs dependencies and builds lvscare if needed, then prints a
# timeline. Uses IPVS when the kernel has it, nftables otherwise (lvscare's own choice: --datapath
# auto). Never touches the host's own network namespace; the private one is removed on exit, on
# failure and on Ctrl-C. Exit 0 only if every step behaved as expected; 77 when not root.
#
# Environment:
#   DEMO_FAST=1      a quick run for CI: fewer requests and `--interval 1` (said in the output)
#   LVSCARE_BIN=...  use this lvscare binary instead of building build/src/cli/lvscare
#   DEMO_REQUESTS=N  requests per round (default 30, 9 with DEMO_FAST=1)
#   DEMO_EXPECT_DATAPATH=ipvs|nftables  fail unless lvscare chose this datapath (for CI)
#   DEMO_WAIT_LIMIT=S  bound for every wait (default 30 s; more for a slow, emulated CI VM)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly VIP=169.254.0.1 VPORT=80
readonly PORTS=(8081 8082 8083)
readonly VICTIM=8082      # the server stopped and restarted
readonly WAIT_LIMIT=${DEMO_WAIT_LIMIT:-30}  # seconds, for every wait
fast=${DEMO_FAST:-0}
requests=${DEMO_REQUESTS:-$([[ $fast == 1 ]] && echo 9 || echo 30)}

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: needs root (it creates a network namespace and programs the kernel's load balancer)" >&2
  exit 77
fi

# --- build ----------------------------------------------------------------------------------------
if [[ -n ${LVSCARE_BIN:-} ]]; then
  lvscare=$LVSCARE_BIN
else
  scripts/install-deps.sh
  echo "== building lvscare (cmake/ninja, target lvscare only)"
  [[ -f build/build.ninja ]] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build --target lvscare
  lvscare=$PWD/build/src/cli/lvscare
fi
[[ -x $lvscare ]] || { echo "demo.sh: no lvscare binary at $lvscare" >&2; exit 1; }
readonly PYTHON=/usr/bin/python3  # Debian's, not a pyenv shim

# --- the private network namespace and everything in it ------------------------------------------
ns=lvscare-demo-$$
work=$(mktemp -d /tmp/lvscare-demo.XXXXXX)
log=$work/lvscare.log
declare -A server_pid=()
care_pid=
ok=0

in_ns() { ip netns exec "$ns" "$@"; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2>/dev/null
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null; done
  if ip netns pids "$ns" >/dev/null 2>&1; then
    # Anything still inside is ours (the namespace is); it must go before the namespace can.
    for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null; done
    for _ in $(seq 50); do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.1; done
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns"
  fi
  wait 2>/dev/null
  if ((ok)); then
    rm -rf "$work"
  else
    echo "== demo files kept in $work (lvscare.log: lvscare's log)" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "== interrupted" >&2; exit 130' INT TERM

start_time=$EPOCHREALTIME
elapsed() { awk -v a="$start_time" -v b="$EPOCHREALTIME" 'BEGIN { printf "%5.1f", b - a }'; }
say() { printf '[%ss] %s\n' "$(elapsed)" "$*"; }

fail() {
  say "FAILED: $*"
  echo "---- datapath state: $(datapath_state 2>&1 || true)"
  if [[ -s $log ]]; then
    echo "---- lvscare log (last 40 lines, $log)"
    tail -n 40 "$log"
  fi
  exit 1
}

# Waits until "$@" succeeds, polling every 0.2 s, for at most WAIT_LIMIT seconds.
wait_for() {
  local deadline=$((SECONDS + WAIT_LIMIT))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# --- HTTP echo servers ----------------------------------------------------------------------------
# Plain socketserver rather than http.server: a third of the imports, which matters where every
# file is read slowly (the CI VM, under emulation). It reads the request up to its blank line and
# answers every request the same way, then closes.
read -r -d '' SERVER_PY <<'EOF' || true
import socketserver, sys
port = int(sys.argv[1])
body = f"server {port}\n".encode()
reply = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
         % len(body)) + body
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            if line in (b"\r\n", b"\n"):
                break
        self.wfile.write(reply)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server(("127.0.0.1", port), Echo).serve_forever()
EOF

# Started with `ip netns exec` directly (not through a function) so that $! is the server itself.
start_server() {
  ip netns exec "$ns" "$PYTHON" -c "$SERVER_PY" "$1" &
  server_pid[$1]=$!
}
answers_directly() { [[ $(in_ns curl -s --max-time 1 "http://127.0.0.1:$1/") == "server $1" ]]; }
stop_server() {
  kill "${server_pid[$1]}"
  wait "${server_pid[$1]}" 2>/dev/null || true
  unset "server_pid[$1]"
}

# --- requests through the VIP ---------------------------------------------------------------------
# `send N` makes N new connections to the VIP, one after the other (one curl for all N: the
# servers close each connection, and `Connection: close` keeps curl from reusing one; 1 s connect /
# 2 s total timeout per request), and sets count[8081..8083] and count[failed] (N - answers).
declare -A count=()
send() {
  count=([failed]=0)
  for port in "${PORTS[@]}"; do count[$port]=0; done
  local reply answers=0 urls=() i
  for ((i = 0; i < $1; i++)); do urls+=("http://$VIP:$VPORT/"); done
  while read -r reply; do
    if [[ $reply =~ ^server\ ([0-9]+)$ ]]; then
      count[${BASH_REMATCH[1]}]=$((${count[${BASH_REMATCH[1]}]:-0} + 1))
      answers=$((answers + 1))
    fi
  done < <(in_ns curl -s -H 'Connection: close' --connect-timeout 1 --max-time 2 "${urls[@]}" || true)
  count[failed]=$(($1 - answers))
}
counts() {
  local out="" port
  for port in "${PORTS[@]}"; do out+="$port=${count[$port]} "; done
  echo "${out}failed=${count[failed]}"
}

# --- the kernel's view, read with the kernel's own tools (not lvscare) ----------------------------
readonly NFT_TABLE=lvscare_tcp_${VIP}_${VPORT}
# Prints `port:slots` per backend of our nftables table: slots = entries of the lb map pointing at
# the backend's chain (0 = weight 0: no new connections). Nothing when the table is absent.
# SIGINT's default action, so that Ctrl-C here ends the demo (bash runs its INT trap only when the
# foreground child died of SIGINT, and Python would otherwise exit through KeyboardInterrupt).
read -r -d '' NFT_PY <<'EOF' || true
import json, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
def walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)
items = json.load(sys.stdin)["nftables"]
dnat, slots = {}, {}
# The lb map (named `slots`): each element maps a key or a key range to a backend's chain.
for m in (item["map"] for item in items if "map" in item):
    for key, value in m.get("elem", []):
        count = key["range"][1] - key["range"][0] + 1 if isinstance(key, dict) and "range" in key else 1
        for target in walk(value, "goto"):
            slots[target["target"]] = slots.get(target["target"], 0) + count
for rule in (item["rule"] for item in items if "rule" in item):
    for d in walk(rule["expr"], "dnat"):
        dnat[rule["chain"]] = d["port"]
print(" ".join(f"{port}:{slots.get(chain, 0)}" for chain, port in sorted(dnat.items(), key=lambda x: x[1])))
EOF

kind=  # set once lvscare has programmed the VIP (the datapath does not change while it runs)
datapath_kind() {
  if [[ -n $kind ]]; then
    echo "$kind"
  elif in_ns nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
    echo nftables
  elif in_ns test -e /proc/net/ip_vs && in_ns ipvsadm -Ln -t "$VIP:$VPORT" >/dev/null 2>&1; then
    echo ipvs
  else
    echo none
  fi
}

# One line, `8081:1 8082:0 8083:1` (port:weight, or slots in the nftables lb map); empty when the
# service holds no backend; "none" when there is no service at all.
datapath_state() {
  case $(datapath_kind) in
    nftables) in_ns nft -j list table ip "$NFT_TABLE" | "$PYTHON" -c "$NFT_PY" ;;
    ipvs) in_ns ipvsadm -Ln -t "$VIP:$VPORT" |
            awk '$1 == "->" && $2 ~ /:[0-9]+$/ { split($2, a, ":"); out = out sep a[2] ":" $4; sep = " " }
                 END { print out }' ;;
    none) echo none ;;
  esac
}
# state_has STATE PORT active|drained|absent, STATE being datapath_state's line
state_has() {
  local state=" $1 "
  case $3 in
    active) [[ $state =~ \ $2:[1-9][0-9]*\  ]] ;;
    drained) [[ $state == *" $2:0 "* ]] ;;
    absent) [[ $state != *" $2:"* && $state != " none " ]] ;;
  esac
}
logged() { grep -qE -- "$1" "$log"; }
# The newest lvscare log line matching $1, on the timeline at the time lvscare logged it.
say_logged() {
  local line stamp at
  line=$(grep -E -- "$1" "$log" | tail -n 1)
  stamp=$(date -d "${line%% *}" +%s.%N 2>/dev/null) || stamp=$EPOCHREALTIME
  at=$(awk -v a="$start_time" -v b="$stamp" 'BEGIN { printf "%5.1f", b - a }')
  printf '[%ss] lvscare: %s\n' "$at" "${line#* }"
}

expect_counts() {  # expect_counts WHAT PORT... : no failure, every PORT > 0, every other port 0
  local what=$1 port
  shift
  say "$what: $(counts)"
  ((count[failed] == 0)) || fail "$what: ${count[failed]} requests failed"
  for port in "${PORTS[@]}"; do
    if [[ " $* " == *" $port "* ]]; then
      ((count[$port] > 0)) || fail "$what: no request reached server $port"
    else
      ((count[$port] == 0)) || fail "$what: ${count[$port]} requests reached server $port"
    fi
  done
}

# --- the demo -------------------------------------------------------------------------------------
echo "== lvscare demo: $($lvscare version 2>/dev/null | head -n 1)"
ip netns add "$ns"
in_ns ip link set lo up
say "private network namespace $ns created (the host's own routes, links and rules are not touched)"
# The node's own address, for route mode (`VIP via <node IP>`): on a veth pair that lives wholly
# inside the namespace, given as LVSCARE_NODE_IP (LVScare's fallback when there is no --ip and no
# lvscare.node.ip in /etc/hosts). A route via 127.0.0.1 does not carry the DNATed traffic.
readonly NODE_IP=10.255.0.1 NODE_LINK=demo-node
in_ns ip link add "$NODE_LINK" type veth peer name "$NODE_LINK-peer"
in_ns ip addr add "$NODE_IP/24" dev "$NODE_LINK"
in_ns ip link set "$NODE_LINK" up
in_ns ip link set "$NODE_LINK-peer" up
export LVSCARE_NODE_IP=$NODE_IP
say "node IP $NODE_IP on $NODE_LINK (a veth inside the namespace), passed as LVSCARE_NODE_IP"

for port in "${PORTS[@]}"; do start_server "$port"; done
for port in "${PORTS[@]}"; do
  wait_for answers_directly "$port" || fail "server $port did not come up"
done
say "HTTP echo servers up on 127.0.0.1:${PORTS[0]}-${PORTS[-1]} (each answers \"server <port>\")"

care=(care --vs "$VIP:$VPORT")
for port in "${PORTS[@]}"; do care+=(--rs "127.0.0.1:$port"); done
care+=(--logger DEBG --health-schem http --health-path /)
if [[ $fast == 1 ]]; then
  care+=(--interval 1)
  say "DEMO_FAST=1: health checks every 1 s (--interval 1) instead of LVScare's default 5 s"
fi
say "starting: lvscare ${care[*]}"
ip netns exec "$ns" "$lvscare" "${care[@]}" >"$log" 2>&1 &
care_pid=$!

care_running() {
  kill -0 "$care_pid" 2>/dev/null && return 0
  if logged 'no kernel datapath yet'; then
    # Until the datapaths are wired into `lvscare care` there is nothing to demonstrate: say so and
    # report "skipped" (77), not success.
    say "SKIPPED: this build's 'lvscare care' has no kernel datapath yet: $(grep -m1 'no kernel datapath' "$log" | cut -d' ' -f2-)"
    ok=1
    exit 77
  fi
  fail "lvscare care exited early"
}
# One read of the kernel's state per poll (every process is slow under emulation, as in the CI VM).
all_active() {
  care_running || return 1
  local state p
  state=$(datapath_state)
  for p in "${PORTS[@]}"; do state_has "$state" "$p" active || return 1; done
}
wait_for all_active || fail "lvscare did not program the VIP with all three servers"
kind=$(datapath_kind)
logged 'datapath' && say_logged 'datapath'
if [[ -n ${DEMO_EXPECT_DATAPATH:-} && $kind != "$DEMO_EXPECT_DATAPATH" ]]; then
  fail "lvscare chose datapath $kind, expected $DEMO_EXPECT_DATAPATH (DEMO_EXPECT_DATAPATH)"
fi
say "lvscare programmed the VIP: datapath $kind, backends $(datapath_state) (port:weight as the kernel holds it)"
[[ $kind == ipvs ]] && in_ns ipvsadm -Ln | sed 's/^/    /'
# Route mode: `VIP via <node IP>`; with IPVS and real servers on 127.0.0.1, lvscare makes it
# `local VIP dev lo src <node IP>` instead (IPVS hands a packet rewritten to a local address to the
# route it already had, so the VIP must route to lo; see README "Route mode and real servers on
# this host").
logged 'mode=route route=' && say_logged 'mode=route route='
say "route to the VIP: $(in_ns ip route show table main | grep -F "$VIP" || echo none)"

send "$requests"
expect_counts "$requests requests through $VIP:$VPORT (round robin)" "${PORTS[@]}"

stop_server "$VICTIM"
say "stopped server $VICTIM"

# Each check keeps the kernel state it saw (`seen`), printed below: the state at that moment.
seen=
saw() { seen=$(datapath_state); state_has "$seen" "$VICTIM" "$1"; }
# A stopped server refuses connections: nothing there can serve, so lvscare removes it at once,
# without LVScare's weight-0 step (that is for a server that answers "not ready": it drains).
removed() { logged "rs=127\.0\.0\.1:$VICTIM active -> removed" && saw absent; }
wait_for removed || fail "lvscare did not remove server $VICTIM"
say_logged "rs=127\.0\.0\.1:$VICTIM active -> removed"
echo "           kernel: backends $seen"

others=()
for port in "${PORTS[@]}"; do [[ $port == "$VICTIM" ]] || others+=("$port"); done
send "$requests"
expect_counts "$requests requests without $VICTIM" "${others[@]}"

start_server "$VICTIM"
wait_for answers_directly "$VICTIM" || fail "server $VICTIM did not come back up"
say "restarted server $VICTIM"
back() { logged "rs=127\.0\.0\.1:$VICTIM removed -> active weight=1" && saw active; }
wait_for back || fail "lvscare did not add server $VICTIM back"
say_logged "rs=127\.0\.0\.1:$VICTIM removed -> active"
echo "           kernel: backends $seen"

send "$requests"
expect_counts "$requests requests with $VICTIM back" "${PORTS[@]}"

kill -TERM "$care_pid"
gone() { ! kill -0 "$care_pid" 2>/dev/null; }
wait_for gone || fail "lvscare care did not exit on SIGTERM"
care_status=0
wait "$care_pid" || care_status=$?
care_pid=
say "stopped lvscare care (SIGTERM, exit status $care_status): the kernel keeps the last rules"
send 6
expect_counts "6 requests with lvscare stopped" "${PORTS[@]}"

say "running: lvscare care --vs $VIP:$VPORT -C"
clean_status=0
in_ns "$lvscare" care --vs "$VIP:$VPORT" -C >>"$log" 2>&1 || clean_status=$?
((clean_status == 0)) || fail "lvscare care -C exited with status $clean_status"

leftovers=()
tables=$(in_ns nft list tables)
[[ -z $tables ]] || leftovers+=("nftables: $tables")
if in_ns test -e /proc/net/ip_vs; then
  services=$(in_ns ipvsadm -Ln | awk '$1 == "TCP" || $1 == "UDP" || $1 == "SCTP"')
  [[ -z $services ]] || leftovers+=("IPVS: $services")
fi
routes=$(in_ns ip route show table all | grep -F "$VIP" || true)
[[ -z $routes ]] || leftovers+=("routes: $routes")
addresses=$(in_ns ip -o addr show | grep -F "$VIP" || true)
[[ -z $addresses ]] || leftovers+=("addresses: $addresses")
links=$(in_ns ip -o link show | awk -F': ' '$2 != "lo" && $2 !~ /^'"$NODE_LINK"'(-peer)?@/ { print $2 }')
[[ -z $links ]] || leftovers+=("links: $links")
((${#leftovers[@]} == 0)) || fail "left behind after -C: ${leftovers[*]}"
send 1
((count[failed] == 1)) || fail "the VIP still answers after -C: $(counts)"
say "clean: no nftables tables, IPVS services, routes, addresses or links for the VIP; the VIP no longer answers"

for port in "${!server_pid[@]}"; do stop_server "$port"; done
ok=1
say "demo passed: every step behaved as expected (datapath $kind)"
