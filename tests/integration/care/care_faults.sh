#!/usr/bin/env bash
# Faults and hostile neighbours (issue 14), with the nftables datapath, checked in the kernel with nft:
#
#   care_faults.sh <lvscare binary> owner|log|foreign|signals
#
#   owner:   a second `lvscare care` for the same --vs (other --rs) stands by with one line and never
#            touches the owner's servers; --run-once exits 0 changing nothing; -C refuses with exit 1;
#            after SIGKILL of the owner the standby takes over within a second, adopting the table
#            (it is never absent).
#   log:     stderr on a full pipe nobody reads: lvscare still programs its servers and fails a killed
#            one over; once the pipe is read, "dropped N log lines" is in it.
#   foreign: tables named like ours without our mark (an admin's lvscare_tcp_<VIP>_<port> and
#            lvscare_masq_<VIP>) are never changed: care and --run-once refuse the VIP (exit 1),
#            -C leaves them (exit 0), each with an error line even at --logger EROR.
#   signals: SIGHUP is logged and ignored; -C in route mode exits 0 beside a foreign `lvscare` link.
#
# Real servers: busybox httpd on 127.0.0.1:8081-8083, all inside a network namespace of its own
# (the script re-executes itself under `unshare -n`). Every wait is bounded. Exit 0 on success, 1 on
# failure, 77 when it cannot run here.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <lvscare> owner|log|foreign|signals" >&2
  exit 2
fi
LVSCARE=$(readlink -f "$1")
readonly LVSCARE SCENARIO=$2
readonly VS=169.254.0.1:80 TABLE=lvscare_tcp_169.254.0.1_80 MASQ=lvscare_masq_169.254.0.1

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${CARE_FAULTS_NETNS:-} ]]; then
  exec unshare -n env CARE_FAULTS_NETNS=1 "$0" "$@"
fi
busybox=$(command -v busybox) || skip "needs busybox for httpd"
for tool in nft ip python3; do command -v "$tool" > /dev/null || skip "needs $tool"; done

work=$(mktemp -d /tmp/care-faults.XXXXXX)
declare -a pids=() server_pid=()
ok=0
cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}" "${server_pid[@]}"; do kill -9 "$pid" 2> /dev/null; done
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
  echo "---- nft:"; nft list ruleset 2>&1 | head -60
  for f in "$work"/*.log; do [[ -e $f ]] && { echo "---- $f (last 20 lines):"; tail -n 20 "$f"; }; done
  exit 1
}
# Polls "$@" every 20 ms for at most $1 seconds; sets waited_ms.
waited_ms=0
wait_for() {
  local limit=$1; shift
  local begin; begin=$(now_ms)
  until "$@"; do
    (($(now_ms) - begin < limit * 1000)) || return 1
    sleep 0.02
  done
  waited_ms=$(($(now_ms) - begin))
}

ip link set lo up
start_server() { # port
  mkdir -p "$work/www"; echo ok > "$work/www/index.html"
  "$busybox" httpd -f -p "127.0.0.1:$1" -h "$work/www" &
  server_pid[$1]=$!
}
for port in 8081 8082 8083; do start_server "$port"; done

# The weight of real server $1 in our table, "absent", or "notable".
weight() {
  local out w
  out=$(nft list table ip "$TABLE" 2> /dev/null) || { echo notable; return; }
  w=$(grep -o "comment \"rs ${1//./\\.} weight [0-9]*\"" <<< "$out" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
}
has_weight() { [[ $(weight "$1") == "$2" ]]; }
logged() { grep -q -- "$2" "$work/$1.log" 2> /dev/null; }
# Route mode without a node IP: no route is set (LVScare's behaviour), only the table.
care_args=(care --vs "$VS" --health-schem http --health-path / --interval 200ms --datapath nftables)
# start_care <name> [args...]: lvscare in the background, stdout and stderr to $work/<name>.log.
start_care() {
  local name=$1; shift
  "$LVSCARE" "${care_args[@]}" "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}

scenario_owner() {
  start_care owner --rs 127.0.0.1:8081 --rs 127.0.0.1:8082
  local owner=$last_pid
  wait_for 10 has_weight 127.0.0.1:8082 1 || fail "the owner did not program its servers"
  wait_for 10 has_weight 127.0.0.1:8081 1 || fail "the owner did not program its servers"
  start_care standby --rs 127.0.0.1:8083 --logger DEBG
  local standby=$last_pid
  wait_for 5 logged standby "another lvscare owns vs=$VS; standing by" || fail "the second one did not say it stands by"
  # The fight of the issue: each removing the other's servers every tick. Watch for 2 s.
  local begin; begin=$(now_ms)
  while (($(now_ms) - begin < 2000)); do
    has_weight 127.0.0.1:8081 1 && has_weight 127.0.0.1:8082 1 && has_weight 127.0.0.1:8083 absent ||
      fail "the standby touched the owner's table: 8081=$(weight 127.0.0.1:8081) 8082=$(weight 127.0.0.1:8082) 8083=$(weight 127.0.0.1:8083)"
    sleep 0.05
  done
  [[ $(grep -c "standing by" "$work/standby.log") == 1 ]] || fail "the standby said it more than once"
  kill -0 "$standby" || fail "the standby exited"
  say "standby: one line, owner's servers untouched for 2 s"

  local before status
  before=$(nft list table ip "$TABLE")
  status=0; "$LVSCARE" "${care_args[@]}" --rs 127.0.0.1:8083 --run-once > "$work/runonce.log" 2>&1 || status=$?
  [[ $status == 0 ]] || fail "--run-once beside an owner: exit $status, want 0"
  logged runonce "another lvscare owns it on this node and keeps it; nothing changed" || fail "--run-once did not say why"
  status=0; "$LVSCARE" "${care_args[@]}" -C > "$work/clean.log" 2>&1 || status=$?
  [[ $status == 1 ]] || fail "-C beside an owner: exit $status, want 1"
  logged clean "refused: another lvscare owns it" || fail "-C did not say why"
  [[ $(nft list table ip "$TABLE") == "$before" ]] || fail "--run-once or -C changed the owner's table"
  say "--run-once: exit 0, nothing changed; -C: exit 1, nothing changed"

  # The owner dies without a word: the standby takes over, adopting (the table is never absent).
  local t0; t0=$(now_ms)
  kill -9 "$owner"
  local took=0 gone=0
  while (($(now_ms) - t0 < 5000)); do
    nft list table ip "$TABLE" > /dev/null 2>&1 || gone=1
    if logged standby "took over"; then took=$(($(now_ms) - t0)); break; fi
    sleep 0.01
  done
  ((took > 0)) || fail "the standby did not take over within 5 s"
  ((gone == 0)) || fail "the table was absent during the takeover"
  logged standby "adopt vs=TCP $VS exists=true reals_in_kernel=2" || logged standby "adopt vs=\"TCP $VS\" exists=true reals_in_kernel=2" ||
    fail "the standby did not adopt the owner's table"
  ((took <= 1500)) || fail "takeover after ${took} ms (the standby retries every 200 ms)"
  wait_for 10 has_weight 127.0.0.1:8083 1 || fail "the new owner did not program its server"
  wait_for 10 has_weight 127.0.0.1:8081 absent || fail "the new owner did not remove the old owner's servers"
  say "owner SIGKILLed: the standby took over after ${took} ms, adopted the table and keeps its own servers"
}

scenario_log() {
  # A pipe that is full before lvscare starts and that nobody reads until the end: the test holds it
  # open read-write, so neither side blocks on open(). Many real servers with nothing listening
  # make many lines (each one's first failure and its state change: a repeated failure is only
  # counted), more than lvscare's 256 KiB queue holds, so it overflows at start.
  mkfifo "$work/stderr"
  exec 3<> "$work/stderr"
  python3 "$(dirname "$0")/../../support/fill_pipe.py" "$work/stderr"
  local -a dead=()
  for port in $(seq 9000 11999); do dead+=(--rs "127.0.0.1:$port"); done
  "$LVSCARE" "${care_args[@]}" --rs 127.0.0.1:8081 --rs 127.0.0.1:8082 --rs 127.0.0.1:8083 "${dead[@]}" \
    --logger DEBG > /dev/null 2> "$work/stderr" &
  pids+=($!)
  wait_for 10 has_weight 127.0.0.1:8082 1 || fail "lvscare did not program its servers with stderr blocked"
  say "servers programmed with stderr blocked after ${waited_ms} ms"
  sleep 3  # the queue fills and overflows meanwhile
  kill "${server_pid[8082]}"
  local t0; t0=$(now_ms)
  # Weight 0 lasts one interval (200 ms) before the removal: either counts.
  drained() { [[ $(weight 127.0.0.1:8082) == 0 || $(weight 127.0.0.1:8082) == absent ]]; }
  wait_for 10 drained || fail "killed server still at weight $(weight 127.0.0.1:8082) with stderr blocked"
  say "killed server failed over after $(($(now_ms) - t0)) ms with stderr blocked"
  # Now read: the lines queued, then the count of those dropped.
  timeout 10 cat <&3 > "$work/drained" &
  local reader=$!
  wait_for 10 grep -q -E "WARN dropped [0-9]+ log lines" "$work/drained" || fail "no drop notice once the pipe was read"
  kill "$reader" 2> /dev/null || true
  say "once read: $(grep -o -E "dropped [0-9]+ log lines" "$work/drained" | head -1)"
}

# Exit status of lvscare "$@" within 10 s (the care loop refuses at start); output to $work/$name.log.
run_status() {
  local name=$1; shift
  local status=0
  timeout 10 "$LVSCARE" "$@" > "$work/$name.log" 2>&1 || status=$?
  echo "$status"
}

scenario_foreign() {
  nft add table ip "$TABLE"
  nft add chain ip "$TABLE" admin '{ type filter hook output priority 0; policy accept; }'
  nft add rule ip "$TABLE" admin ip daddr 169.254.0.1 counter comment '"the admin'\''s rule"'
  nft add table ip "$MASQ"
  nft add chain ip "$MASQ" admin '{ type nat hook postrouting priority 100; policy accept; }'
  nft add rule ip "$MASQ" admin ip daddr 169.254.0.1 counter comment '"the admin'\''s other rule"'
  local before; before=$(nft list ruleset)
  local status
  status=$(run_status care "${care_args[@]}" --rs 127.0.0.1:8081 --logger EROR)
  [[ $status == 1 ]] || fail "care with a foreign $TABLE: exit $status, want 1"
  [[ $(grep -c "EROR.*$TABLE has lvscare's name but not its mark" "$work/care.log") -ge 1 ]] || fail "care: no error line naming $TABLE"
  status=$(run_status runonce "${care_args[@]}" --rs 127.0.0.1:8081 --run-once --logger EROR)
  [[ $status == 1 ]] || fail "--run-once with a foreign $TABLE: exit $status, want 1"
  logged runonce "EROR.*$TABLE has lvscare's name but not its mark" || fail "--run-once: no error line naming $TABLE"
  # Plain -C (route mode, the default): neither table is ours, both stay.
  status=$(run_status clean care --vs "$VS" -C --logger EROR)
  [[ $status == 0 ]] || fail "-C beside foreign tables: exit $status, want 0"
  logged clean "EROR.*$TABLE has lvscare's name but not its mark" || fail "-C: no error line naming $TABLE"
  logged clean "EROR.*$MASQ has lvscare's name but not its mark" || fail "-C: no error line naming $MASQ"
  [[ $(nft list ruleset) == "$before" ]] || fail "a foreign table was changed"
  say "foreign $TABLE: care and --run-once exit 1, -C exits 0, each with an error line; nothing changed"

  # Link mode with only the masquerade table foreign: the VIP's rules run, the masquerade is
  # refused with one error line, and the admin's table stays as it is.
  nft delete table ip "$TABLE"
  before=$(nft list table ip "$MASQ")
  start_care link --rs 127.0.0.1:8081 --mode link
  wait_for 10 has_weight 127.0.0.1:8081 1 || fail "link mode did not program its server"
  sleep 1  # a few reconcile ticks
  [[ $(grep -c "EROR.*$MASQ has lvscare's name but not its mark" "$work/link.log") == 1 ]] ||
    fail "link mode: want exactly one error line for $MASQ"
  [[ $(nft list table ip "$MASQ") == "$before" ]] || fail "link mode changed the foreign $MASQ"
  say "link mode: foreign $MASQ left as it is, one error line"
}

scenario_signals() {
  start_care hup --rs 127.0.0.1:8081
  local care=$last_pid
  wait_for 10 has_weight 127.0.0.1:8081 1 || fail "lvscare did not program its server"
  kill -HUP "$care"
  wait_for 5 logged hup "signal=SIGHUP ignored" || fail "no line for SIGHUP"
  sleep 0.5
  kill -0 "$care" || fail "SIGHUP killed lvscare"
  kill -TERM "$care"
  local status=0; wait "$care" || status=$?
  [[ $status == 0 ]] || fail "SIGTERM after SIGHUP: exit $status"
  say "SIGHUP: logged and ignored; SIGTERM still stops it"

  ip link add lvscare type veth peer name lvscare-peer
  local status1 status2
  status1=$(run_status clean1 care --vs "$VS" -C)
  status2=$(run_status clean2 care --vs "$VS" -C)
  [[ $status1 == 0 && $status2 == 0 ]] || fail "-C beside a foreign 'lvscare' veth: exit $status1 then $status2, want 0"
  ip link show lvscare > /dev/null || fail "-C removed the foreign link"
  nft list table ip "$TABLE" > /dev/null 2>&1 && fail "-C left our table"
  say "-C beside a foreign 'lvscare' link: exit 0 twice, the link left alone"
}

case $SCENARIO in
  owner | log | foreign | signals) "scenario_$SCENARIO" ;;
  *) echo "unknown scenario $SCENARIO" >&2; exit 2 ;;
esac
ok=1
say "PASS $SCENARIO"
