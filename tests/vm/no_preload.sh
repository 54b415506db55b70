#!/usr/bin/env bash
# Run with run.sh --no-preload --no-autoload: proves that those modes are real, so that a test of the
# product's own module loading cannot pass because the harness (or the kernel) loaded ip_vs for it.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
loaded() { grep -q "^$1 " /proc/modules; }

if [[ ${LVSCARE_VM_MODE:-} == host ]]; then
  echo "skipped: no-preload/no-autoload are VM modes; this host's own module state is left alone" >&2
  exit 77
fi
[[ ! -e /proc/net/ip_vs ]] || fail "/proc/net/ip_vs exists before anything loaded ip_vs"
for m in ip_vs nf_conntrack ip_vs_rr; do
  ! loaded "$m" || fail "$m is loaded although nothing was preloaded"
done

# The module tree is where the product looks for it.
moddir=/lib/modules/$(uname -r)
ipvs_ko=$(awk -F: '$1 ~ /\/ip_vs\.ko(\.[a-z]+)?$/ {print $1; exit}' "$moddir/modules.dep")
[[ -n $ipvs_ko && -f $moddir/$ipvs_ko ]] || fail "ip_vs.ko is not listed in $moddir/modules.dep or missing"

# No autoload: the IPVS generic-netlink family stays missing (the kernel would otherwise load ip_vs
# for this very lookup). Asked directly: ipvsadm runs modprobe by itself when the family is missing.
here=$(dirname "$0")
rc=0
"$here/genl_family.py" IPVS || rc=$?
[[ $rc -eq 1 ]] || fail "the IPVS genl family lookup gave $rc, want 1 (ENOENT) with autoloading off"
! loaded ip_vs || fail "ip_vs got loaded on demand although autoloading is off"

# Loading by hand (kmod, by path from modules.dep, with its dependencies) brings IPVS up.
modprobe ip_vs
[[ -e /proc/net/ip_vs ]] || fail "modprobe ip_vs did not create /proc/net/ip_vs"
"$here/genl_family.py" IPVS || fail "the IPVS genl family is missing after modprobe ip_vs"

# Kernel autoloading switched back on: the scheduler module is requested by the kernel itself.
echo /sbin/modprobe > /proc/sys/kernel/modprobe
ipvsadm -A -t 10.1.2.3:80 -s wlc
loaded ip_vs_wlc || fail "the kernel did not autoload ip_vs_wlc"
echo "ok: nothing preloaded, no autoload until asked; modprobe and kernel autoload both work"
