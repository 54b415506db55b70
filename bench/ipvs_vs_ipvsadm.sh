#!/usr/bin/env bash
# IPVS programming cost, ours (IpvsDatapath, pipelined requests) against `ipvsadm -R` (one request
# and one fresh netlink socket per rule), on the same kernel in the same VM run: N virtual servers x
# M real servers from an empty table, read all back (ours: dumps; ipvsadm: -S -n), remove them
# (ours: one delete per virtual server; ipvsadm: -C). Prints both times and the ratio.
#
# Usage: bench/ipvs_vs_ipvsadm.sh [--build DIR] [--services N] [--reals M] [--window W]
#   Boots the test VM (scripts/vm/run.sh, needs root) and runs itself inside it with --inside.
#   --build DIR: the CMake build directory holding bench/ipvs_bench and the VM cache (default build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
die() { echo "ipvs_vs_ipvsadm.sh: $*" >&2; exit 2; }

inside=0 build=$root/build bench="" services=1000 reals=10 window=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --inside) inside=1; shift ;;
    --build) build=${2:?}; shift 2 ;;
    --bench) bench=${2:?}; shift 2 ;;
    --services) services=${2:?}; shift 2 ;;
    --reals) reals=${2:?}; shift 2 ;;
    --window) window=${2:?}; shift 2 ;;
    *) die "unknown option $1 (--build DIR --services N --reals M --window W)" ;;
  esac
done
[[ $services =~ ^[0-9]+$ && $reals =~ ^[0-9]+$ && $window =~ ^[0-9]+$ ]] || die "numbers wanted"

if ((!inside)); then
  build=$(cd "$build" && pwd)
  bench=${bench:-$build/bench/ipvs_bench}
  [[ -x $bench ]] || die "no $bench: build it first (cmake --build $build --target ipvs_bench)"
  exec "$root/scripts/vm/run.sh" --timeout 1800 --cache "$build/vm" -- \
    "$here/ipvs_vs_ipvsadm.sh" --inside --bench "$bench" --services "$services" --reals "$reals" --window "$window"
fi

# Inside the VM (or a fresh network namespace of an IPVS host): the table is ours to flush.
[[ -n ${LVSCARE_VM_MODE:-} ]] || die "--inside is for scripts/vm/run.sh only: it flushes the IPVS table"
[[ -x $bench ]] || die "no ipvs_bench at '$bench'"
work=$(mktemp -d)
trap 'rm -rf "$work"; ipvsadm -C 2>/dev/null || true' EXIT

"$bench" --services "$services" --reals "$reals" --window "$window" --rules "$work/rules" | tee "$work/ours"
figure() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$work/ours"; }
ours_program=$(figure ours_program_s) ours_read=$(figure ours_read_s) ours_remove=$(figure ours_remove_s)
[[ -n $ours_program && -n $ours_read && -n $ours_remove ]] || die "ipvs_bench printed no figures"

ipvsadm -C
t0=$EPOCHREALTIME
ipvsadm -R < "$work/rules"
t1=$EPOCHREALTIME
ipvsadm -S -n > "$work/saved"
t2=$EPOCHREALTIME
ipvsadm -C
t3=$EPOCHREALTIME
want=$((services * (reals + 1)))
got=$(wc -l < "$work/saved")
[[ $got -eq $want ]] || die "ipvsadm -S -n listed $got rules, want $want"
# (Files, not <(...): the guest's /dev has no /dev/fd.)
sort "$work/rules" > "$work/rules.sorted"
sort "$work/saved" > "$work/saved.sorted"
if ! cmp -s "$work/rules.sorted" "$work/saved.sorted"; then
  diff "$work/rules.sorted" "$work/saved.sorted" | head -5 >&2
  die "ipvsadm -S -n does not list exactly the rules restored"
fi
[[ -z $(ipvsadm -S -n) ]] || die "ipvsadm -C left rules behind"

awk -v op="$ours_program" -v orr="$ours_read" -v orm="$ours_remove" \
    -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v n="$services" -v m="$reals" 'BEGIN {
  ip = t1 - t0; ir = t2 - t1; irm = t3 - t2
  ours = op + orr + orm; theirs = ip + ir + irm
  printf "ipvsadm: restore (-R) %.3f s; read back (-S -n) %.3f s; remove (-C) %.3f s\n", ip, ir, irm
  printf "%d virtual servers x %d real servers, program + read back + remove:\n", n, m
  printf "  ours    %8.3f s (program %.3f, read %.3f, remove %.3f)\n", ours, op, orr, orm
  printf "  ipvsadm %8.3f s (program %.3f, read %.3f, remove %.3f)\n", theirs, ip, ir, irm
  printf "  ratio   %.1fx (ipvsadm / ours); programming alone %.1fx\n", theirs / ours, ip / op
}'
