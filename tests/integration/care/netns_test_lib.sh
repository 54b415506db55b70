# Shared by the root tests here, ../cli/sealos_corpus.sh and the bench/care_*.sh scripts (sourced,
# not run): timing, bounded waits, messages, server namespaces, weights in the kernel, the
# kube-apiserver stand-ins, and the end of a cleanup trap. Needs $work, $log and $ok from the script.

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

# add_peer_netns <ns> <link> <address here/len> <address there/len>...: network namespace <ns>
# joined to this one by the veth pair <link> (here) and <link>-p (there), both up, with a default
# route back through the address here: where a test's servers ("masters") listen. The caller
# removes it with del_peer_netns in its cleanup.
add_peer_netns() {
  local ns=$1 link=$2 here=$3 there
  shift 3
  ip netns add "$ns"
  ip link add "$link" type veth peer name "$link-p"
  ip link set "$link-p" netns "$ns"
  ip link set "$link" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$link-p" up
  ip addr add "$here" dev "$link"
  for there in "$@"; do ip -n "$ns" addr add "$there" dev "$link-p"; done
  ip -n "$ns" route add default via "${here%/*}"
}

# del_peer_netns <ns>...: kills what still runs in each and deletes it.
del_peer_netns() {
  local ns pid
  for ns in "$@"; do
    for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    ip netns del "$ns" 2> /dev/null
  done
}

# A "master" in a network namespace of its own behind a veth pair (add_peer_netns): server_ns[$1]
# is the namespace, <prefix>-v<n> the veth end here, 10.<net>.<n>.1/24 here and 10.<net>.<n>.2/24
# there, rs[$1] = 10.<net>.<n>.2:<port>. n = $1 + 1.
#   add_server_ns <index> <prefix> <net> <port>
add_server_ns() {
  local i=$1 prefix=$2 net=$3 port=$4 n=$(($1 + 1))
  server_ns[$i]=$prefix-srv$n-$$
  add_peer_netns "${server_ns[$i]}" "$prefix-v$n" "10.$net.$n.1/24" "10.$net.$n.2/24"
  rs[$i]=10.$net.$n.2:$port
}

# Three busybox httpd servers, each in a namespace of its own (add_server_ns <index> <prefix> <net>
# <port>), answering "server <index>" on /; waits (at most $2 seconds) until each answers.
#   start_three_http_servers <prefix> <wait seconds> <net> <port>   (needs $busybox: find_busybox)
start_three_http_servers() {
  local prefix=$1 wait=$2 net=$3 port=$4 i
  for i in 0 1 2; do
    add_server_ns "$i" "$prefix" "$net" "$port"
    mkdir -p "$work/www$i" && echo "server $i" > "$work/www$i/index.html"
    ip netns exec "${server_ns[$i]}" "$busybox" httpd -f -p "${rs[$i]}" -h "$work/www$i" &
    server_pid[$i]=$!
  done
  for i in 0 1 2; do
    wait_for "$wait" curl -s -o /dev/null --max-time 1 "http://${rs[$i]}/" || fail "server ${rs[$i]} does not answer"
  done
}

# For a cleanup trap: kills every process left in the server namespaces and deletes them.
remove_server_namespaces() { del_peer_netns "${server_ns[@]}"; }

# rs_weight <nft table> <real server ip:port>: its weight in our table (lvscare writes
# "rs <ip:port> weight <n>" as the rule's comment), "absent", or "novs" without the table.
rs_weight() {
  local out w
  out=$(nft list table ip "$1" 2> /dev/null) || { echo novs; return; }
  w=$(grep -o "comment \"rs ${2//./\\.} weight [0-9]*\"" <<< "$out" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
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
  local out
  if [[ ${DATAPATH:-nftables} == ipvs ]]; then
    out=$(ipvsadm -Ln -t "$VIP:$VPORT" 2> /dev/null) || { echo novs; return; }
    awk -v rs="$1" '$1 == "->" && $2 == rs { print $4; found = 1 } END { if (!found) print "absent" }' <<< "$out"
    return
  fi
  rs_weight "lvscare_tcp_${VIP}_${VPORT}" "$1"
}
has_weight() { [[ $(weight "$1") == "$2" ]]; }
weights() { local r out=""; for r in "${rs[@]}"; do out+="$r=$(weight "$r") "; done; echo "${out% }"; }

# ---- Three kube-apiserver stand-ins behind veth pairs (care_masters.sh, bench/care_failover_load.sh)
# Master N (1-3) is tests/support/apiserver_standin in network namespace lvscare-mN-<pid>, listening
# on 10.79.N.2:6443 (master_rs[N]); this namespace's end of its pair is 10.79.N.1 (10.79.1.1 is the
# node IP for route mode). Each logs the ids it served to $work/mN.log. Needs $STANDIN and $work.
declare -a master_ns=() master_pid=() master_rs=()

masters_setup() {
  local n
  for n in 1 2 3; do
    master_ns[n]=lvscare-m$n-$$
    master_rs[n]=10.79.$n.2:6443
    ip netns add "${master_ns[n]}"
    ip link add lm-v$n type veth peer name lm-p$n
    ip link set lm-p$n netns "${master_ns[n]}"
    ip addr add 10.79.$n.1/24 dev lm-v$n
    ip link set lm-v$n up
    ip -n "${master_ns[n]}" link set lo up
    ip -n "${master_ns[n]}" addr add 10.79.$n.2/24 dev lm-p$n
    ip -n "${master_ns[n]}" link set lm-p$n up
    ip -n "${master_ns[n]}" route add default via 10.79.$n.1  # answers to a VIP-sourced client (IPVS)
  done
}

# master_start N [stand-in flags...]: starts master N (`ip netns exec` execs, so the pid is its own).
master_start() {
  local n=$1; shift
  ip netns exec "${master_ns[n]}" "$STANDIN" --listen "${master_rs[n]}" --name "m$n" --log "$work/m$n.log" "$@" \
    2>> "$work/m$n.stderr" &
  master_pid[n]=$!
}

# master_served N ID: master N's log holds an id >= ID (it served a request sent at or after it).
master_served() { [[ -e $work/m$1.log ]] && awk -v min="$2" '$1 >= min { found = 1; exit } END { exit !found }' "$work/m$1.log"; }

# The number of acknowledged requests in $1 ("<server> <id>" lines, vip_load_client --acked) that no
# server's log holds: requests a client saw answered but no server served. 0 is the only right answer.
acked_not_served() {
  local logs=() f
  for f in "$work"/m1.log "$work"/m2.log "$work"/m3.log; do [[ -e $f ]] && logs+=("$f"); done
  awk 'FILENAME != ARGV[ARGC - 1] { served[$2 " " $1] = 1; next } !(($1 " " $2) in served) { lost++ }
       END { print lost + 0 }' "${logs[@]}" "$1"
}

# Stops every master (also a stopped one) and removes their namespaces; for a cleanup trap.
masters_cleanup() {
  local n pid
  for n in 1 2 3; do
    [[ -n ${master_ns[n]:-} ]] || continue
    for pid in $(ip netns pids "${master_ns[n]}" 2> /dev/null); do kill -CONT "$pid"; kill -9 "$pid"; done 2> /dev/null
    ip netns del "${master_ns[n]}" 2> /dev/null
  done
}

# masters_keepalived_conf ROUTER_ID HEALTH_PATH: keepalived's configuration (on stdout) for the
# benches' anchor: $VIP:$VPORT on IPVS (NAT, rr) over the three masters, HTTP_GET of HEALTH_PATH
# every second (delay_loop 1, connect_timeout 1, no retry), as lvscare's --interval 1.
masters_keepalived_conf() {
  local n
  echo "global_defs { router_id $1 }"
  echo "virtual_server $VIP $VPORT {"
  echo "  delay_loop 1"
  echo "  lb_algo rr"
  echo "  lb_kind NAT"
  echo "  protocol TCP"
  for n in 1 2 3; do
    echo "  real_server ${master_rs[n]%:*} $VPORT { weight 1"
    echo "    HTTP_GET { url { path $2 status_code 200 } connect_timeout 1 retry 0 delay_before_retry 0 } }"
  done
  echo "}"
}
