#!/usr/bin/env bash
# The lvscare static pod under a real pod runtime, as a node runs it:
#
#   pod_podman.sh <release build dir> <static pause binary> <version> <privileged|least-privilege>
#
# `sealctl static-pod lvscare` (the static release binary) writes the manifest for the image
# scripts/image.sh built (lvscare-<version>.oci.tar), and `podman kube play` runs it in a network
# namespace of this test's own, where three stand-in apiservers serve HTTPS /healthz on 127.0.0.2-4
# and the node IP (lvscare.node.ip) sits on a veth. Checked with ip, nft, curl and podman, never
# with lvscare itself: the VIP's nftables rules and route exist; requests through the VIP reach
# every master; a stopped master is removed at once (it refuses), then comes back, and the pod's log says
# so; `podman kube down` leaves the rules and the traffic; `lvscare care --vs ... -C` run from the
# image removes everything. least-privilege: the same for the `--least-privilege` manifest.
#
# Isolation: podman uses a storage root and a containers.conf of the test's own (runc instead of
# crun, explicit ulimits: root here lacks CAP_SYS_RESOURCE), the infra image is built from the
# static pause program (no registry is reachable), and the whole test runs in a private mount
# namespace, so podman's mounts (and a /lib/modules made for a host that lacks one: the manifest
# mounts it) vanish with it. Every wait is bounded. Exit 0 ok, 1 failed, 77 skipped (with why).
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 <release build dir> <pause binary> <version> <privileged|least-privilege>" >&2
  exit 2
fi
readonly RELEASE=$1 PAUSE=$2 VERSION=$3 PRIVILEGE=$4
readonly VIP=10.103.97.2 VPORT=6443 NODE_IP=10.79.0.1
readonly MASTERS=(127.0.0.2:6443 127.0.0.3:6443 127.0.0.4:6443)
readonly STATE_WAIT=60  # bound for a health change (interval 5 s, Sealos' default, plus the fall count)

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root"
case $PRIVILEGE in privileged | least-privilege) ;; *) echo "privilege: privileged or least-privilege" >&2; exit 2 ;; esac
for tool in podman nsenter unshare ip nft curl openssl python3 findmnt; do
  command -v "$tool" > /dev/null || skip "needs $tool (scripts/install-deps.sh installs it)"
done
archive=$RELEASE/lvscare-$VERSION.oci.tar
sealctl=$RELEASE/src/cli/sealctl
[[ -x $sealctl ]] || skip "no $sealctl: cmake --preset static-release && cmake --build --preset static-release"
[[ -f $archive ]] || skip "no $archive: scripts/image.sh $RELEASE"

# Everything below in a private mount namespace: podman's overlay and shm mounts end with it.
if [[ -z ${POD_PODMAN_MOUNT_NS:-} ]]; then
  exec unshare -m --propagation private env POD_PODMAN_MOUNT_NS=1 "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/pod-podman.XXXXXX)
ns=lvscare-pod-$$
image=localhost/lvscare:$VERSION
infra=localhost/lvscare-test-pause:latest
pod=kube-sealos-lvscare
container=$pod-$pod  # podman names a kube play container <pod>-<container>
manifest=$work/manifests/$pod.yaml
declare -a master_pid=()
ok=0

cat > "$work/containers.conf" << EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
infra_image = "$infra"
tmp_dir = "$work/tmp"
events_logger = "file"
EOF
# podman with the test's config and storage, bounded in time; pm_ns: in the test's network
# namespace, where a hostNetwork pod lands.
podman_cmd=(env "CONTAINERS_CONF=$work/containers.conf" timeout 120 podman --root "$work/storage"
            --runroot "$work/run" --storage-driver overlay)
pm() { "${podman_cmd[@]}" "$@"; }
pm_ns() { nsenter --net="/run/netns/$ns" "${podman_cmd[@]}" "$@"; }

cleanup() {
  local status=$?
  set +e
  pm pod rm -f -a -t 2 > /dev/null 2>&1
  pm rm -f -a -t 2 > /dev/null 2>&1
  pm rmi -f -a > /dev/null 2>&1
  for pid in "${master_pid[@]}"; do kill "$pid" 2> /dev/null; done
  if [[ -e /run/netns/$ns ]]; then
    for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -9 "$pid" 2> /dev/null; done
    ip netns del "$ns"
  fi
  wait 2> /dev/null
  # The storage driver's own mounts, innermost first (they would only end with this namespace).
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | while read -r target; do umount -l "$target"; done
  if ((ok)); then rm -rf "$work"; else echo "files kept in $work" >&2; fi
  exit "$status"
}
trap cleanup EXIT

start=$EPOCHREALTIME
say() { awk -v a="$start" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN { printf "[%6.2fs] %s\n", b - a, m }'; }
pod_log() { pm logs "$container" 2>&1; }
fail() {
  say "FAIL: $*"
  echo "---- nft:"; ip netns exec "$ns" nft list ruleset 2>&1 | head -40
  echo "---- routes:"; ip -n "$ns" route 2>&1
  echo "---- pods:"; pm pod ps 2>&1; pm ps -a 2>&1
  echo "---- pod log (last 40 lines):"; pod_log | tail -n 40
  exit 1
}
wait_for() { # seconds, command...: polls every 0.2 s
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# --- podman: the images, and whether this machine can run a container at all ---------------------
mkdir -p "$work/infra"
install -m 0755 "$PAUSE" "$work/infra/pause"
printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' > "$work/infra/Containerfile"
out=$(pm build --pull=never --quiet -t "$infra" "$work/infra" 2>&1) || skip "podman cannot build an image here: $out"
out=$(pm run -d --name probe --network none "$infra" 2>&1) || skip "podman cannot run a container here: $out"
pm rm -f -t 1 probe > /dev/null
out=$(pm load -i "$archive" 2>&1) || fail "podman load $archive: $out"
[[ $(pm image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$image") == "$VERSION" ]] ||
  fail "$image has no org.opencontainers.image.version=$VERSION label"
say "images: $image (from $archive), infra $infra"

# The manifest mounts the host's /lib/modules; a host without one (this kind of VM) gets an empty
# one, in this mount namespace only, over its real library directory.
if [[ ! -d /lib/modules ]]; then
  lib=$(realpath /lib)
  mkdir -p "$work/lib-upper" "$work/lib-work"
  mount -t overlay overlay -o "lowerdir=$lib,upperdir=$work/lib-upper,workdir=$work/lib-work" "$lib"
  mkdir "$lib/modules"
fi

# --- the node: a netns with the node IP on a veth and three HTTPS masters on loopback -------------
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add node0 type veth peer name node1
ip -n "$ns" link set node0 up
ip -n "$ns" link set node1 up
ip -n "$ns" addr add "$NODE_IP/24" dev node0
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=apiserver -keyout "$work/key.pem" \
  -out "$work/cert.pem" 2> /dev/null
start_master() { # index
  local address=${MASTERS[$1]%:*}
  nsenter --net="/run/netns/$ns" python3 "$here/https_master.py" "$address" "$VPORT" "master $(($1 + 1))" \
    "$work/cert.pem" "$work/key.pem" &
  master_pid[$1]=$!
}
master_up() { ip netns exec "$ns" curl -sk --max-time 1 "https://$1/healthz" > /dev/null; }
for i in 0 1 2; do start_master "$i"; done
for m in "${MASTERS[@]}"; do wait_for 10 master_up "$m" || fail "master $m does not answer"; done

# --- the manifest, as Sealos asks for it, and podman kube play -------------------------------------
echo "$NODE_IP lvscare.node.ip" > "$work/hosts"
privilege_args=()
[[ $PRIVILEGE == least-privilege ]] && privilege_args=(--least-privilege)
"$sealctl" static-pod lvscare --path "$work/manifests" --name "$pod" --vip "$VIP:$VPORT" --image "lvscare:$VERSION" \
  --masters "$(IFS=,; echo "${MASTERS[*]}")" --hosts-file "$work/hosts" "${privilege_args[@]}" > /dev/null
grep -q "image: lvscare:$VERSION" "$manifest" || fail "manifest without the image: $(cat "$manifest")"
out=$(pm_ns kube play "$manifest" 2>&1) || fail "podman kube play: $out"
privileged=$(pm inspect --format '{{.HostConfig.Privileged}}' "$container")
[[ $privileged == "$([[ $PRIVILEGE == privileged ]] && echo true || echo false)" ]] ||
  fail "the $PRIVILEGE pod's container has privileged=$privileged"
say "podman kube play $manifest ($PRIVILEGE): pod $pod running (privileged=$privileged)"

# --- what an admin checks -----------------------------------------------------------------------
nft_table=lvscare_tcp_${VIP}_$VPORT
weight() { # weight of master $1 in the kernel, or "absent"
  local w
  w=$(ip netns exec "$ns" nft list table ip "$nft_table" 2> /dev/null |
    grep -o "comment \"rs ${1//./\\.} weight [0-9]*\"" | grep -o '[0-9]*"$' | tr -d '"') || true
  echo "${w:-absent}"
}
weights() { local out=""; for m in "${MASTERS[@]}"; do out+="$m=$(weight "$m") "; done; echo "${out% }"; }
all_active() { for m in "${MASTERS[@]}"; do [[ $(weight "$m") == 1 ]] || return 1; done; }
has_weight() { [[ $(weight "$1") == "$2" ]]; }
vip_route() {
  [[ $(ip -n "$ns" -4 -j route show "$VIP/32") == *'"gateway":"'$NODE_IP'","dev":"node0","protocol":"76","metric":50'* ]]
}
nothing_of_ours() {
  ! ip netns exec "$ns" nft list tables | grep -q lvscare && [[ -z $(ip -n "$ns" route show "$VIP/32") ]]
}
spread() { # $1 requests through the VIP: the masters that answered, counted
  local i answers=""
  for ((i = 0; i < $1; i++)); do
    answers+="$(ip netns exec "$ns" curl -sk --max-time 2 "https://$VIP:$VPORT/" || echo failed)"$'\n'
  done
  sort <<< "${answers%$'\n'}" | uniq -c | awk '{ printf "%s%s %s=%s", sep, $2, $3, $1; sep = "," } END { print "" }'
}
all_reached() {
  local got=$1
  for n in 1 2 3; do [[ $got == *"master $n="* ]] || return 1; done
  [[ $got != *failed* ]]
}

wait_for "$STATE_WAIT" all_active || fail "masters not all at weight 1: $(weights)"
wait_for 10 vip_route || fail "no route of ours to the VIP: $(ip -n "$ns" route show "$VIP/32")"
say "rules: $(weights); route: $(ip -n "$ns" route show "$VIP/32")"
got=$(spread 9)
all_reached "$got" || fail "9 requests through the VIP did not reach every master: $got"
say "9 requests through $VIP:$VPORT: $got"
[[ $(pod_log) == *"datapath="* ]] || fail "the pod's log does not say which datapath it chose"

# A stopped master refuses connections: removed at once (no weight-0 step), then back.
victim=${MASTERS[2]}
kill "${master_pid[2]}"; wait "${master_pid[2]}" 2> /dev/null || true
victim_log() { pod_log | grep -F "rs=$victim " || true; }
wait_for "$STATE_WAIT" has_weight "$victim" absent || fail "stopped master $victim not removed: $(weights)"
say "master 3 stopped: removed: $(weights)"
got=$(spread 6)
[[ $got != *"master 3"* && $got != *failed* ]] || fail "traffic still reaches the stopped master or fails: $got"
start_master 2
wait_for 10 master_up "$victim" || fail "master $victim does not answer after its restart"
wait_for "$STATE_WAIT" has_weight "$victim" 1 || fail "restarted master $victim not back: $(weights)"
say "master 3 restarted: back: $(weights)"
log=$(victim_log)
for said in "active -> removed weight=none" "removed -> active weight=1"; do
  [[ $log == *"$said"* ]] || fail "the pod's log does not say '$said' for $victim: $log"
done
say "the pod's log says it: $(tr '\n' '|' <<< "$log" | sed 's/|$//')"

# podman kube down: the pod goes, the rules and the traffic stay (the node keeps its apiserver path).
out=$(pm_ns kube down "$manifest" 2>&1) || fail "podman kube down: $out"
[[ -z $(pm pod ps -q) ]] || fail "a pod is left after kube down: $(pm pod ps)"
all_active || fail "kube down changed the rules: $(weights)"
vip_route || fail "kube down removed the route"
got=$(spread 3)
[[ $got != *failed* ]] || fail "traffic stopped with the pod: $got"
say "podman kube down: pod gone, rules kept ($(weights)), traffic flows: $got"

# -C from the image, with the pod's privileges: removes the rules and the route.
if [[ $PRIVILEGE == privileged ]]; then run_privilege=(--privileged); else run_privilege=(--cap-drop all --cap-add NET_ADMIN); fi
out=$(pm_ns run --rm --network host "${run_privilege[@]}" "$image" care --vs "$VIP:$VPORT" -C 2>&1) ||
  fail "lvscare care -C from the image: $out"
wait_for 5 nothing_of_ours || fail "-C left rules or the route: $(ip netns exec "$ns" nft list tables) $(ip -n "$ns" route)"
say "lvscare care --vs $VIP:$VPORT -C (podman run $image): no table, no route left"
ok=1
say "PASS"
