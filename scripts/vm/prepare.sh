#!/usr/bin/env bash
# Prepares what the IPVS test VM boots: Debian's own kernel (package linux-image-amd64, ip_vs as
# modules) unpacked into <cache-dir> -- never installed into this host's /boot -- and a small
# initramfs (busybox, the 9p/virtio modules needed to mount the host's root, scripts/vm/init).
# Usage: scripts/vm/prepare.sh <cache-dir>
# Idempotent: the kernel is downloaded once per cache dir; the initramfs is rebuilt only when this
# script or the init script changed. Set LVSCARE_VM_KERNEL_DEB=<file.deb> to use a local package.
set -euo pipefail
shopt -s nullglob

die() { echo "prepare.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: prepare.sh <cache-dir>"
if [[ $(id -u) -ne 0 ]]; then
  echo "needs root: the IPVS VM tests run qemu as root with the host's root shared read-only" >&2
  exit 77
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
cache=$(cd "$1" && pwd)
# One preparer at a time per cache (parallel ctest runs, several shells).
exec 9> "$cache/.lock"
flock 9
for tool in qemu-system-x86_64 busybox cpio depmod modprobe dpkg-deb apt-get xz flock; do
  command -v "$tool" >/dev/null || die "missing $tool: run scripts/install-deps.sh"
done

# Modules inside the initramfs: just enough to mount the host's root over virtio 9p and to overlay
# its /lib. Everything else (ip_vs, nf_*, veth, ...) is loaded later from the unpacked kernel tree,
# which the guest sees through that 9p mount at the normal /lib/modules/$(uname -r) path.
boot_modules=(virtio_pci 9pnet_virtio 9p overlay)

# 1. Debian's kernel, unpacked (not installed).
if [[ ! -f $cache/kernel/ready ]]; then
  rm -rf "$cache/kernel" "$cache/kernel.tmp" "$cache/download"
  mkdir -p "$cache/download"
  deb=${LVSCARE_VM_KERNEL_DEB:-}
  if [[ -z $deb ]]; then
    pkg_of_meta() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
    pkg=$(pkg_of_meta)
    if [[ -z $pkg ]]; then
      apt-get update -qq
      pkg=$(pkg_of_meta)
    fi
    [[ -n $pkg ]] || die "cannot resolve the kernel package behind linux-image-amd64 (apt sources?)"
    echo "prepare.sh: downloading $pkg" >&2
    # apt-get download writes into the current directory; _apt cannot read a root-only dir: harmless.
    (cd "$cache/download" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed as root' >&2 || true)
    debs=("$cache"/download/"$pkg"_*.deb)
    deb=${debs[0]:-}
    [[ -n $deb ]] || die "apt-get download $pkg produced no .deb"
  fi
  echo "prepare.sh: unpacking $(basename "$deb")" >&2
  mkdir -p "$cache/kernel.tmp"
  dpkg-deb -x "$deb" "$cache/kernel.tmp"
  kver=$(ls "$cache/kernel.tmp/lib/modules" | head -n1)
  [[ -n $kver && -f $cache/kernel.tmp/boot/vmlinuz-$kver ]] || die "no kernel image in $deb"
  depmod -b "$cache/kernel.tmp" "$kver"
  echo "$kver" > "$cache/kernel.tmp/version"
  rm -rf "$cache/download"
  mv "$cache/kernel.tmp" "$cache/kernel"
  touch "$cache/kernel/ready"
fi
kver=$(cat "$cache/kernel/version")

# Under software emulation the kernel's own xz decompression costs ~3 s per boot: keep the
# uncompressed ELF too, which qemu boots directly through the PVH entry point (CONFIG_PVH=y).
if [[ ! -f $cache/kernel/vmlinux && ! -f $cache/kernel/no-pvh ]]; then
  vmlinuz=$cache/kernel/boot/vmlinuz-$kver
  xz_at=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1 || true)
  if [[ -n $xz_at ]] && grep -q '^CONFIG_PVH=y' "$cache/kernel/boot/config-$kver" &&
     xz -dcq --single-stream < <(tail -c +$((xz_at + 1)) "$vmlinuz") > "$cache/kernel/vmlinux.tmp"; then
    mv "$cache/kernel/vmlinux.tmp" "$cache/kernel/vmlinux"
  else
    rm -f "$cache/kernel/vmlinux.tmp"
    touch "$cache/kernel/no-pvh"
    echo "prepare.sh: no uncompressed kernel for PVH boot: booting the compressed one (~3 s slower)" >&2
  fi
fi

# 2. The initramfs, rebuilt when its inputs change.
stamp="$kver $(cat "$here/prepare.sh" "$here/init" | sha256sum | cut -d' ' -f1)"
if [[ ! -f $cache/initramfs.cpio || $(cat "$cache/initramfs.stamp" 2>/dev/null) != "$stamp" ]]; then
  root=$cache/initramfs.tmp
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,modules,mnt/host,mnt/out,mnt/share}
  cp "$(command -v busybox)" "$root/bin/busybox"
  if ldd "$root/bin/busybox" >/dev/null 2>&1; then die "busybox is not static: install busybox-static"; fi
  install -m 0755 "$here/init" "$root/init"
  # Dependency order from the kernel tree's own modules.dep.
  : > "$root/modules/order"
  for m in "${boot_modules[@]}"; do
    modprobe -d "$cache/kernel" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$root/modules/"
    basename "$ko" >> "$root/modules/order"
  done
  echo "$kver" > "$root/kver"
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$cache/initramfs.cpio.tmp"
  mv "$cache/initramfs.cpio.tmp" "$cache/initramfs.cpio"
  rm -rf "$root"
  echo "$stamp" > "$cache/initramfs.stamp"
  echo "prepare.sh: initramfs ready for kernel $kver" >&2
fi
