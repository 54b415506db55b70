#!/usr/bin/env bash
# Repair time of `lvscare care`: from someone else deleting or editing something of ours (ipvsadm -C,
# nft flush ruleset, ip route del, ...) to the moment the kernel state is whole again, as a
# distribution over repeated trials per kind of deletion.
#
#   bench/care_repair.sh [lvscare binary] [ipvs|nftables|auto] [trials] [modes]
#
# lvscare runs with --interval 5, so no health check can be what repairs anything: a repair comes
# from the kernel's announcement of the deletion (nftables tables, routes, links, addresses: a pass
# a few ms after it, src/care/kernel_watch.hpp) or, for what nothing announces (IPVS), from the
# reconcile tick (250 ms). Three busybox httpd servers live in network namespaces of
# their own behind veth pairs. For each mode (default "route link"; link mode needs the dummy link
# type, which not every kernel has: it is skipped, saying so, where there is none) lvscare is
# started and the whole kernel state is recorded with tools we did not write: ipvsadm -S -n,
# nft -j list ruleset (handles dropped, objects in a fixed order), ip -j route, ip -j -d addr.
# Each trial waits a random part of the tick, hands the deleting command to its tool, already
# running (nft -i, ip -batch -, ipvsadm -R: no exec between the clock and the deletion), and times
# from that moment until the kernel state is whole again:
#   - polled every POLL_MS (default 10) without starting a process (bash builtins only: under
#     the test VM's emulation every exec costs 150-500 ms): /proc/net/ip_vs, /proc/net/route,
#     /sys/class/net/lvscare/flags with /proc/net/fib_trie, and for nftables the events of a
#     `nft monitor` started beforehand (our tables all present again after a new generation made
#     by lvscare), compared with the same view recorded at the start (as sets of lines);
#   - then confirmed with the tools above; a trial the tools do not confirm is polled on with them
#     and its time taken when they do (counted as "late confirmations").
# When no poll saw the deletion at all (deleted and repaired between two polls) the trial's time is
# lvscare's own log stamp of its repair (counted as "deletions not seen").
# A trial not whole within REPAIR_BOUND s (default 5) counts as not repaired (exit status 1).
# lvscare's own log stamps of its repairs are printed beside, as a cross-check.
#
# The anchor, when the datapath is IPVS and keepalived is installed: keepalived (Debian's) with the
# same virtual server and real servers (delay_loop 5, TCP_CHECK), the same `ipvsadm -C`, the same
# polling, bounded at ANCHOR_WAIT s (default 10): keepalived reprograms IPVS only when a checker
# changes state or on a reload, so it is expected not to restore anything.
#
# Everything runs in a private network namespace (unshare -n); nothing on the caller's host is
# touched. Root only (exit 77 otherwise).
# IPVS (in the test VM): scripts/vm/run.sh -- bench/care_repair.sh build/src/cli/lvscare ipvs 20
# nftables link mode where there is no dummy link type here: ... -- bench/care_repair.sh ... nftables 20 link
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
DATAPATH=${2:-auto}
TRIALS=${3:-20}
MODES=${4:-route link}
POLL_MS=${POLL_MS:-10}
REPAIR_BOUND=${REPAIR_BOUND:-5}
ANCHOR_WAIT=${ANCHOR_WAIT:-10}
ANCHOR_TRIALS=${ANCHOR_TRIALS:-3}
[[ $(id -u) -eq 0 ]] || { echo "care_repair.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
[[ -x $LVSCARE ]] || { echo "care_repair.sh: no lvscare binary at $LVSCARE" >&2; exit 1; }
[[ $TRIALS =~ ^[0-9]+$ && $TRIALS -gt 0 ]] || { echo "care_repair.sh: trials must be a positive number" >&2; exit 2; }
[[ $POLL_MS =~ ^[0-9]+$ && $POLL_MS -gt 0 && $POLL_MS -lt 1000 ]] || { echo "care_repair.sh: POLL_MS: 1..999" >&2; exit 2; }
if [[ -z ${CARE_BENCH_NETNS:-} ]]; then
  exec unshare -n env CARE_BENCH_NETNS=1 "$0" "$LVSCARE" "$DATAPATH" "$TRIALS" "$MODES"
fi
busybox=$(command -v busybox) || { echo "needs busybox" >&2; exit 77; }
for tool in ip jq stdbuf; do command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 77; }; done

readonly VIP=169.254.0.1 VPORT=80 NODE_IP=10.79.1.1
work=$(mktemp -d /tmp/care-repair.XXXXXX)
log=$work/lvscare.log
declare -a ns=() pid=() rs=()
care_pid= keepalived_pid= monitor_pid=
cleanup() {
  set +e
  [[ -n $care_pid ]] && kill "$care_pid"
  [[ -n $keepalived_pid ]] && kill "$keepalived_pid"
  [[ -n $monitor_pid ]] && kill "$monitor_pid"
  for p in "${pid[@]}"; do kill "$p" 2> /dev/null; done
  for n in "${ns[@]}"; do ip netns del "$n" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Time and sleep without starting a process.
now() { local t=${EPOCHREALTIME/./}; NOW=$((t / 1000)); }
mkfifo "$work/sleep"
exec {sleep_fd}<> "$work/sleep"
nap() { read -r -t "$1" -u "$sleep_fd" _ || true; } # seconds, fractions allowed
poll_s=$(printf '0.%03d' "$POLL_MS")
phase_sleep() { nap "$(printf '0.%03d' $((RANDOM % 250)))"; } # a random phase of the 250 ms tick

ip link set lo up
for i in 0 1 2; do
  n=$((i + 1))
  ns[$i]=care-repair$n-$$
  ip netns add "${ns[$i]}"
  ip link add cr-v$n type veth peer name cr-p$n
  ip link set cr-p$n netns "${ns[$i]}"
  ip addr add 10.79.$n.1/24 dev cr-v$n
  ip link set cr-v$n up
  ip -n "${ns[$i]}" link set lo up
  ip -n "${ns[$i]}" addr add 10.79.$n.2/24 dev cr-p$n
  ip -n "${ns[$i]}" link set cr-p$n up
  ip -n "${ns[$i]}" route add default via 10.79.$n.1
  mkdir -p "$work/www$n"
  echo "server $n" > "$work/www$n/index.html"
  rs[$i]=10.79.$n.2:80
  ip netns exec "${ns[$i]}" "$busybox" httpd -f -p "${rs[$i]}" -h "$work/www$n" &
  pid[$i]=$!
done

mode= dp= use_ipvs=0 use_nft=0

# --- the whole state, read with independent tools -------------------------------------------------
# One line per part, nothing volatile in it (handles, the link's index, MAC and IPv6 link-local
# address). nftables
# objects are put in a fixed order (rules keep theirs within a chain): a rewritten table lists its
# chains in creation order, which need not be the order the first start made them in.
nft_canonical='[.nftables[] | walk(if type == "object" then del(.handle) else . end)]
  | sort_by(to_entries[0] | [.key, .value.family // "", .value.table // "", .value.chain // .value.name // ""])'
state() {
  if ((use_ipvs)); then ipvsadm -S -n 2>&1 || true; fi
  if ((use_nft)); then nft -j list ruleset 2>&1 | jq -c "$nft_canonical" 2>&1 || true; fi
  case $mode in
    route) ip -j route show "$VIP/32" 2>&1 || true ;;
    link)
      ip -j -d addr show dev lvscare 2> /dev/null |
        jq -c '[.[] | {ifname, kind: .linkinfo.info_kind, flags, addr: [.addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"]}]' || true
      ;;
  esac
}

# --- the fine view: the kernel's own files and nft monitor's events, read by bash alone ----------
slurp() { REPLY=; if [[ -r $1 ]]; then IFS= read -r -d '' REPLY < "$1" || true; fi; }
declare -A tables=()  # nftables tables present, as nft monitor reported them
lvscare_generations=0 partial=
drain_monitor() {
  local line
  while :; do
    if IFS= read -r -u "$monitor_fd" line; then
      line=$partial$line partial=
    else
      partial+=$line # an unfinished line at the end of the file: kept for the next call
      return 0
    fi
    case $line in
      "add table "* | "create table "* | "delete table "*)
        local -a word=($line)
        local name=${word[3]//\"/}
        if [[ ${word[0]} != delete ]]; then tables[$name]=1; else unset "tables[$name]"; fi
        ;;
      "# new generation "*"(lvscare)"*) lvscare_generations=$((lvscare_generations + 1)) ;;
    esac
  done
}
our_tables=()
# VIEW: the lines of the fine view (as a set: IPVS lists real servers in the order they were
# added, which a repair need not keep).
view() {
  VIEW=
  if ((use_ipvs)); then slurp /proc/net/ip_vs; VIEW+=$REPLY$'\n'; fi
  case $mode in
    route) slurp /proc/net/route; VIEW+=$REPLY$'\n' ;;
    link)
      slurp /sys/class/net/lvscare/flags; VIEW+="lvscare flags $REPLY"$'\n'
      slurp /proc/net/fib_trie; VIEW+=$REPLY$'\n'
      ;;
  esac
  if ((use_nft)); then
    drain_monitor
    local t
    for t in "${our_tables[@]}"; do if [[ -n ${tables[$t]:-} ]]; then VIEW+="table $t"$'\n'; fi; done
  fi
}
declare -A base_lines=()
base_count=0
record_view() {
  view
  view_base=$VIEW base_lines=()
  local -a lines
  mapfile -t lines <<< "$VIEW"
  base_count=${#lines[@]}
  local l
  for l in "${lines[@]}"; do base_lines[x$l]=1; done
}
view_is_base() {
  [[ $VIEW == "$view_base" ]] && return 0
  local -a lines
  mapfile -t lines <<< "$VIEW"
  ((${#lines[@]} == base_count)) || return 1
  local l
  for l in "${lines[@]}"; do [[ -n ${base_lines[x$l]:-} ]] || return 1; done
}
start_monitor() {
  : > "$work/monitor"
  stdbuf -oL nft monitor > "$work/monitor" 2>&1 &
  monitor_pid=$!
  exec {monitor_fd}< "$work/monitor"
  partial=
  nap 0.5 # nft monitor subscribes once it has started
}
# The tables present now, once nothing changes any more (settle() calls it).
resync_tables() {
  drain_monitor
  tables=()
  local t
  for t in $(nft list tables 2> /dev/null | awk '{ print $3 }'); do tables[${t//\"/}]=1; done
}
stop_monitor() {
  [[ -n $monitor_pid ]] || return 0
  kill "$monitor_pid"; wait "$monitor_pid" 2> /dev/null || true; monitor_pid=
  exec {monitor_fd}<&-
}

# Polls until the fine view equals $view_base (and, when $nft_kind, lvscare made a new nftables
# generation since $gen0), at most until $deadline; then until the tools' state equals $state_base.
# Sets t1.
late=0
wait_whole() {
  local seen=0 s
  while :; do
    view
    now
    if view_is_base && ((!nft_kind || lvscare_generations > gen0)); then t1=$NOW seen=1; break; fi
    ((NOW < deadline)) || break
    nap "$poll_s"
  done
  while :; do
    s=$(state)
    [[ $s == "$state_base" ]] && break
    now
    seen=0
    ((NOW < deadline)) || return 1
    nap "$poll_s"
  done
  if ((!seen)); then
    now
    t1=$NOW late=$((late + 1))
    if ((late == 1)); then # say once what the fine view missed (< recorded, > seen last)
      cat > "$work/view" <<< "$view_base"
      diff "$work/view" - <<< "$VIEW" | head -n 6 | sed 's/^/    fine view: /' >&2 || true
    fi
  fi
  return 0
}

# p50 p90 max of the values given.
percentiles() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { p90 = int(NR * 0.9 + 0.5); if (p90 < 1) p90 = 1
    printf "p50 %d  p90 %d  max %d", v[int((NR + 1) / 2)], v[p90], v[NR] }'
}
stats() { # name bound_ms values...
  local name=$1 bound=$2; shift 2
  printf '%s\n' "$@" | sort -n | awk -v name="$name" -v bound="$bound" '{ v[NR] = $1; s += $1; over += ($1 > 1000); lost += ($1 > bound) }
    END { p90 = int(NR * 0.9 + 0.5); if (p90 < 1) p90 = 1
          printf "%-36s n=%-3d min %4d  p50 %4d  p90 %4d  max %4d  mean %6.1f ms  >1s: %d", name, NR, v[1],
                 v[int((NR + 1) / 2)], v[p90], v[NR], s / NR, over
          if (lost) printf "  NOT REPAIRED within %d s: %d", bound / 1000, lost
          printf "\n" }'
}
# True when lvscare logged a repair since the last call (its log read by bash alone).
logged_repair() {
  local line found=1
  while IFS= read -r -u "$log_fd" line; do [[ $line == *" repair "* ]] && found=0; done
  return $found
}
# Epoch ms of the last repair lvscare logged from line $1 of its log on, or nothing.
logged_repair_ms() {
  local line
  line=$(tail -n +"$1" "$log" | grep ' repair ' | tail -n 1) || return 0
  [[ -n $line ]] || return 0
  local stamp=${line%% *}
  date -u -d "${stamp:0:10} ${stamp:11:12}" +%s%3N
}

# The deleting tools, started once and fed one command line at a time, so that a deletion happens
# within moments of being asked for instead of after the tool's own start (150-500 ms per exec under
# the test VM's emulation): nft -i, ip -force -batch -, ipvsadm -R. Their output (errors) is
# appended to $work/<tool>.out.
declare -A deleter_fd=() deleter_pid=()
start_deleter() { # name command...
  local name=$1 fd; shift
  mkfifo "$work/$name.in"
  "$@" < "$work/$name.in" >> "$work/$name.out" 2>&1 &
  deleter_pid[$name]=$!
  exec {fd}<> "$work/$name.in"
  deleter_fd[$name]=$fd
}
stop_deleters() {
  local name fd
  for name in "${!deleter_fd[@]}"; do
    fd=${deleter_fd[$name]}
    exec {fd}>&-
    kill "${deleter_pid[$name]}" 2> /dev/null || true
    wait "${deleter_pid[$name]}" 2> /dev/null || true
    rm -f "$work/$name.in"
  done
  deleter_fd=() deleter_pid=()
}

failures=0 nft_kind=0
# TRIALS trials of one kind: $1 = its name, $2 = the tool (nft, ip, ipvsadm), $3 = its command line.
measure() {
  local name=$1 tool=$2 command=$3
  [[ $tool == nft ]] && nft_kind=1 || nft_kind=0
  local -a times=() logged=()
  local from at t errors seen_deleted
  late=0 unseen=0
  errors=$(wc -c < "$work/$tool.out")
  for ((t = 1; t <= TRIALS; t++)); do
    phase_sleep
    from=$(($(wc -l < "$log") + 1))
    logged_repair || true
    ((use_nft)) && drain_monitor
    gen0=$lvscare_generations
    now
    t0=$NOW deadline=$((NOW + REPAIR_BOUND * 1000))
    echo "$command" >&"${deleter_fd[$tool]}"
    # Seen deleted: the fine view differs from the recording. Not seen, but lvscare logged a
    # repair: deleted and repaired between two polls; the trial's time is then lvscare's own stamp.
    # Neither within 2 s: the command did nothing (its tool's errors are shown below).
    seen_deleted=1
    while :; do
      view
      view_is_base || break
      if logged_repair; then seen_deleted=0; break; fi
      now
      ((NOW - t0 < 2000)) || { seen_deleted=0; break; }
      nap "$poll_s"
    done
    if ! wait_whole; then
      failures=$((failures + 1))
      times+=($((REPAIR_BOUND * 1000 + 1)))
      echo "$name: trial $t not repaired within ${REPAIR_BOUND} s; what differs (< recorded, > now):" >&2
      state > "$work/now"
      tr ',' '\n' <<< "$state_base" > "$work/then"
      tr ',' '\n' < "$work/now" | diff "$work/then" - | head -n 20 >&2 || true
      now
      deadline=$((NOW + 20000))
      wait_whole || { echo "$name: still not whole after 20 s more: giving up on this kind" >&2; break; }
      continue
    fi
    at=$(logged_repair_ms "$from")
    [[ -n $at ]] && logged+=($((at - t0)))
    if ((seen_deleted)); then
      times+=($((t1 - t0)))
    elif [[ -n $at ]]; then
      times+=($((at - t0))) unseen=$((unseen + 1))
    else
      echo "$name: trial $t: nothing was deleted, nothing repaired" >&2
      failures=$((failures + 1))
    fi
  done
  stats "$mode: $name" $((REPAIR_BOUND * 1000)) "${times[@]}"
  local own="no repair logged"
  ((${#logged[@]})) && own="lvscare logged its repair after $(percentiles "${logged[@]}") ms (n=${#logged[@]})"
  printf '    %s; late confirmations %d, deletions not seen %d\n' "$own" "$late" "$unseen"
  if (($(wc -c < "$work/$tool.out") > errors)); then
    echo "$name: $tool said:" >&2
    tail -c +$((errors + 1)) "$work/$tool.out" | head -n 5 >&2
    failures=$((failures + 1))
  fi
}

# Waits (bounded) until $1 says all is in place, then records the state and the fine view.
settle() {
  local ready=$1 i
  for ((i = 0; i < 300; i++)); do "$ready" && break; nap 0.1; done
  "$ready" || { echo "not set up after 30 s: $(state)" >&2; tail -n 20 "$log" >&2; exit 1; }
  nap 0.5
  state_base=$(state)
  nap 0.5
  [[ $(state) == "$state_base" ]] || { echo "the state does not hold still:" >&2; state >&2; exit 1; }
  ((use_nft)) && resync_tables
  record_view
}
ours_in_place() {
  local s r
  s=$(state)
  for r in "${rs[@]}"; do
    if ((use_ipvs)); then [[ $s == *"-r $r -m -w 1"* ]] || return 1; fi
    if [[ $dp == nftables ]]; then [[ $s == *"rs $r weight 1"* ]] || return 1; fi
  done
  case $mode in
    route) [[ $s == *"\"gateway\":\"$NODE_IP\""* ]] ;;
    link) [[ $s == *"\"$VIP/32\""* && $s == *lvscare_masq* ]] ;;
    *) true ;;
  esac
}

start_care() { # mode
  local -a args=(care --vs "$VIP:$VPORT" --rs "${rs[0]}" --rs "${rs[1]}" --rs "${rs[2]}" --health-schem http
                 --health-path / --interval 5 --mode "$1" --datapath "$DATAPATH" --logger DEBG)
  [[ $1 == route ]] && args+=(--ip "$NODE_IP")
  "$LVSCARE" "${args[@]}" > "$log" 2>&1 &
  care_pid=$!
  exec {log_fd}< "$log"
  local i
  for ((i = 0; i < 300; i++)); do grep -q 'datapath=' "$log" && break; nap 0.1; done
  dp=$(grep -m 1 -o 'datapath=[a-z]*' "$log") || { echo "lvscare did not start:" >&2; cat "$log" >&2; exit 1; }
  dp=${dp#datapath=}
}
stop_care() {
  kill "$care_pid" 2> /dev/null || { echo "lvscare had exited; its log ends:" >&2; tail -n 5 "$log" >&2; failures=$((failures + 1)); }
  wait "$care_pid" 2> /dev/null || true
  exec {log_fd}<&-
  care_pid=
  "$LVSCARE" care --vs "$VIP:$VPORT" -C > /dev/null 2>&1 || true
}

have_dummy() { ip link add care-probe type dummy 2> /dev/null && ip link del care-probe; }

echo "care_repair: lvscare care --interval 5 (kernel announcements; reconcile tick 250 ms), $TRIALS trials per kind: from the" \
     "deletion to the kernel state whole again (fine poll every ${POLL_MS} ms, confirmed with ipvsadm/nft/ip)," \
     "bound ${REPAIR_BOUND} s"
table=lvscare_tcp_${VIP}_${VPORT} masq=lvscare_masq_$VIP
for mode in $MODES; do
  if [[ $mode == link ]] && ! have_dummy; then
    echo "mode=link: skipped, this kernel has no dummy link type"
    continue
  fi
  : > "$log"
  start_care "$mode"
  use_ipvs=0 use_nft=0 our_tables=()
  [[ $dp == ipvs ]] && use_ipvs=1
  [[ $dp == nftables ]] && our_tables+=("$table")
  [[ $mode == link ]] && our_tables+=("$masq")
  ((${#our_tables[@]})) && use_nft=1
  ((use_nft)) && start_monitor
  start_deleter ip ip -force -batch -
  ((use_nft)) && start_deleter nft nft -i
  ((use_ipvs)) && start_deleter ipvsadm ipvsadm -R
  settle ours_in_place
  echo "mode=$mode datapath=$dp"
  if [[ $dp == ipvs ]]; then
    measure "ipvsadm -C" ipvsadm "-C"
    if [[ $mode == route ]]; then
      measure "ipvsadm -d (one real server)" ipvsadm "-d -t $VIP:$VPORT -r ${rs[0]}"
      measure "ipvsadm -e (weight 1 -> 0)" ipvsadm "-e -t $VIP:$VPORT -r ${rs[0]} -m -w 0"
    fi
  else
    measure "nft delete table (ours)" nft "delete table ip $table"
    measure "nft flush chain (one backend's rule)" nft "flush chain ip $table rs_${rs[0]/:/_}"
  fi
  ((use_nft)) && measure "nft flush ruleset" nft "flush ruleset"
  if [[ $mode == route ]]; then
    measure "ip route del $VIP/32" ip "route del $VIP/32"
  else
    measure "nft delete table (masquerade)" nft "delete table ip $masq"
    measure "ip link del lvscare" ip "link del lvscare"
    measure "ip addr del $VIP/32" ip "addr del $VIP/32 dev lvscare"
  fi
  echo "    lvscare's own count of repairs logged: $(grep -c ' repair ' "$log" || true);" \
       "$(grep -m 1 -o 'kernel watch [^ ]* [^ ]* [^ ]*' "$log" || echo 'no kernel watch')"
  stop_deleters
  stop_monitor
  stop_care
done

# --- the anchor: keepalived after the same ipvsadm -C --------------------------------------------
if [[ $dp != ipvs ]]; then
  echo "anchor: none here (keepalived programs IPVS only; this run's datapath is ${dp:-none})"
elif ! command -v keepalived > /dev/null; then
  echo "anchor: skipped, keepalived is not installed (Debian package keepalived)"
else
  {
    echo "global_defs { router_id lvscare_repair_bench }"
    echo "virtual_server $VIP $VPORT {"
    echo "  delay_loop 5"
    echo "  lb_algo rr"
    echo "  lb_kind NAT"
    echo "  protocol TCP"
    for r in "${rs[@]}"; do
      echo "  real_server ${r%:*} ${r#*:} { weight 1"
      echo "    TCP_CHECK { connect_timeout 2 } }"
    done
    echo "}"
  } > "$work/keepalived.conf"
  mode=none use_ipvs=1 use_nft=0 dp=keepalived
  log=$work/keepalived.log
  restored=() kept=0
  for ((t = 1; t <= ANCHOR_TRIALS; t++)); do
    keepalived --dont-fork --log-console --check --use-file "$work/keepalived.conf" --pid "$work/keepalived.pid" \
      --checkers_pid "$work/checkers.pid" > "$log" 2>&1 &
    keepalived_pid=$!
    settle ours_in_place
    phase_sleep
    ipvsadm -C
    now
    t0=$NOW deadline=$((NOW + ANCHOR_WAIT * 1000))
    if wait_whole; then restored+=($((t1 - t0))); else kept=$((kept + 1)); fi
    kill "$keepalived_pid"; wait "$keepalived_pid" 2> /dev/null || true; keepalived_pid=
    ipvsadm -C
  done
  ka_version=$(keepalived --version 2>&1 | head -n 1 || true)
  if ((kept == ANCHOR_TRIALS)); then
    echo "anchor: $ka_version (delay_loop 5) after ipvsadm -C: not restored within ${ANCHOR_WAIT} s in any of $ANCHOR_TRIALS trials"
  else
    echo "anchor: $ka_version (delay_loop 5) after ipvsadm -C: restored in ${#restored[@]} of $ANCHOR_TRIALS trials (${restored[*]} ms), not within ${ANCHOR_WAIT} s in $kept"
  fi
fi
((failures == 0))
