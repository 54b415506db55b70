#!/usr/bin/env bash
# The .deb (cpack --preset static-release) installed into a throwaway root with dpkg, then run
# there with nothing else in that root: it installs on a fresh Debian and needs nothing.
#
#   deb_install.sh <release build dir> <project version>
#
# Checked: the package's name, version (the project's) and the absence of dependencies (the
# binaries are static); dpkg installs exactly /usr/bin/lvscare and /usr/bin/sealctl; `lvscare
# version` and `sealctl --help` run inside that root (chroot). Exit 0 ok, 1 failed, 77 skipped.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <release build dir> <version>" >&2
  exit 2
fi
readonly RELEASE=$1 VERSION=$2

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "needs root (dpkg --root, chroot)"
for tool in dpkg dpkg-deb chroot; do command -v "$tool" > /dev/null || skip "needs $tool"; done
deb=$RELEASE/packages/lvscare_${VERSION}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || skip "no $deb: cmake --preset static-release && cmake --build --preset static-release && cpack --preset static-release"

root=$(mktemp -d /tmp/deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT

[[ $(dpkg-deb -f "$deb" Package) == lvscare ]] || fail "package name: $(dpkg-deb -f "$deb" Package)"
[[ $(dpkg-deb -f "$deb" Version) == "$VERSION" ]] || fail "package version $(dpkg-deb -f "$deb" Version), project $VERSION"
[[ -z $(dpkg-deb -f "$deb" Depends) ]] || fail "the static package depends on: $(dpkg-deb -f "$deb" Depends)"

# An empty dpkg database: the root holds nothing but what the package brings.
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/tmp"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg --root="$root" --log=/dev/null --force-script-chrootless -i "$deb" > "$root/tmp/dpkg.log" 2>&1 ||
  fail "dpkg -i: $(cat "$root/tmp/dpkg.log")"
[[ $(dpkg --root="$root" -s lvscare | sed -n 's/^Status: //p') == "install ok installed" ]] || fail "not installed"
files=$(dpkg --root="$root" -L lvscare | sort | tr '\n' ' ')
[[ $files == "/usr /usr/bin /usr/bin/lvscare /usr/bin/sealctl " ]] || fail "files installed: $files"
echo "dpkg --root $root -i $(basename "$deb"): $files"

json=$(chroot "$root" /usr/bin/lvscare version) || fail "lvscare version in the throwaway root"
[[ $json == *"\"gitVersion\":\"v$VERSION\""* ]] || fail "lvscare version in the root: $json"
chroot "$root" /usr/bin/sealctl --help > /dev/null || fail "sealctl --help in the throwaway root"
echo "chroot $root /usr/bin/lvscare version: $json"
echo PASS
