#!/usr/bin/env bash
# What one idle connection from each node costs a kube-apiserver-like server (issue 15's canary
# connections), by kind of connection, and the server's CPU per TLS handshake (a reconnect):
#
#   bench/idle_connection_cost.sh [connections] [handshakes] [runs]
#
# Defaults: 2000 connections per kind, 2000 handshakes per run, 3 runs. The server is a Go
# stand-in for kube-apiserver's secure serving (bench/idle_connection_cost/server.go says which
# settings it copies and which it cannot), with a self-signed ECDSA P-256 certificate; the client
# is the same Go program. Everything listens and connects on 127.0.0.1 only; root is not needed.
# Needs Go >= 1.19 (exit 77 without it); builds offline into a temporary directory.
#
# Printed:
#   1. per kind (plain-tcp: no ClientHello; tls-idle: handshake then nothing; tls-http1-keepalive:
#      one GET /readyz then nothing; h2-idle: one GET over HTTP/2 then nothing, a kubelet's
#      connection without its watches), from a fresh server each: the server's RSS (VmRSS), Go
#      heap in use and goroutine stacks per connection, after GC and FreeOSMemory;
#   2. per kind, with the server's timeouts scaled down (ReadHeaderTimeout 2 s for 32 s,
#      IdleTimeout 3 s for 90 s; REAL_TIMEOUTS=1 keeps the real ones and waits up to 100 s): when
#      and how the server closes an idle connection of that kind, and whether it logs a
#      "http: TLS handshake error" (which kube-apiserver counts in apiserver_tls_handshake_errors_total);
#   3. the server's CPU per connection, accepting and closing included, each over `runs` runs (min,
#      median, max): a plain TCP connect and close (a plain canary's reconnect); a full TLS 1.3
#      handshake (ECDHE X25519 + ECDSA P-256 signature) and close (a TLS canary's reconnect); a
#      handshake and one GET /readyz (an HTTPS check); the same resuming the session (lvscare's
#      HTTPS check when it does not verify); one GET /readyz on a TLS connection held open (a
#      check sent on a held connection). The machine's other load shows up here.
set -euo pipefail
command -v go > /dev/null || { echo "idle_connection_cost.sh: needs go (>= 1.19)" >&2; exit 77; }
cd "$(dirname "$0")/.."
CONNECTIONS=${1:-2000}
HANDSHAKES=${2:-2000}
RUNS=${3:-3}
REAL_TIMEOUTS=${REAL_TIMEOUTS:-0}
for number in "$CONNECTIONS" "$HANDSHAKES" "$RUNS"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/idle_connection_cost.sh [connections] [handshakes] [runs] (positive integers)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/idle-connection-cost.XXXXXX)
server_pid=
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

(cd bench/idle_connection_cost && GOCACHE=$work/gocache GOPROXY=off GOFLAGS='' go build -o "$work/icc" .)

target='' control=''
start_server() {
  stop_server
  "$work/icc" server "$@" > "$work/server.out" &
  server_pid=$!
  for _ in $(seq 50); do
    [[ -s $work/server.out ]] && break
    sleep 0.1
  done
  read -r _ target control < "$work/server.out" || { echo "the server did not start" >&2; exit 1; }
}
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    server_pid=
  fi
  : > "$work/server.out"
}
kinds="plain-tcp tls-idle tls-http1-keepalive h2-idle"

echo "== 1. memory per idle connection ($CONNECTIONS of each kind, a fresh server each)"
for kind in $kinds; do
  start_server
  timeout 300 "$work/icc" hold --kind "$kind" --n "$CONNECTIONS" --target "$target" --control "$control"
done

if [[ $REAL_TIMEOUTS == 1 ]]; then
  timeouts=(--read-header-timeout 32s --idle-timeout 90s) watch=100s
  echo "== 2. how the server ends an idle connection (ReadHeaderTimeout 32 s, IdleTimeout 90 s)"
else
  timeouts=(--read-header-timeout 2s --idle-timeout 3s) watch=8s
  echo "== 2. how the server ends an idle connection (scaled: ReadHeaderTimeout 2 s for 32 s, IdleTimeout 3 s for 90 s)"
fi
start_server "${timeouts[@]}"
for kind in $kinds; do
  timeout 300 "$work/icc" hold --kind "$kind" --n 20 --target "$target" --control "$control" --watch "$watch"
done

echo "== 3. server CPU per connection, accept and close included ($HANDSHAKES sequential connections per run, $RUNS runs)"
start_server
summary() {  # the "server CPU <x> us each" figures of the runs: min, median, max
  grep -o 'server CPU [0-9]* us' | awk '{print $3}' | sort -n |
    awk '{v[NR]=$1} END {printf "  %s: server CPU per connection min %d us, median %d us, max %d us (%d runs)\n", label, v[1], v[int((NR+1)/2)], v[NR], NR}' label="$1"
}
# What: a plain canary's reconnect; a TLS canary's; an HTTPS check (full handshake); an HTTPS
# check resuming its session (lvscare's when it does not verify); a check on a held connection.
# The kinds take turns within each run, so the machine's other load falls on all of them alike.
modes=("tcp" "handshake" "request" "request --resume" "keepalive")
for _ in $(seq "$RUNS"); do
  for i in "${!modes[@]}"; do
    # shellcheck disable=SC2086  # a mode may be two words
    timeout 300 "$work/icc" handshakes --n "$HANDSHAKES" --target "$target" --control "$control" --what ${modes[$i]} |
      tee -a "$work/mode$i.out"
  done
done
for i in "${!modes[@]}"; do
  summary "${modes[$i]}" < "$work/mode$i.out"
done
