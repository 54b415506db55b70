#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian 12 packages. Run as root.
# Idempotent: packages already present are left as they are.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libexpected-dev libcli11-dev libfmt-dev libssl-dev libyaml-dev
  clang libclang-rt-14-dev
  # integration tests and independent cross-checks (never used by the product)
  iproute2 nftables conntrack kmod procps python3 python3-yaml openssl curl
  # the metrics endpoint: promtool checks its output, a real Prometheus scrapes it
  prometheus
  # Go LVScare's link-mode objects, made by the takeover test exactly as LVScare makes them
  iptables ipset
  # Kubernetes' own YAML code, the reference the static pod manifests are checked against
  golang-go golang-k8s-sigs-yaml-dev
  # the release image (scripts/image.sh) and the static pod under a real pod runtime (tests/release)
  podman buildah runc
  # real-kernel IPVS tests: Debian's kernel in a software-emulated VM
  qemu-system-x86 busybox-static ipvsadm cpio xz-utils
  # benchmark anchors
  haproxy keepalived jq
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
