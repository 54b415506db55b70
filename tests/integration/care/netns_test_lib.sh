# Shared by fail_open_k3s.sh, go_lvscare_takeover.sh and passive_detection.sh (sourced, not run):
# timing, bounded waits, messages, server namespaces, and the end of a cleanup trap. Needs $work,
# $log and $ok from the script.

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
say() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }

# Polls "$@" every 50 ms for at most $1 seconds.
wait_for() {
  local deadline=$(($(now_ms) + $1 * 1000)); shift
  until "$@"; do (($(now_ms) < deadline)) || return 1; sleep 0.05; done
}

# Prints $1 lines of the nft ruleset (and the ipsets, when ipset is installed) and the end of the
# lvscare log, then exits 1.
fail_with_state() {
  local rules=$1; shift
  say "FAIL: $*"
  echo "---- nft:"; nft list ruleset 2> /dev/null | head -"$rules" || true
  if command -v ipset > /dev/null; then echo "---- ipset:"; ipset list -n 2>&1 || true; fi
  echo "---- lvscare log (last 40 lines):"; tail -n 40 "$log" 2> /dev/null || true
  exit 1
}

# The last step of a cleanup trap: wait for the children, keep $work when the test failed.
finish_cleanup() {
  local status=$1
  wait 2> /dev/null
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}

# A "master" in a network namespace of its own behind a veth pair: server_ns[$1] is the namespace,
# <prefix>-v<n> (here) and <prefix>-p<n> (there) the veth ends, 10.<net>.<n>.1/24 here and
# 10.<net>.<n>.2/24 there with a default route back, rs[$1] = 10.<net>.<n>.2:<port>. n = $1 + 1.
#   add_server_ns <index> <prefix> <net> <port>
add_server_ns() {
  local i=$1 prefix=$2 net=$3 port=$4 n=$(($1 + 1))
  local ns=$prefix-srv$n-$$
  ip netns add "$ns"
  server_ns[$i]=$ns
  ip link add "$prefix-v$n" type veth peer name "$prefix-p$n"
  ip link set "$prefix-p$n" netns "$ns"
  ip link set "$prefix-v$n" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$prefix-p$n" up
  ip addr add "10.$net.$n.1/24" dev "$prefix-v$n"
  ip -n "$ns" addr add "10.$net.$n.2/24" dev "$prefix-p$n"
  ip -n "$ns" route add default via "10.$net.$n.1"
  rs[$i]=10.$net.$n.2:$port
}

# For a cleanup trap: kills every process left in the server namespaces and deletes them.
remove_server_namespaces() {
  local ns pid
  for ns in "${server_ns[@]}"; do
    for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    ip netns del "$ns" 2> /dev/null
  done
}

skip() { echo "SKIP: $*"; exit 77; }

# Sets $busybox (busybox-static's, for httpd), or skips the test.
find_busybox() {
  busybox=/bin/busybox
  [[ -x $busybox ]] || busybox=/usr/bin/busybox
  [[ -x $busybox ]] || skip "needs busybox (busybox-static) for httpd"
}

# The usual start of a test with servers in namespaces of their own: $work, $log, the arrays, and
# a cleanup trap that stops lvscare ($care_pid) and the servers and removes their namespaces.
#   begin_server_test <name for the temporary directory>
begin_server_test() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  log=$work/lvscare.log
  care_pid=
  server_pid=() server_ns=() rs=()
  ok=0
  trap stop_server_test EXIT
}
stop_server_test() {
  local status=$? pid
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  for pid in "${server_pid[@]}"; do kill "$pid" 2> /dev/null; done
  remove_server_namespaces
  finish_cleanup "$status"
}

# The weight of real server $1 for $VIP:$VPORT as the kernel holds it, read with nft (or with
# ipvsadm when DATAPATH=ipvs): a number, "absent", or "novs" when the virtual server is not there.
weight() {
  local out w
  if [[ ${DATAPATH:-nftables} == ipvs ]]; then
    out=$(ipvsadm -Ln -t "$VIP:$VPORT" 2> /dev/null) || { echo novs; return; }
    awk -v rs="$1" '$1 == "->" && $2 == rs { print $4; found = 1 } END { if (!found) print "absent" }' <<< "$out"
    return
  fi
  out=$(nft list table ip "lvscare_tcp_${VIP}_${VPORT}" 2> /dev/null) || { echo novs; return; }
  w=$(grep -o "comment \"rs ${1//./\\.} weight [0-9]*\"" <<< "$out" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
}
has_weight() { [[ $(weight "$1") == "$2" ]]; }
weights() { local r out=""; for r in "${rs[@]}"; do out+="$r=$(weight "$r") "; done; echo "${out% }"; }
