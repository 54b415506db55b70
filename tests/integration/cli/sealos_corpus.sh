#!/usr/bin/env bash
# Issue 11, item 5: every command line Sealos and sealer generate for lvscare and sealctl
# (sealos_corpus.txt), run as root the way a node runs it, and checked for what LVScare did:
#
#   sealos_corpus.sh <lvscare binary> <sealctl binary> <corpus file>
#
# In a network namespace and a mount namespace of its own (re-executes itself under `unshare -n -m`):
# /etc/hosts is replaced, in this mount namespace only, by one naming 192.168.0.10 lvscare.node.ip
# (as Sealos writes it on workers); masters 192.168.0.2 and .3 answer HTTPS on 6443 (/healthz) and
# HTTP on 5000 (/) in a namespace behind a veth pair, the node holding 192.168.0.10. Per line:
#   --run-once    exit 0; both masters at weight 1, route mode's route `via 192.168.0.10`, requests
#                 through the VIP reach both masters; then `lvscare care --vs VIP -C`
#   -C / --clean  after a --run-once programmed the VIP: exit 0 and nothing of ours is left
#   static-pod    into a directory of the test's own (--path overridden): exit 0, the manifest; the
#                 container's args are then run as the pod would (below); --set-img: only the image
#   otherwise     the daemon: both masters at weight 1 and traffic within 10 s, SIGTERM leaves the
#                 rules (LVScare's behaviour), then -C
# After every line nothing of ours may be left. Every wait is bounded. Exit 0 on success, 1 on
# failure, 77 when it cannot run here.
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 <lvscare> <sealctl> <corpus>" >&2; exit 2; }
LVSCARE=$(readlink -f "$1") SEALCTL=$(readlink -f "$2") CORPUS=$(readlink -f "$3")
readonly LVSCARE SEALCTL CORPUS VIP=10.103.97.2 NODE_IP=192.168.0.10 MASTERS=(192.168.0.2 192.168.0.3)
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${SEALOS_CORPUS_NETNS:-} ]]; then exec unshare -n -m env SEALOS_CORPUS_NETNS=1 "$0" "$@"; fi
busybox=$(command -v busybox) || skip "needs busybox for httpd"
for tool in curl ip nft openssl python3 mount timeout; do command -v "$tool" > /dev/null || skip "needs $tool"; done
nft list tables > /dev/null 2>&1 || skip "no nf_tables here"
here=$(cd "$(dirname "$0")" && pwd)
https_master=$here/../../release/https_master.py

source "$here/../care/netns_test_lib.sh"
work=$(mktemp -d /tmp/sealos-corpus.XXXXXX)
log=$work/lvscare.log
ok=0 care_pid= ns=corpus-m$$
cleanup() {
  local status=$?
  set +e
  [[ -n $care_pid ]] && kill -9 "$care_pid" 2> /dev/null
  del_peer_netns "$ns"
  umount /etc/hosts 2> /dev/null
  finish_cleanup "$status"
}
trap cleanup EXIT
fail() { fail_with_state 60 "$*"; }

# --- the node and its masters ---------------------------------------------------------------------
ip link set lo up
# The masters' names too: Python's HTTP server looks its address up at start (no DNS here).
printf '127.0.0.1 localhost\n%s lvscare.node.ip\n%s master-1\n%s master-2\n' "$NODE_IP" "${MASTERS[@]}" > "$work/hosts"
mount --bind "$work/hosts" /etc/hosts
add_peer_netns "$ns" corpus-v "$NODE_IP/24" "${MASTERS[0]}/24" "${MASTERS[1]}/24"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=apiserver -keyout "$work/key.pem" \
  -out "$work/cert.pem" 2> /dev/null
for i in 0 1; do
  mkdir -p "$work/www$i"
  echo "master $((i + 1))" > "$work/www$i/index.html"
  nsenter --net="/run/netns/$ns" python3 "$https_master" "${MASTERS[$i]}" 6443 "master $((i + 1))" \
    "$work/cert.pem" "$work/key.pem" &
  nsenter --net="/run/netns/$ns" "$busybox" httpd -f -p "${MASTERS[$i]}:5000" -h "$work/www$i" &
  disown -a  # del_peer_netns ends them
done
answers() { curl -sk --max-time 2 "$1://$2/" 2> /dev/null || true; }  # "master N"
both_up() {
  local m
  for m in "${MASTERS[@]}"; do
    [[ $(answers https "$m:6443") == "master"* && $(answers http "$m:5000") == "master"* ]] || return 1
  done
}
wait_for 10 both_up || fail "the masters do not answer"
say "masters up: HTTPS :6443 and HTTP :5000 on ${MASTERS[*]}; node IP $NODE_IP in /etc/hosts"

# --- what is ours, and what LVScare's outcome looks like ---------------------------------------------
ours() { # the nftables tables and routes of ours, one per line
  nft list tables 2> /dev/null | grep ' lvscare_' || true
  ip route show table all | grep -F "$VIP" || true
}
programmed() { # <port> <scheme> <mode>: both masters at weight 1, the route, traffic to both
  local port=$1 scheme=$2 mode=$3 m seen=""
  for m in "${MASTERS[@]}"; do
    [[ $(rs_weight "lvscare_tcp_${VIP}_$port" "$m:$port") == 1 ]] || { echo "weight of $m: $(rs_weight "lvscare_tcp_${VIP}_$port" "$m:$port")"; return 1; }
  done
  if [[ $mode == route ]]; then
    ip route show "$VIP" | grep -q "via $NODE_IP" || { echo "no route via $NODE_IP: $(ip route show "$VIP")"; return 1; }
  fi
  for _ in 1 2 3 4 5 6 7 8; do seen+=$(answers "$scheme" "$VIP:$port")$'\n'; done
  grep -q "master 1" <<< "$seen" && grep -q "master 2" <<< "$seen" || { echo "through the VIP: $seen"; return 1; }
}
clean_all() { # -C for both ports; nothing of ours may be left
  local port
  for port in 6443 5000; do timeout 20 "$LVSCARE" care --vs "$VIP:$port" -C >> "$log" 2>&1 || fail "-C of :$port failed"; done
  [[ -z $(ours) ]] || fail "left after -C: $(ours)"
}
# run <env...> -- <program> <args...>: bounded, output into the log
run() {
  local -a vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  local program=$1
  shift
  [[ $program == lvscare ]] && program=$LVSCARE || program=$SEALCTL
  timeout 30 env "${vars[@]}" "$program" "$@" >> "$log" 2>&1
}
# The daemon of <args...> (lvscare care ...) until both masters are in and traffic flows; SIGTERM.
daemon() { # <port> <scheme> <mode> <env...> -- <args...>
  local port=$1 scheme=$2 mode=$3
  shift 3
  local -a vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  env "${vars[@]}" "$LVSCARE" "$@" >> "$log" 2>&1 &
  care_pid=$!
  wait_for 10 programmed "$port" "$scheme" "$mode" > /dev/null || fail "daemon: $(programmed "$port" "$scheme" "$mode")"
  kill -TERM "$care_pid"
  wait_for 5 eval '! kill -0 "$care_pid" 2> /dev/null' || fail "daemon did not stop on SIGTERM"
  wait "$care_pid" 2> /dev/null || true
  care_pid=
  programmed "$port" "$scheme" "$mode" > /dev/null || fail "SIGTERM took the rules away: $(programmed "$port" "$scheme" "$mode")"
}

checked=0
while IFS= read -r line; do
  line=${line%% #*}
  [[ -z ${line// /} || $line == \#* ]] && continue
  read -ra words <<< "$line"
  vars=()
  while [[ ${words[0]} == *=* && ${words[0]} != -* ]]; do vars+=("${words[0]}"); words=("${words[@]:1}"); done
  args=("${words[@]:1}")
  echo "---- $line" >> "$log"
  port=6443 scheme=https mode=route
  [[ $line == *"$VIP:5000"* ]] && port=5000 scheme=http
  [[ $line == *"--mode link"* ]] && mode=link
  if [[ ${args[0]} == static-pod ]]; then
    run -- sealctl "${args[@]}" --path "$work/manifests" || fail "exit $?: $line"
    manifest=$work/manifests/kube-sealos-lvscare.yaml
    [[ -f $manifest ]] || fail "no manifest: $line"
    if [[ $line == *--set-img* ]]; then
      image=${line##*--image }
      grep -q "image: ${image%% *}" "$manifest" || fail "--set-img did not set the image: $(grep image: "$manifest")"
    else
      # The container's args, as kubelet passes them: the `- ...` items between `- args:` and `command:`.
      mapfile -t pod_args < <(awk '/- args:/ {a = 1; next} /command:/ {a = 0}
        a {sub(/^ *- /, ""); gsub(/^["\047]|["\047]$/, ""); print}' "$manifest")
      [[ ${pod_args[0]} == care ]] || fail "manifest args: ${pod_args[*]}"
      daemon "$port" "$scheme" "$mode" -- "${pod_args[@]}"
      clean_all
    fi
  elif [[ $line == *--run-once* || $line == *_RUN_ONCE=true* ]]; then
    run "${vars[@]}" -- "${words[@]}" || fail "exit $?: $line"
    why=$(programmed "$port" "$scheme" "$mode") || fail "--run-once: $why: $line"
    clean_all
  elif [[ $line == *" -C"* || $line == *--clean* || $line == *_CLEAN=true* ]]; then
    run -- lvscare care --vs "$VIP:$port" --rs "${MASTERS[0]}:$port" --rs "${MASTERS[1]}:$port" \
      --health-schem "$scheme" --health-path / --run-once || fail "could not program the VIP to clean"
    [[ -n $(ours) ]] || fail "nothing programmed to clean"
    run "${vars[@]}" -- "${words[@]}" || fail "exit $?: $line"
    [[ -z $(ours) ]] || fail "left after: $line: $(ours)"
  else
    daemon "$port" "$scheme" "$mode" "${vars[@]}" -- "${args[@]}"
    clean_all
  fi
  checked=$((checked + 1))
  say "ok: $line"
done < "$CORPUS"
((checked >= 20)) || fail "only $checked lines in $CORPUS"
# Sealos' sealctl has the persistent flag --debug (before or after `ipvs`): debug lines, same rules.
for debug in "--debug ipvs" "ipvs --debug=true"; do
  : > "$log"
  run -- sealctl $debug --vs "$VIP:6443" --rs "${MASTERS[0]}:6443" --rs "${MASTERS[1]}:6443" --run-once || fail "sealctl $debug"
  grep -q " DEBG " "$log" || fail "sealctl $debug: no debug line"
  why=$(programmed 6443 https route) || fail "sealctl $debug: $why"
  clean_all
done
say "ok: sealctl --debug ipvs and sealctl ipvs --debug=true log debug lines and program the VIP"
say "all $checked corpus lines did what LVScare did; nothing of ours left"
ok=1
