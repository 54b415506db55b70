# Shared by the root tests here and bench/care_failover_load.sh (sourced, not run): timing, bounded waits,
# messages, and the end of a cleanup trap. Needs $work, $log and $ok from the script.

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
