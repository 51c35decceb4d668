#!/usr/bin/env bash
# Builds the test bed's node image from Debian packages (no registry) and prints its name.
# The tag is this file's hash, so the image is rebuilt exactly when its recipe changes.
# Expects CONTAINERS_CONF to point at the bed's containers.conf (runc); see containers.sh.
set -euo pipefail

CACHE=${TWONODE_BED_CACHE:-/var/cache/twonode-bed}
IMAGE_REPO=localhost/twonode-node

# Packages baked into the image; the cluster role still asserts them with apt.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,iproute2,iputils-ping,procps,ca-certificates,curl
CLUSTER_PACKAGES=(corosync pacemaker pacemaker-cli-utils resource-agents fence-agents)

log() { printf '[bed] %s\n' "$*" >&2; }

debian_mirror() {
  # Use the mirror this machine's apt is configured with; debootstrap's default otherwise.
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | awk '{print $2}' | head -n1 || true)
  echo "${uri:-}"
}

image_tag() {
  # Any change to this script (package lists, build steps) makes a new image.
  sha256sum "${BASH_SOURCE[0]}" | cut -c1-12
}

build_image() {
  local tag image root mirror
  tag=$(image_tag)
  image=$IMAGE_REPO:$tag
  if podman image exists "$image"; then
    log "node image $image is cached"
    echo "$image"
    return
  fi
  log "building node image $image (debootstrap + cluster packages, a few minutes)"
  mkdir -p "$CACHE"
  root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  mirror=$(debian_mirror)
  # shellcheck disable=SC2064
  trap "umount -R '$root/proc' '$root/sys' '$root/dev' 2>/dev/null || true; rm -rf '$root'" RETURN
  debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$root" ${mirror:+"$mirror"} >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 30 "$CACHE/debootstrap.log" >&2; return 1; }
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${CLUSTER_PACKAGES[@]}" >"$CACHE/apt.log" 2>&1 || { tail -n 30 "$CACHE/apt.log" >&2; return 1; }
  chroot "$root" apt-get clean
  umount -R "$root/proc" "$root/sys" "$root/dev"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf" "$root/etc/hostname"
  # A fresh node has no cluster key of its own making: the cluster role creates one per cluster.
  rm -f "$root/etc/corosync/authkey"
  : >"$root/etc/machine-id"
  tar -C "$root" -c . | podman import --change 'CMD ["/sbin/init"]' - "$image" >/dev/null
  log "node image $image built"
  echo "$image"
}

build_image
