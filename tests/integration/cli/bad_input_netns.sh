#!/usr/bin/env bash
# Issue 3, "better than LVScare" item 8: every malformed value gets one line naming the flag and the
# value, exit code 2, and nothing on the host changes. The unit tests check the line and the exit
# code; this checks the last part as root, where lvscare could change something: the ruleset,
# links, addresses, routes and IPVS sysctls are read with nft/ip before and after every bad
# invocation of `lvscare care` and `sealctl ipvs`, and must be identical. A valid --run-once does
# change them (the check can fail), and -C puts them back.
#
#   bad_input_netns.sh <lvscare binary> <sealctl binary>
# Runs in a network namespace of its own (re-executes itself under `unshare -n`). Every run is
# bounded by `timeout`. Exit 0 on success, 1 on failure, 77 when it cannot run here.
set -euo pipefail
LVSCARE=$1
SEALCTL=$2
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
if [[ -z ${BAD_INPUT_NETNS:-} ]]; then exec unshare -n env BAD_INPUT_NETNS=1 "$0" "$@"; fi
for tool in nft ip timeout; do command -v "$tool" > /dev/null || { echo "SKIP: needs $tool"; exit 77; }; done
nft list tables > /dev/null 2>&1 || { echo "SKIP: no nf_tables here"; exit 77; }

work=$(mktemp -d /tmp/bad-input.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip link set lo up
# Something for route mode's node IP to be: a veth pair inside this namespace.
ip link add bi-v1 type veth peer name bi-p1
ip addr add 10.77.9.1/24 dev bi-v1
ip link set bi-v1 up
printf '10.77.9.1 lvscare.node.ip\n' > "$work/hosts"

state() {
  nft list ruleset
  ip -d link show
  ip addr show
  ip route show table all
  ip -6 route show table all
  cat /proc/sys/net/ipv4/vs/expire_nodest_conn /proc/sys/net/ipv4/vs/conntrack 2> /dev/null || true
}
state > "$work/before"

readonly VS=169.254.0.1:80 RS=127.0.0.1:8081
checked=0
# expect_bad <program name> <fragment the line must hold> -- <command...>
expect_bad() {
  local name=$1 fragment=$2
  shift 3
  local status=0
  timeout 20 "$@" > "$work/out" 2> "$work/err" || status=$?
  [[ $status -eq 2 ]] || fail "exit $status, want 2: $* (stderr: $(cat "$work/err"))"
  [[ ! -s $work/out ]] || fail "stdout not empty: $*: $(cat "$work/out")"
  [[ $(wc -l < "$work/err") -eq 1 ]] || fail "want one line on stderr: $*: $(cat "$work/err")"
  grep -q "^$name: " "$work/err" || fail "line does not start with '$name: ': $(cat "$work/err")"
  grep -qF -- "$fragment" "$work/err" || fail "line does not name '$fragment': $(cat "$work/err")"
  state > "$work/after"
  diff -u "$work/before" "$work/after" > "$work/diff" || fail "the host changed after: $* $(cat "$work/diff")"
  checked=$((checked + 1))
}

# One bad value per flag, on an otherwise valid command line that would program the host.
# (An unknown --logger, a --health-status below 400 and stray words are accepted with a warning,
# as LVScare accepts them: tests/unit/cli/lvscare_compat_test.cpp.)
bad_values=(
  "--vs|10.0.0.1" "--vs|10.0.0.1:0" "--rs|host:80" "--rs|[fd00::1]:80" "--scheduler|sed"
  "--iface|a/b" "--mode|bridge" "--interval|soon" "--interval|-5" "--ip|300.1.1.1"
  "--ip|fd00::1" "--masqueradebit|32" "--health-path|/a b" "--health-schem|ftp" "--health-req-method|G T"
  "--health-req-headers|novalue" "--health-status|abc" "--health-timeout|0" "--health-rise|0"
  "--health-fall|-1" "--health-fast-interval|fast" "--health-jitter|0.7" "--datapath|xdp"
  "--health-ca-file|$work/missing-ca.pem"
)
for mode in route link; do  # sealctl ipvs: route only (the same code path)
  for pair in "${bad_values[@]}"; do
    flag=${pair%%|*}
    value=${pair#*|}
    # LVScare reads these two in link mode only (elsewhere they are ignored with a warning).
    [[ $mode != link && ($flag == --iface || $flag == --masqueradebit) ]] && continue
    extra=()
    [[ $flag == --health-ca-file ]] && extra=(--health-insecure-skip-verify=false)
    expect_bad lvscare "$flag" -- "$LVSCARE" care --vs "$VS" --rs "$RS" --mode "$mode" --datapath nftables \
      --interval 1 "${extra[@]}" "$flag" "$value"
    [[ $mode == route ]] || continue
    expect_bad sealctl "$flag" -- "$SEALCTL" ipvs --vs "$VS" --rs "$RS" --mode "$mode" --datapath nftables \
      --interval 1 "${extra[@]}" "$flag" "$value"
  done
done
# Bool flags take pflag's spellings only; unknown flags and stray words are usage errors.
expect_bad lvscare "--run-once" -- "$LVSCARE" care --vs "$VS" --rs "$RS" --run-once=maybe
expect_bad lvscare "--clean" -- "$LVSCARE" care --vs "$VS" --clean=2
expect_bad lvscare "--no-such-flag" -- "$LVSCARE" care --vs "$VS" --rs "$RS" --no-such-flag
expect_bad lvscare "-Cx" -- "$LVSCARE" care --vs "$VS" -Cx
expect_bad lvscare "--rs" -- "$LVSCARE" care --vs "$VS"
# -C with a malformed VIP cleans nothing.
expect_bad lvscare "--vs" -- "$LVSCARE" care --vs 169.254.0.1 -C
expect_bad sealctl "--vs" -- "$SEALCTL" ipvs --vs 169.254.0.1 -C
# The environment fallback is checked the same way, naming the variable.
expect_bad lvscare "CARE_INTERVAL" -- env CARE_VS="$VS" CARE_RS="$RS" CARE_INTERVAL=-5 "$LVSCARE" care
expect_bad lvscare "CARE_RS" -- env CARE_VS="$VS" CARE_RS=127.0.0.1 "$LVSCARE" care
expect_bad sealctl "IPVS_MODE" -- env IPVS_VS="$VS" IPVS_RS="$RS" IPVS_MODE=bridge "$SEALCTL" ipvs
# Values the library's rules refuse are named by their variable too.
expect_bad lvscare 'CARE_SCHEDULER "sed"' -- env CARE_VS="$VS" CARE_RS="$RS" CARE_SCHEDULER=sed "$LVSCARE" care
expect_bad sealctl 'IPVS_MASQUERADEBIT "32"' -- env IPVS_VS="$VS" IPVS_RS="$RS" IPVS_MASQUERADEBIT=32 "$SEALCTL" ipvs --mode link
echo "ok: $checked bad invocations: exit 2, one line naming the flag or variable, the host unchanged"

# The check can fail: a valid --run-once does change the host (our table, the route), and -C
# brings it back to exactly where it was.
timeout 20 "$LVSCARE" care --run-once --vs "$VS" --rs "$RS" --datapath nftables --health-schem tcp \
  --ip 10.77.9.1 > /dev/null 2>&1 || fail "a valid --run-once failed"
state > "$work/after"
diff -q "$work/before" "$work/after" > /dev/null && fail "a valid --run-once changed nothing that is read here"
timeout 20 "$LVSCARE" care --vs "$VS" --ip 10.77.9.1 -C > /dev/null 2>&1 || fail "-C failed"
state > "$work/after"
diff -u "$work/before" "$work/after" || fail "-C did not restore the host"
echo "ok: a valid --run-once changes the host and -C restores it (the comparison can fail)"
