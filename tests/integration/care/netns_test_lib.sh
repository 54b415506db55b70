# Shared by fail_open_k3s.sh, go_lvscare_takeover.sh and ../cli/sealos_corpus.sh (sourced, not
# run): timing, bounded waits, messages, server namespaces, weights in our nftables table, and the
# end of a cleanup trap. Needs $work, $log and $ok from the script.

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

# rs_weight <nft table> <real server ip:port>: its weight in our table (lvscare writes
# "rs <ip:port> weight <n>" as the rule's comment), "absent", or "novs" without the table.
rs_weight() {
  local out w
  out=$(nft list table ip "$1" 2> /dev/null) || { echo novs; return; }
  w=$(grep -o "comment \"rs ${2//./\\.} weight [0-9]*\"" <<< "$out" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
}
