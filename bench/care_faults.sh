#!/usr/bin/env bash
# Figures of the fault scenarios (issue 14), as distributions over repeated trials:
#
#   bench/care_faults.sh [lvscare binary] [trials] [interval]
#
#   takeover: two `lvscare care` for the same VIP, one owner and one standby; the owner is
#             SIGKILLed and the time is taken until the standby has taken over (its log line) with
#             the table intact in the kernel (every real server still at weight 1, the table never
#             absent). Then a new standby is started for the next trial.
#   failover with stderr blocked: lvscare's stderr is a full pipe nobody reads; a real server is
#             killed at a random moment of the check cycle and the time is taken until the kernel
#             shows it at weight 0 (polled with nft every 10 ms: the log cannot be read). The same
#             with stderr on a file, in the same run, for comparison.
#
# nftables datapath, busybox httpd on 127.0.0.1:8081-8083, all in a private network namespace
# (unshare -n). Root only (exit 77 otherwise).
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
TRIALS=${2:-20}
INTERVAL=${3:-1}
[[ $(id -u) -eq 0 ]] || { echo "care_faults.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
[[ -x $LVSCARE ]] || { echo "care_faults.sh: no lvscare binary at $LVSCARE" >&2; exit 1; }
if [[ -z ${CARE_BENCH_NETNS:-} ]]; then
  exec unshare -n env CARE_BENCH_NETNS=1 "$0" "$LVSCARE" "$TRIALS" "$INTERVAL"
fi
busybox=$(command -v busybox) || { echo "needs busybox" >&2; exit 77; }
command -v nft > /dev/null || { echo "needs nft" >&2; exit 77; }

readonly VS=169.254.0.1:80 TABLE=lvscare_tcp_169.254.0.1_80
work=$(mktemp -d /tmp/care-faults-bench.XXXXXX)
declare -a pids=() server_pid=()
cleanup() {
  set +e
  for p in "${pids[@]}" "${server_pid[@]}"; do kill -9 "$p" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip link set lo up
mkdir -p "$work/www"; echo ok > "$work/www/index.html"
serve() { "$busybox" httpd -f -p "127.0.0.1:$1" -h "$work/www" & server_pid[$1]=$!; }
for port in 8081 8082 8083; do serve "$port"; done
rs=(--rs 127.0.0.1:8081 --rs 127.0.0.1:8082 --rs 127.0.0.1:8083)
care_args=(care --vs "$VS" "${rs[@]}" --health-schem http --health-path / --interval "$INTERVAL" --datapath nftables)

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
weight() {
  local w
  w=$(nft list table ip "$TABLE" 2> /dev/null | grep -o "comment \"rs ${1//./\\.} weight [0-9]*\"" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
}
all_up() { for p in 8081 8082 8083; do [[ $(weight "127.0.0.1:$p") == 1 ]] || return 1; done; }
# Polls "$@" every 10 ms for at most 30 s.
wait_until() {
  local begin; begin=$(now_ms)
  until "$@"; do
    (($(now_ms) - begin < 30000)) || { echo "timed out waiting for: $*" >&2; exit 1; }
    sleep 0.01
  done
}
source "$(dirname "$(readlink -f "$0")")/stats.sh"

# --- takeover -------------------------------------------------------------------------------------
start_care() { # name
  "$LVSCARE" "${care_args[@]}" > "$work/$1.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}
start_care care0
owner=$last_pid
wait_until all_up
takeover=()
for ((t = 1; t <= TRIALS; t++)); do
  start_care "care$t"
  standby=$last_pid
  wait_until grep -q "standing by" "$work/care$t.log"
  sleep "0.$((RANDOM % 1000))"  # a random phase of the standby's retry timer
  t0=$(now_ms)
  kill -9 "$owner"
  intact=1
  until grep -q "took over" "$work/care$t.log" 2> /dev/null && all_up; do
    all_up || intact=0
    (($(now_ms) - t0 < 30000)) || { echo "no takeover in trial $t" >&2; exit 1; }
    sleep 0.01
  done
  took=$(($(now_ms) - t0))
  ((intact)) || { echo "trial $t: the rules were not intact during the takeover" >&2; exit 1; }
  takeover+=("$took")
  printf 'takeover trial %2d: %5d ms\n' "$t" "$took"
  wait "$owner" 2> /dev/null || true
  owner=$standby
done
kill "$owner"; wait "$owner" 2> /dev/null || true

# --- failover with stderr blocked, and on a file ---------------------------------------------------
failover() { # label stderr-target; fills the array named by $3
  local label=$1 target=$2
  local -n out=$3
  "$LVSCARE" "${care_args[@]}" --logger DEBG > /dev/null 2> "$target" &
  local care=$!
  pids+=("$care")
  wait_until all_up
  for ((t = 1; t <= TRIALS; t++)); do
    sleep "0.$((RANDOM % 1000))"
    local t0; t0=$(now_ms)
    kill "${server_pid[8082]}"
    until [[ $(weight 127.0.0.1:8082) == 0 || $(weight 127.0.0.1:8082) == absent ]]; do
      (($(now_ms) - t0 < 30000)) || { echo "$label: no failover in trial $t" >&2; exit 1; }
      sleep 0.01
    done
    out+=($(($(now_ms) - t0)))
    printf '%s trial %2d: out of rotation after %5d ms\n' "$label" "$t" "${out[-1]}"
    wait "${server_pid[8082]}" 2> /dev/null || true
    serve 8082
    wait_until all_up
  done
  kill "$care"; wait "$care" 2> /dev/null || true
}
mkfifo "$work/stderr"
exec 3<> "$work/stderr"
python3 "$(dirname "$0")/../tests/support/fill_pipe.py" "$work/stderr"
blocked=() filed=()
failover "stderr blocked" "$work/stderr" blocked
failover "stderr to a file" "$work/stderr.log" filed

echo "lvscare nftables, interval ${INTERVAL}s, $TRIALS trials each"
stats "takeover (owner SIGKILLed)" "${takeover[@]}"
stats "failover, stderr blocked" "${blocked[@]}"
stats "failover, stderr to a file" "${filed[@]}"
