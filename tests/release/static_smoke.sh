#!/usr/bin/env bash
# Smoke test of the static release binaries (the static-release preset's lvscare and sealctl):
#
#   static_smoke.sh <release build dir> <golden manifests dir>
#
# - both are static (no program interpreter, no dynamic section) and stripped (no symbol table);
# - `lvscare version` is JSON with gitVersion, gitCommit and buildDate, and `--short` prints
#   <gitVersion>-<gitCommit>;
# - in a private network namespace, `lvscare care --run-once` against two HTTP servers on loopback
#   leaves the nftables rules, the route and working traffic through the VIP, and `-C` removes them;
# - `sealctl static-pod lvscare --print` gives Sealos' manifest even on a host that has a
#   /usr/bin/lvscare (a private mount namespace puts one there).
# Exit 0 ok, 1 failed, 77 skipped (not root, a tool missing, the release build not made).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <release build dir> <golden dir>" >&2
  exit 2
fi
readonly RELEASE=$1 GOLDEN=$2
readonly VIP=169.254.0.1 VPORT=80 NODE_IP=10.78.0.1
readonly RS=(127.0.0.1:8091 127.0.0.1:8092)
lvscare=$RELEASE/src/cli/lvscare
sealctl=$RELEASE/src/cli/sealctl

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
for tool in readelf unshare ip nft curl python3 mount; do command -v "$tool" > /dev/null || skip "needs $tool"; done
[[ -x $lvscare && -x $sealctl ]] ||
  skip "no static release build in $RELEASE: cmake --preset static-release && cmake --build --preset static-release"

# A private network namespace (for care) and mount namespace (for the fake /usr/bin/lvscare).
if [[ -z ${STATIC_SMOKE_NS:-} ]]; then
  exec unshare -n -m --propagation private env STATIC_SMOKE_NS=1 "$0" "$@"
fi

for bin in "$lvscare" "$sealctl"; do
  headers=$(LC_ALL=C readelf -lS "$bin")
  [[ $headers != *INTERP* && $headers != *DYNAMIC* ]] || fail "$bin is not statically linked"
  [[ $headers != *.symtab* ]] || fail "$bin is not stripped"
  echo "$bin: static, stripped, $(stat -c %s "$bin") bytes"
done

# --- version -----------------------------------------------------------------------------------------
json=$("$lvscare" version)
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<< "$json"; }
[[ $(field gitVersion) =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version JSON without gitVersion: $json"
[[ -n $(field gitCommit) ]] || fail "version JSON without gitCommit: $json"
[[ $(field buildDate) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || fail "version JSON without buildDate: $json"
short=$("$lvscare" version --short)
[[ $short == "$(field gitVersion)-$(field gitCommit)" ]] || fail "version --short: $short, JSON: $json"
echo "version: $json; --short: $short"

# --- care --run-once and -C in this private netns ----------------------------------------------------
work=$(mktemp -d /tmp/static-smoke.XXXXXX)
declare -a server_pid=()
cleanup() {
  local status=$?
  for pid in "${server_pid[@]}"; do kill "$pid" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

ip link set lo up
# The node IP (route mode's gateway) on a veth: a global-scope address, as on a real node.
ip link add smoke0 type veth peer name smoke1
ip link set smoke0 up
ip link set smoke1 up
ip addr add "$NODE_IP/24" dev smoke0
for i in 0 1; do
  mkdir -p "$work/www$i"
  echo "server $((i + 1))" > "$work/www$i/index.html"
  python3 -m http.server --bind 127.0.0.1 --directory "$work/www$i" "${RS[$i]#*:}" > /dev/null 2>&1 &
  server_pid[$i]=$!
done
for rs in "${RS[@]}"; do
  for _ in $(seq 50); do curl -s --max-time 1 "http://$rs/" > /dev/null && break; sleep 0.1; done
done

"$lvscare" care --run-once --vs "$VIP:$VPORT" --rs "${RS[0]}" --rs "${RS[1]}" --health-schem http --health-path / \
  --ip "$NODE_IP" > "$work/run-once.log" 2>&1 || fail "care --run-once: $(cat "$work/run-once.log")"
table=$(nft list table ip "lvscare_tcp_${VIP}_$VPORT" 2> /dev/null) || fail "care --run-once made no nftables table"
for rs in "${RS[@]}"; do [[ $table == *"rs $rs weight 1"* ]] || fail "no rule for $rs: $table"; done
[[ $(ip -j route show "$VIP/32") == *'"gateway":"'$NODE_IP'"'*'"protocol":"76"'* ]] || fail "no route to the VIP: $(ip route)"
answers=""
for _ in 1 2 3 4; do answers+=$(curl -s --max-time 2 "http://$VIP:$VPORT/" || echo failed); done
[[ $answers == *"server 1"* && $answers == *"server 2"* && $answers != *failed* ]] ||
  fail "requests through the VIP after --run-once: $answers"
echo "care --run-once: rules for ${RS[*]}, route via $NODE_IP, traffic through $VIP:$VPORT reaches both"

"$lvscare" care --vs "$VIP:$VPORT" -C > "$work/clean.log" 2>&1 || fail "care -C: $(cat "$work/clean.log")"
[[ -z $(nft list tables | grep lvscare || true) ]] || fail "-C left tables: $(nft list tables)"
[[ -z $(ip route show "$VIP/32") ]] || fail "-C left the route: $(ip route show "$VIP/32")"
echo "care -C: no table, no route left"

# --- the manifest does not depend on the host: one with /usr/bin/lvscare gives Sealos' ---------------
mkdir -p "$work/usr-bin"
cp "$lvscare" "$work/usr-bin/lvscare"
# In a mount namespace of its own: while the fake /usr/bin hides the real one, only sealctl
# (static, by absolute path) runs.
manifest=$(unshare -m --propagation private sh -c 'mount --bind "$1" /usr/bin && exec "$2" static-pod lvscare \
  --masters 192.168.0.2:6443 --hosts-file "$3" --print' sh "$work/usr-bin" "$sealctl" "$work/no-hosts")
[[ "$manifest"$'\n' == "$(cat "$GOLDEN/default.yaml")"$'\n' ]] ||
  fail "with /usr/bin/lvscare on the host, the manifest differs from Sealos': $manifest"
echo "sealctl static-pod lvscare on a host with /usr/bin/lvscare: Sealos' manifest (no hostPath of it)"
echo PASS
