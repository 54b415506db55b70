#!/usr/bin/env bash
# The kube-apiserver stand-in (tests/support/apiserver_standin) and the load client
# (tests/support/vip_load_client) on 127.0.0.1 with ephemeral ports, checked with curl:
#
#   standin_loopback.sh <apiserver_standin> <vip_load_client>
#
#   1. starting (--startup-delay): /readyz and /healthz answer 500 with the failed post-start hook,
#      /api is served; then /readyz "ok", ?verbose the "[+]ping ok" list and "readyz check passed";
#      /api?id=7 answers "s1 7", /api without an id 400, another path 404;
#   2. SIGTERM: /readyz 500 "[-]shutdown failed" at once while /api and /healthz are still served;
#      after --shutdown-delay the port refuses, a request in flight then still finishes, and the
#      process exits 0; the log holds exactly the ids it answered;
#   3. TLS (a self-signed certificate), --listen-when-ready (no port until ready), and the load
#      client against it: every request answered, every acknowledged id in the log; an idle
#      connection closed after --idle-timeout; once it is gone, the client counts every request
#      refused;
#   4. a bad flag exits 2 with one line.
# No root, no network namespace: loopback only. Every wait is bounded. Exit 0 on success, 1 on failure.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <apiserver_standin> <vip_load_client>" >&2; exit 2; }
readonly STANDIN=$1 CLIENT=$2
command -v curl > /dev/null || { echo "SKIP: needs curl"; exit 77; }

work=$(mktemp -d /tmp/standin-loopback.XXXXXX)
log=$work/standin.stderr
ok=0
pid=""
cleanup() {
  local status=$?
  set +e
  [[ -n $pid ]] && kill -9 "$pid" 2> /dev/null
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT
# shellcheck source=netns_test_lib.sh
source "$(dirname "$0")/netns_test_lib.sh"
fail() { say "FAIL: $*"; echo "---- stand-in stderr:"; cat "$log"; exit 1; }

# start NAME FLAGS...: the stand-in on an ephemeral port of 127.0.0.1; sets pid and port.
start() {
  local name=$1; shift
  rm -f "$work/port"
  "$STANDIN" --listen 127.0.0.1:0 --name "$name" --port-file "$work/port" --log "$work/$name.log" "$@" 2>> "$log" &
  pid=$!
  wait_for 5 test -s "$work/port" || fail "no port file"
  port=$(cat "$work/port")
}
# get PATH [curl flags]: "<status> <body on one line>"; status 000 when there was no connection.
get() {
  local path=$1 scheme=http; shift
  [[ " $* " == *" -k "* ]] && scheme=https
  local body status
  body=$(curl -s --max-time 5 -o - -w '\n%{http_code}' "$@" "$scheme://127.0.0.1:$port$path" 2> /dev/null || true)
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  echo "${status:-000} $(printf '%s' "$body" | tr '\n' '|')"
}
expect() { # PATH PATTERN [curl flags]: "*" in PATTERN is any text, "[" and "]" are themselves
  local path=$1 pattern=$2; shift 2
  local got; got=$(get "$path" "$@")
  pattern=${pattern//[/\\[} pattern=${pattern//]/\\]}
  # shellcheck disable=SC2053  # the pattern is a glob
  [[ $got == $pattern ]] || fail "GET $path: want '$pattern', got '$got'"
}

say "1. starting, then ready"
start s1 --startup-delay 1s --shutdown-delay 2500ms
expect /readyz '500 *[-]poststarthook/start-apiserver-admission-initializer failed: reason withheld*readyz check failed*'
expect /healthz '500 *healthz check failed*'
expect '/api?id=1' '200 s1 1|'
ready() { [[ $(get /readyz) == "200 ok" ]]; }
wait_for 5 ready || fail "not ready 5 s after a 1 s startup delay"
expect '/readyz?verbose' '200 [+]ping ok|*[+]shutdown ok|readyz check passed|'
expect /livez '200 ok'
expect '/api?id=7' '200 s1 7|'
expect /api '400 *'
expect /version '404 *'

say "2. SIGTERM: not ready, still serving, then closed"
kill -TERM "$pid"
expect /readyz '500 *[-]shutdown failed: reason withheld|readyz check failed|'
expect '/api?id=8' '200 s1 8|'
expect /healthz '200 ok'
sleep 1
# In flight when the listener closes (2.5 s after SIGTERM): answered all the same.
curl -s --max-time 5 "http://127.0.0.1:$port/api?id=9&delay=2000" > "$work/inflight" &
slow=$!
sleep 0.2
refused() { [[ $(get /livez) == "000 "* ]]; }
wait_for 3 refused || fail "the port still answers 3 s after the shutdown delay"
wait "$slow" || fail "the request in flight failed: curl exit $?"
[[ $(cat "$work/inflight") == "s1 9" ]] || fail "the request in flight: '$(cat "$work/inflight")'"
exited() { ! kill -0 "$pid" 2> /dev/null; }
wait_for 5 exited || fail "still running 5 s after the shutdown delay"
wait "$pid" || fail "exit status $? after SIGTERM, want 0"
pid=""
grep -q "exiting, 0 request(s) still in flight" "$log" || fail "the request in flight did not finish"
[[ $(awk '{ print $1 }' "$work/s1.log" | tr '\n' ' ') == "1 7 8 9 " ]] || fail "log: $(cat "$work/s1.log")"

say "3. TLS, --listen-when-ready, the load client"
began=$(now_ms)
start s2 --tls --startup-delay 800ms --listen-when-ready --idle-timeout 300ms
(($(now_ms) - began >= 800)) || fail "--listen-when-ready: listening before the startup delay ended"
expect '/readyz?verbose' '200 *readyz check passed|' -k
"$CLIENT" --target "127.0.0.1:$port" --tls --rate 100 --clients 4 --timeout 2s --duration 1s --first-id 100 \
  --acked "$work/acked" --results "$work/results" > "$work/client.out" || fail "load client: exit $?"
grep -q "summary requests=100 failed=0 ok=100 " "$work/client.out" || fail "load client: $(cat "$work/client.out")"
[[ $(wc -l < "$work/results") -eq 100 ]] || fail "want 100 result lines"
missing=$(awk 'NR == FNR { served[$2 " " $1] = 1; next } !(($1 " " $2) in served)' "$work/s2.log" "$work/acked" | wc -l)
[[ $missing -eq 0 && $(wc -l < "$work/acked") -eq 100 ]] || fail "$missing acknowledged ids not in the log"
# A connection that sends nothing is closed after --idle-timeout: read sees the end (status 1),
# not its own 3 s timeout (status > 128).
exec 3<> "/dev/tcp/127.0.0.1/$port"
began=$(now_ms)
status=0
read -r -t 3 -u 3 _ || status=$?
exec 3<&-
((status == 1 && $(now_ms) - began < 2500)) || fail "--idle-timeout 300ms: read status $status after $(($(now_ms) - began)) ms"
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM with no shutdown delay"
pid=""
# Nobody listens now: every request is refused, and the client says so.
"$CLIENT" --target "127.0.0.1:$port" --rate 50 --clients 2 --timeout 1s --duration 200ms > "$work/client.out"
grep -q "summary requests=10 failed=10 ok=0 refused=10 " "$work/client.out" || fail "refused: $(cat "$work/client.out")"

say "4. bad input"
set +e
out=$("$STANDIN" --listen 127.0.0.1:notaport 2>&1); status=$?
set -e
[[ $status -eq 2 && $(wc -l <<< "$out") -eq 1 ]] || fail "bad --listen: exit $status, '$out'"
set +e
out=$("$CLIENT" --target 127.0.0.1:1 --rate 0 2>&1); status=$?
set -e
[[ $status -eq 2 && $(wc -l <<< "$out") -eq 1 ]] || fail "bad --rate: exit $status, '$out'"
say "PASS"
ok=1
