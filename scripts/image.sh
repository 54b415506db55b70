#!/usr/bin/env bash
# Builds the lvscare OCI image from the static release binaries, offline, with buildah:
#
#   scripts/image.sh [BUILD_DIR]      (default: build-static-release, the static-release preset's)
#
# The image is FROM scratch and holds only the two static binaries, at the paths Sealos' manifest
# and scripts use: /usr/bin/lvscare (the pod's command) and /usr/bin/sealctl. Labels carry the
# version, the commit and the build date (org.opencontainers.image.*); the tag is lvscare:<version>
# in root's (or the user's) container storage, and the same image is saved as an OCI archive,
# BUILD_DIR/lvscare-<version>.oci.tar, to load anywhere (`podman load -i`, `skopeo copy`).
# The image's timestamps are the build date, so the same sources give the same image.
# No registry is contacted (--pull=never; scratch has nothing to pull).
set -euo pipefail

build_dir=${1:-build-static-release}
lvscare=$build_dir/src/cli/lvscare
sealctl=$build_dir/src/cli/sealctl

die() { echo "image.sh: $*" >&2; exit 1; }
command -v buildah > /dev/null || die "needs buildah (scripts/install-deps.sh installs it)"
for bin in "$lvscare" "$sealctl"; do
  [[ -x $bin ]] || die "$bin: not built; first: cmake --preset static-release && cmake --build --preset static-release"
  # FROM scratch has no loader and no libraries: a dynamic binary would not start in it.
  if LC_ALL=C readelf -l "$bin" | grep -q 'INTERP'; then
    die "$bin is dynamically linked; build with the static-release preset (LVSCARE_STATIC=ON)"
  fi
done

# Version, commit and date as the binary reports them (cmake/Version.cmake).
json=$("$lvscare" version)
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<< "$json"; }
git_version=$(field gitVersion) commit=$(field gitCommit) build_date=$(field buildDate)
version=${git_version#v}
[[ -n $version && -n $commit && -n $build_date ]] || die "cannot read the version from: $json"
epoch=$(date -u -d "$build_date" +%s)
tag=lvscare:$version
archive=$build_dir/lvscare-$version.oci.tar

context=$(mktemp -d /tmp/lvscare-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
install -m 0755 "$lvscare" "$sealctl" "$context/"
cat > "$context/Containerfile" << 'EOF'
FROM scratch
COPY lvscare sealctl /usr/bin/
ENTRYPOINT ["/usr/bin/lvscare"]
CMD ["--help"]
EOF

buildah bud --quiet --pull=never --layers=false --format oci --timestamp "$epoch" \
  --label "org.opencontainers.image.title=lvscare" \
  --label "org.opencontainers.image.description=node-local apiserver VIP load balancer (IPVS or nftables), a drop-in for Sealos' LVScare" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$commit" \
  --label "org.opencontainers.image.created=$build_date" \
  --tag "$tag" --file "$context/Containerfile" "$context" > /dev/null

rm -f "$archive"
buildah push --quiet "$tag" "oci-archive:$archive:$tag" > /dev/null

size=$(buildah images --format '{{.Size}}' "$tag" | head -n 1)
echo "image $tag ($size), OCI archive $archive ($(du -h "$archive" | cut -f1))"
