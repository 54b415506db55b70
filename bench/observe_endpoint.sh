#!/usr/bin/env bash
# The cost of lvscare's metrics endpoint, and proof that scrapers do not move the check schedule:
#
#   bench/observe_endpoint.sh [lvscare binary] [scrapes]
#
# In a private network namespace (unshare -n): two HTTP backends on 127.0.0.1:8081-8082 (a small
# Python server that stamps every request with CLOCK_MONOTONIC), lvscare keeping 169.254.0.1:80 on
# them (nftables datapath, --mode "", HTTP checks every INTERVAL_MS, default 200). Printed:
#   1. RSS (VmRSS) of lvscare after warm-up, with the endpoint off (--metrics-bind-address "") and
#      on (after 50 scrapes, so its buffers exist): the endpoint's cost in memory (goal <= 0.5 MB);
#      and after the hammering of 3., RSS and peak (VmHWM) beside the peak with the endpoint off;
#   2. CPU per scrape: lvscare's CPU time (utime + stime) over `scrapes` sequential GET /metrics
#      (one connection each), minus its idle CPU over the same wall time, divided by the count;
#   3. check timing: the intervals between consecutive checks of one backend, as the backend saw
#      them, quiet and then while 4 scrapers hammer /metrics back to back, with a slowloris and a
#      scraper that never reads its answer connected: mean, p50, p99 and max, and how far the mean
#      moved (the schedule must not move).
# Root only (exit 77 otherwise); nothing outside the namespace is touched.
set -euo pipefail
LVSCARE=${1:-build/src/cli/lvscare}
SCRAPES=${2:-2000}
INTERVAL_MS=${INTERVAL_MS:-200}
PHASE_S=${PHASE_S:-10}
[[ $(id -u) -eq 0 ]] || { echo "observe_endpoint.sh: needs root" >&2; exit 77; }
LVSCARE=$(readlink -f "$LVSCARE")
[[ -x $LVSCARE ]] || { echo "observe_endpoint.sh: no lvscare binary at $LVSCARE" >&2; exit 1; }
if [[ -z ${OBSERVE_BENCH_NETNS:-} ]]; then
  exec unshare -n env OBSERVE_BENCH_NETNS=1 "$0" "$LVSCARE" "$SCRAPES"
fi
command -v python3 > /dev/null || { echo "needs python3" >&2; exit 77; }

work=$(mktemp -d /tmp/observe-bench.XXXXXX)
declare -a pids=()
care_pid=
cleanup() {
  set +e
  [[ -n $care_pid ]] && kill "$care_pid" 2> /dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ip link set lo up

cat > "$work/helper.py" << 'PY'
import http.client, http.server, socket, socketserver, sys, threading, time

def backends(stamps, ports):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(stamps, "a") as f:
                f.write(f"{self.server.server_address[1]} {time.clock_gettime(time.CLOCK_MONOTONIC):.6f}\n")
            try:
                self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
            except OSError:
                pass  # the checker went away (lvscare stopped between phases)
        def log_message(self, *args): pass
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
    servers = [Server(("127.0.0.1", int(p)), Handler) for p in ports]
    for s in servers[1:]: threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()

def scrape(host, port, count):
    for _ in range(count):
        c = http.client.HTTPConnection(host, port, timeout=5)
        c.request("GET", "/metrics"); r = c.getresponse(); r.read(); c.close()
        if r.status != 200: sys.exit(f"scrape: HTTP {r.status}")

def hammer(host, port, seconds):
    # 4 back-to-back scrapers, a slowloris and a scraper that never reads its answer.
    stop = time.monotonic() + seconds
    done = [0] * 4
    def one(i):
        while time.monotonic() < stop:
            scrape(host, port, 1); done[i] += 1
    def slowloris():
        while time.monotonic() < stop:
            s = socket.create_connection((host, port)); s.send(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
            try:
                while time.monotonic() < stop: s.send(b"a"); time.sleep(0.01)
            except OSError: pass
    def never_reads():
        while time.monotonic() < stop:
            s = socket.create_connection((host, port)); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.send(b"GET /metrics HTTP/1.1\r\n\r\n"); time.sleep(1)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=slowloris), threading.Thread(target=never_reads)]
    for t in threads: t.daemon = True; t.start()
    for t in threads[:4]: t.join()
    print(sum(done))

def intervals(stamps, port, start, end):
    ts = [float(t) for p, t in (l.split() for l in open(stamps)) if p == port and start <= float(t) <= end]
    d = sorted((b - a) * 1000 for a, b in zip(ts, ts[1:]))
    if not d: return "no checks"
    pct = lambda q: d[min(len(d) - 1, int(q * len(d)))]
    return f"n={len(d)} mean={sum(d)/len(d):.2f} p50={pct(0.5):.2f} p99={pct(0.99):.2f} max={d[-1]:.2f} ms"

def mean(stamps, port, start, end):
    ts = [float(t) for p, t in (l.split() for l in open(stamps)) if p == port and start <= float(t) <= end]
    return (ts[-1] - ts[0]) * 1000 / (len(ts) - 1)

cmd = sys.argv[1]
if cmd == "backends": backends(sys.argv[2], sys.argv[3:])
elif cmd == "scrape": scrape("127.0.0.1", 10264, int(sys.argv[2]))
elif cmd == "hammer": hammer("127.0.0.1", 10264, float(sys.argv[2]))
elif cmd == "intervals": print(intervals(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])))
elif cmd == "mean": print(f"{mean(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])):.3f}")
elif cmd == "now": print(f"{time.clock_gettime(time.CLOCK_MONOTONIC):.6f}")
PY
helper() { python3 "$work/helper.py" "$@"; }
stamps=$work/stamps
: > "$stamps"
python3 "$work/helper.py" backends "$stamps" 8081 8082 &
pids+=($!)
sleep 1

start_care() { # extra args...
  "$LVSCARE" care --vs 169.254.0.1:80 --rs 127.0.0.1:8081 --rs 127.0.0.1:8082 --health-schem http --health-path / \
    --interval "${INTERVAL_MS}ms" --health-timeout 1s --mode "" --datapath nftables "$@" >> "$work/lvscare.log" 2>&1 &
  care_pid=$!
}
stop_care() { kill "$care_pid"; wait "$care_pid" 2> /dev/null || true; care_pid=; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$care_pid/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$care_pid/status"; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$care_pid/stat"; }
hz=$(getconf CLK_TCK)

echo "lvscare $($LVSCARE version --short), checks every ${INTERVAL_MS} ms of 2 backends, nftables datapath"
# 1. RSS
start_care --metrics-bind-address ""
sleep 3
rss_off=$(rss_kb)
hwm_off=$(hwm_kb)
stop_care
start_care
sleep 3
helper scrape 50
sleep 0.5
rss_on=$(rss_kb)
echo "RSS endpoint off: ${rss_off} kB   on (after 50 scrapes): ${rss_on} kB   difference: $((rss_on - rss_off)) kB"

# 2. CPU per scrape (the idle CPU over the same wall time subtracted)
t0=$(helper now); c0=$(cpu_ticks)
helper scrape "$SCRAPES"
t1=$(helper now); c1=$(cpu_ticks)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
c2=$(cpu_ticks); sleep "$wall"; c3=$(cpu_ticks)
awk -v busy=$((c1 - c0)) -v idle=$((c3 - c2)) -v n="$SCRAPES" -v hz="$hz" -v w="$wall" -v bytes="$(curl -s http://127.0.0.1:10264/metrics | wc -c)" 'BEGIN {
  printf "CPU per scrape: %.1f us (%d scrapes in %.2f s: %d ticks, idle over the same time %d ticks; /metrics is %d bytes)\n",
    (busy - idle) / hz / n * 1e6, n, w, busy, idle, bytes }'

# 3. check timing, quiet then hammered
q0=$(helper now); sleep "$PHASE_S"; q1=$(helper now)
scraped=$(helper hammer "$PHASE_S")
h1=$(helper now)
h0=$(awk -v a="$h1" -v s="$PHASE_S" 'BEGIN { printf "%.6f", a - s }')
echo "check intervals quiet:    $(helper intervals "$stamps" 8081 "$q0" "$q1")"
echo "check intervals hammered: $(helper intervals "$stamps" 8081 "$h0" "$h1")   ($scraped scrapes in ${PHASE_S} s)"
mq=$(helper mean "$stamps" 8081 "$q0" "$q1"); mh=$(helper mean "$stamps" 8081 "$h0" "$h1")
awk -v q="$mq" -v h="$mh" 'BEGIN { printf "mean check interval moved by %+.3f ms (%.3f -> %.3f)\n", h - q, q, h }'
echo "after the hammer: RSS $(rss_kb) kB, peak (VmHWM) $(hwm_kb) kB; with the endpoint off the peak was ${hwm_off} kB"
grep -c "metrics endpoint address=" "$work/lvscare.log" > /dev/null || { echo "endpoint never started" >&2; exit 1; }
