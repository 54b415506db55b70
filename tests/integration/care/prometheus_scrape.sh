#!/usr/bin/env bash
# A real Prometheus scrapes lvscare's endpoint, end to end:
#
#   prometheus_scrape.sh <lvscare binary>
#
# In a network namespace of its own (the script re-executes itself under `unshare -n`): two HTTP
# servers (busybox httpd) on 127.0.0.1:8081-8082, lvscare keeping 169.254.0.1:80 on them with the
# nftables datapath (--mode "": rules only) and its endpoint on 127.0.0.1:10264, and Debian's
# Prometheus scraping it every second. Checked through Prometheus' HTTP API (curl, inside the
# namespace): both masters active; after the test kills one, it goes to removed; after the test
# deletes lvscare's nftables table, a repair of part "nftables_table" is counted. Besides:
# /livez and /readyz answer (with ?verbose), `lvscare status` prints the table and the JSON, exits 1
# with one line when nothing answers, and a second lvscare whose port is taken logs one warning
# line and still programs its rules. Every wait is bounded; everything is removed on exit.
# Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <lvscare>" >&2
  exit 2
fi
readonly LVSCARE=$1
readonly VS=169.254.0.1:80 VS2=169.254.0.2:80 ENDPOINT=127.0.0.1:10264 PROMETHEUS=127.0.0.1:9090
readonly NFT_TABLE=lvscare_tcp_169.254.0.1_80
readonly WAIT=60  # bound of each wait, seconds (Prometheus starts slowly on a loaded machine)

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
if [[ -z ${PROMETHEUS_SCRAPE_NETNS:-} ]]; then
  exec unshare -n env PROMETHEUS_SCRAPE_NETNS=1 "$0" "$@"
fi
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=/usr/bin/busybox
[[ -x $busybox ]] || skip "needs busybox (busybox-static) for httpd"
for tool in curl jq nft prometheus promtool; do
  command -v "$tool" > /dev/null || skip "needs $tool (scripts/install-deps.sh)"
done

work=$(mktemp -d /tmp/prometheus-scrape.XXXXXX)
declare -a pids=()
server_pid=()
ok=0
cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}" "${server_pid[@]}"; do kill "$pid" 2> /dev/null; done
  wait 2> /dev/null
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT

start=$EPOCHREALTIME
say() { awk -v a="$start" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[%6.2fs] %s\n", b - a, m }'; }
fail() {
  say "FAIL: $*"
  echo "---- lvscare log (last 30 lines):"; tail -n 30 "$work/lvscare.log" 2> /dev/null || true
  echo "---- prometheus log (last 10 lines):"; tail -n 10 "$work/prometheus.log" 2> /dev/null || true
  exit 1
}
# Polls "$@" every 200 ms for at most $WAIT seconds.
wait_for() {
  local deadline=$((SECONDS + WAIT))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

ip link set lo up
rs=(127.0.0.1:8081 127.0.0.1:8082)
for i in 0 1; do
  mkdir -p "$work/www$i"
  echo "server $i" > "$work/www$i/index.html"
  "$busybox" httpd -f -p "${rs[$i]}" -h "$work/www$i" &
  server_pid[$i]=$!
done

"$LVSCARE" care --vs "$VS" --rs "${rs[0]}" --rs "${rs[1]}" --health-schem http --health-path / --interval 1s \
  --health-timeout 1s --mode "" --datapath nftables --metrics-bind-address "$ENDPOINT" >> "$work/lvscare.log" 2>&1 &
pids+=($!)

# --- the endpoint itself -------------------------------------------------------------------------
get() { curl -s --max-time 2 "http://$ENDPOINT$1"; }
ready() { [[ $(get /readyz) == ok ]]; }
wait_for ready || fail "/readyz never answered ok: $(get '/readyz?verbose')"
say "/readyz ok"
livez=$(get '/livez?verbose')
[[ $livez == *"[+]watchdog ok"*"[+]kernel ok"*"livez check passed"* ]] || fail "/livez?verbose: $livez"
get /metrics > "$work/metrics.txt"
promtool check metrics < "$work/metrics.txt" > "$work/promtool.txt" 2>&1 || fail "promtool: $(cat "$work/promtool.txt")"
[[ ! -s $work/promtool.txt ]] || fail "promtool complains: $(cat "$work/promtool.txt")"
say "promtool check metrics: clean ($(grep -c -v '^#' "$work/metrics.txt") samples)"

# --- a second lvscare on the same port: one warning line, its rules still programmed ------------
"$LVSCARE" care --vs "$VS2" --rs "${rs[0]}" --health-schem http --health-path / --interval 1s --mode "" \
  --datapath nftables --metrics-bind-address "$ENDPOINT" >> "$work/second.log" 2>&1 &
pids+=($!)
second_programmed() { nft list table ip lvscare_tcp_169.254.0.2_80 2> /dev/null | grep -q "rs ${rs[0]} weight 1"; }
wait_for second_programmed || fail "the second lvscare did not program its rules: $(cat "$work/second.log")"
warnings=$(grep -c "metrics endpoint off" "$work/second.log" || true)
[[ $warnings == 1 ]] || fail "want one warning line from the second lvscare, got $warnings: $(cat "$work/second.log")"
grep "metrics endpoint off" "$work/second.log" | grep -q "Address already in use" || fail "the warning does not say why"
say "second lvscare: $(grep "metrics endpoint off" "$work/second.log" | cut -c1-120)"
kill "${pids[1]}"

# --- lvscare status -------------------------------------------------------------------------------
table=$("$LVSCARE" status --metrics-bind-address "$ENDPOINT") || fail "lvscare status failed"
echo "$table" | sed 's/^/    /'
grep -Eq "^127\.0\.0\.1:8081 +active +1 " <<< "$table" || fail "status: 8081 not active at weight 1"
grep -q "the kernel holds what lvscare wants" <<< "$table" || fail "status: differences where none are expected"
json=$("$LVSCARE" status --json --metrics-bind-address "$ENDPOINT") || fail "lvscare status --json failed"
[[ $(jq -r '.datapath + " " + (.real_servers | length | tostring) + " " + .real_servers[0].state' <<< "$json") == "nftables 2 active" ]] ||
  fail "status --json: $json"
set +e
nobody=$("$LVSCARE" status --metrics-bind-address 127.0.0.1:1 2>&1)
code=$?
set -e
[[ $code == 1 && $(wc -l <<< "$nobody") == 1 && $nobody == *"no lvscare answers at 127.0.0.1:1"* ]] ||
  fail "status with no daemon: exit $code: $nobody"
say "lvscare status: table and JSON ok; with no daemon: exit 1, '$nobody'"

# --- Prometheus -----------------------------------------------------------------------------------
cat > "$work/prometheus.yml" << CONFIG
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lvscare
    static_configs:
      - targets: ['$ENDPOINT']
CONFIG
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --web.listen-address="$PROMETHEUS" \
  --log.level=warn > "$work/prometheus.log" 2>&1 &
pids+=($!)
# The value of an instant query, or "none" when it has no result.
query() {
  curl -s --max-time 2 -G "http://$PROMETHEUS/api/v1/query" --data-urlencode "query=$1" 2> /dev/null |
    jq -r 'if .status == "success" and (.data.result | length) > 0 then .data.result[0].value[1] else "none" end' 2> /dev/null
}
is() { [[ $(query "$1") == "$2" ]]; }
state() { echo "lvscare_real_server_state{job=\"lvscare\",real_server=\"$1\",state=\"$2\"}"; }

wait_for is 'up{job="lvscare"}' 1 || fail "Prometheus never scraped lvscare: up=$(query 'up{job="lvscare"}')"
say "Prometheus scrapes lvscare (up=1)"
wait_for is "$(state "${rs[0]}" active)" 1 || fail "Prometheus: ${rs[0]} not active: $(query "$(state "${rs[0]}" active)")"
say "Prometheus: ${rs[0]} active"

kill "${server_pid[0]}"
wait "${server_pid[0]}" 2> /dev/null || true
wait_for is "$(state "${rs[0]}" removed)" 1 || fail "Prometheus: ${rs[0]} not removed: $(query "$(state "${rs[0]}" removed)")"
is "max_over_time($(state "${rs[0]}" active)[5m])" 1 || fail "Prometheus has no sample of ${rs[0]} active"
is "$(state "${rs[0]}" active)" 0 || fail "${rs[0]} still active"
refused=$(query "sum(lvscare_checks_total{real_server=\"${rs[0]}\",reason=\"refused\"})")
say "Prometheus: ${rs[0]} went active -> removed after it was stopped ($refused refused checks counted)"

nft delete table ip "$NFT_TABLE"
say "deleted table ip $NFT_TABLE"
wait_for is 'lvscare_repairs_total{part="nftables_table"} >= bool 1' 1 ||
  fail "Prometheus: no nftables_table repair: $(query 'lvscare_repairs_total')"
nft list table ip "$NFT_TABLE" > /dev/null || fail "the table was not put back"
took=$(query 'lvscare_repair_duration_seconds_sum{part="nftables_table"}')
say "Prometheus: the table's repair counted (took ${took}s)"

table=$("$LVSCARE" status --metrics-bind-address "$ENDPOINT") || fail "lvscare status failed"
echo "$table" | sed 's/^/    /'
grep -Eq "^127\.0\.0\.1:8081 +removed +- " <<< "$table" || fail "status: 8081 not shown removed: $table"
ok=1
say "PASS"
