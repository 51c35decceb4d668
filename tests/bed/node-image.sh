#!/usr/bin/env bash
# Builds the test bed's node image from Debian packages (no registry) and prints its name.
# The tag is the hash of this recipe and debian-rootfs.sh: rebuilt exactly when they change.
# Expects CONTAINERS_CONF to point at the bed's containers.conf (runc); see containers.sh.
set -euo pipefail

CACHE=${TWONODE_BED_CACHE:-/var/cache/twonode-bed}
IMAGE_REPO=localhost/twonode-node

log() { printf '[bed] %s\n' "$*" >&2; }

# shellcheck source=tests/bed/debian-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"

# Packages baked into the image; the cluster role still asserts them with apt.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,iproute2,iputils-ping,procps,ca-certificates,curl
mapfile -t FENCE_PACKAGES < <(fence_agent_packages docker)
CLUSTER_PACKAGES=(corosync pacemaker pacemaker-cli-utils resource-agents "${FENCE_PACKAGES[@]}")

build_image() {
  local image root
  image=$IMAGE_REPO:$(recipe_hash "${BASH_SOURCE[0]}")
  if podman image exists "$image"; then
    log "node image $image is cached"
    echo "$image"
    return
  fi
  log "building node image $image (debootstrap + cluster packages, a few minutes)"
  mkdir -p "$CACHE"
  root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  # shellcheck disable=SC2064
  trap "umount -R '$root/proc' '$root/sys' '$root/dev' 2>/dev/null || true; rm -rf '$root'" RETURN
  debian_rootfs "$root" "$CACHE/node" "$BASE_PACKAGES" "${CLUSTER_PACKAGES[@]}"
  tar -C "$root" -c . | podman import --change 'CMD ["/sbin/init"]' - "$image" >/dev/null
  log "node image $image built"
  echo "$image"
}

build_image
