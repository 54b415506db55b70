#!/usr/bin/env bash
# Runs one command as root against a kernel that has IPVS: inside a small qemu VM (software
# emulation, no network device) booted with Debian's own kernel, with this host's root filesystem
# shared read-only, so freshly built binaries and ipvsadm run there unchanged. If this host's
# kernel has IPVS itself, runs the command here instead, in a new network namespace.
#
# Usage: scripts/vm/run.sh [options] -- <command> [args...]
#   --timeout S        give up after S seconds (default 600): the VM is killed, exit 124
#   --no-preload       load only what is needed to boot; ip_vs etc. are loaded by whoever needs them
#   --no-autoload      also stop the kernel from loading modules on demand (request_module)
#   --share-out DIR    make host directory DIR writable in the guest, at the same path
#   --env K=V          set K=V for the command (repeatable); VM_ENV_K=V in the caller's env does too
#   --cache DIR        kernel/initramfs cache made by prepare.sh (default: $LVSCARE_VM_CACHE, or
#                      build/vm in the repository); prepared on first use
# The command runs as root in the caller's working directory with the caller's PATH, GTEST_*,
# LVSCARE_* and locale variables. Its stdout/stderr come back here; run.sh exits with its exit code.
# LVSCARE_VM=force always uses the VM; LVSCARE_VM=host never does. Exit 77 = skipped (not root).
# LVSCARE_VM_KEEP=1 keeps the run directory (console.log, qemu.log, cmd.sh) for debugging.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run.sh: $*" >&2; exit 2; }

timeout_s=600 preload=1 autoload=1 share_out="" cache=${LVSCARE_VM_CACHE:-$here/../../build/vm}
extra_env=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --no-preload) preload=0; shift ;;
    --no-autoload) autoload=0; shift ;;
    --share-out) share_out=$(cd "${2:?}" && pwd -P) || die "--share-out $2: no such directory"; shift 2 ;;
    --env) [[ ${2:?} == *=* ]] || die "--env wants K=V, got $2"; extra_env+=("$2"); shift 2 ;;
    --cache) cache=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) die "unknown option $1 (usage: run.sh [options] -- command...)" ;;
  esac
done
[[ $# -gt 0 ]] || die "no command (usage: run.sh [options] -- command...)"
[[ $timeout_s =~ ^[0-9]+$ && $timeout_s -gt 0 ]] || die "--timeout wants a positive number of seconds"

if [[ $(id -u) -ne 0 ]]; then
  echo "needs root: the IPVS tests load kernel modules and run as root (here or in the VM)" >&2
  exit 77
fi

# Modules preloaded by default: IPVS with every scheduler 6.1 has (twos came in 6.3), conntrack/NAT, nftables, test links.
full_preload=(
  ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed
  ip_vs_nq ip_vs_mh ip_vs_fo ip_vs_ovf
  crc32c_generic libcrc32c nf_defrag_ipv4 nf_defrag_ipv6 nf_conntrack nf_conntrack_netlink nf_nat
  nfnetlink nf_tables nft_nat nft_ct nft_masq nft_chain_nat nft_numgen nft_redir nft_hash
  nft_limit nft_reject_inet nft_fib_inet nft_objref
  dummy veth
)

# The command's environment, as a sourceable script (values quoted by bash itself).
env_script() {
  local name
  printf 'export PATH=%q\n' "$PATH"
  printf 'export HOME=/root\n'
  for name in $(compgen -e); do
    case $name in
      GTEST_*|LVSCARE_*|LANG|LC_*|TZ|TERM) printf 'export %s=%q\n' "$name" "${!name}" ;;
      VM_ENV_?*) printf 'export %s=%q\n' "${name#VM_ENV_}" "${!name}" ;;
    esac
  done
  local kv
  for kv in "${extra_env[@]}"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"; done
}

host_has_ipvs() {
  [[ -e /proc/net/ip_vs ]] || modprobe -n -q ip_vs 2>/dev/null
}

mode=${LVSCARE_VM:-auto}
if [[ $mode == host ]] || { [[ $mode == auto ]] && host_has_ipvs; }; then
  # Host mode: the same command, here, in a fresh network namespace so that it never touches the
  # host's own IPVS table, links or routes.
  if [[ $mode == host ]]; then
    echo "run.sh: LVSCARE_VM=host: running on the host in a new network namespace" >&2
  else
    echo "run.sh: this kernel has IPVS: running on the host in a new network namespace (LVSCARE_VM=force to use the VM)" >&2
  fi
  if ((preload)); then
    for m in "${full_preload[@]}"; do modprobe -q "$m" 2>/dev/null || true; done
  fi
  script=$(mktemp)
  trap 'rm -f "$script"' EXIT
  { env_script; printf 'export LVSCARE_VM_MODE=host\ncd %q\nip link set lo up\n' "$PWD"; printf '%q ' "$@"; echo; } > "$script"
  rc=0
  timeout -k 10 "$timeout_s" unshare -n -- /bin/bash "$script" < /dev/null || rc=$?
  [[ $rc -eq 124 ]] && echo "run.sh: timed out after $timeout_s s" >&2
  exit "$rc"
fi

"$here/prepare.sh" "$cache" # cheap when cached; rebuilds the initramfs if init changed
cache=$(cd "$cache" && pwd -P) # physical: the guest resolves it inside the 9p root
kver=$(cat "$cache/kernel/version")
kernel=$cache/kernel/vmlinux
[[ -f $kernel ]] || kernel=$cache/kernel/boot/vmlinuz-$kver

run=$(mktemp -d "${TMPDIR:-/tmp}/lvscare-vm.XXXXXX")
qemu_pid="" tail_pids=()
cleanup() {
  [[ -n $qemu_pid ]] && kill -9 "$qemu_pid" 2>/dev/null
  ((${#tail_pids[@]})) && kill "${tail_pids[@]}" 2>/dev/null
  if [[ ${LVSCARE_VM_KEEP:-0} == 1 ]]; then echo "run.sh: kept $run" >&2; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 143' INT TERM

cwd=$(pwd -P) # physical: /tmp and /run are fresh in the guest, so resolve symlinks here
{
  printf 'VM_LIBDIR=%q\n' "$(readlink -f /lib)"
  printf 'VM_KERNEL=%q\n' "$cache/kernel"
  printf 'VM_CWD=%q\n' "$cwd"
  printf 'VM_SHARE_OUT=%q\n' "$share_out"
  printf 'VM_AUTOLOAD=%q\n' "$autoload"
  if ((preload)); then printf 'VM_PRELOAD=%q\n' "${full_preload[*]}"; else echo 'VM_PRELOAD='; fi
} > "$run/config"
{
  env_script
  printf 'export LVSCARE_VM_MODE=vm\n'
  printf 'cd %q || exit 125\n' "$cwd"
  printf 'exec'; printf ' %q' "$@"; echo
} > "$run/cmd.sh"
[[ $cwd == /run || $cwd == /run/* || $cwd == /tmp ]] &&
  echo "run.sh: warning: $cwd is hidden in the guest (fresh tmpfs on /tmp and /run)" >&2

share_args=()
[[ -n $share_out ]] && share_args=(-virtfs "local,path=$share_out,mount_tag=share,security_model=none,multidevs=remap")

# One boot, bounded by the overall deadline. Sets timed_out and qemu_rc.
boot_once() {
  : > "$run/stdout"
  : > "$run/stderr"
  rm -f "$run/ready" "$run/rc" "$run/dmesg"
  # no_timer_check: under a loaded host the emulated timer can miss the kernel's boot-time IO-APIC
  # timer check, which then panics ("IO-APIC + timer doesn't work!"). Seen here at load 15.
  # pdeathsig: should run.sh itself be killed outright (SIGKILL, no trap), qemu dies with it.
  setpriv --pdeathsig KILL -- qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -m 1024 -smp 2 -no-reboot -nic none \
    -display none -monitor none -serial "file:$run/console.log" \
    -kernel "$kernel" -initrd "$cache/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 no_timer_check rdinit=/init" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$run,mount_tag=out,security_model=none,multidevs=remap" \
    "${share_args[@]}" < /dev/null > "$run/qemu.log" 2>&1 &
  qemu_pid=$!
  # Stream the command's output while it runs; each tail ends soon after qemu does.
  tail --pid="$qemu_pid" -s 0.2 -n +1 -f "$run/stdout" & tail_pids+=($!)
  tail --pid="$qemu_pid" -s 0.2 -n +1 -f "$run/stderr" >&2 & tail_pids+=($!)
  while kill -0 "$qemu_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  timed_out=0
  if kill -0 "$qemu_pid" 2>/dev/null; then
    timed_out=1
    kill -9 "$qemu_pid" 2>/dev/null || true
  fi
  qemu_rc=0
  { wait "$qemu_pid"; } 2> /dev/null || qemu_rc=$? # no job-control "Killed" line on timeout
  qemu_pid=""
  wait "${tail_pids[@]}" 2>/dev/null || true
  tail_pids=()
}

start=$EPOCHREALTIME
deadline=$((SECONDS + timeout_s))
for attempt in 1 2 3; do
  boot_once
  # Retry only a VM that died before the command started (a boot failure): nothing ran twice.
  if ((timed_out)) || [[ -s $run/rc || -e $run/ready || $attempt -eq 3 ]]; then break; fi
  echo "run.sh: the VM failed to boot (attempt $attempt), retrying; qemu and console tail:" >&2
  tail -n 5 "$run/qemu.log" "$run/console.log" >&2 || true
done
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')

if ((timed_out)); then
  echo "run.sh: timed out after $timeout_s s; last console lines:" >&2
  tail -n 20 "$run/console.log" >&2 || true
  exit 124
fi
if [[ ! -s $run/rc ]]; then
  echo "run.sh: the VM stopped without an exit code (qemu exit $qemu_rc); qemu and console output:" >&2
  tail -n 20 "$run/qemu.log" "$run/console.log" >&2 || true
  exit 125
fi
rc=$(cat "$run/rc")
# A kernel warning or oops during the run is worth seeing even when the command passed.
splat='WARNING:|BUG:|Oops|general protection fault|Call Trace:|UBSAN|KASAN'
if grep -qE "$splat" "$run/dmesg" 2>/dev/null; then
  echo "run.sh: the guest kernel logged warnings during the run:" >&2
  grep -E -A12 "$splat" "$run/dmesg" | head -n 60 >&2
fi
echo "run.sh: VM (kernel $kver) ready in $(cat "$run/ready" 2>/dev/null || echo '?') s of guest time; whole run ${elapsed} s; exit $rc" >&2
exit "$rc"
