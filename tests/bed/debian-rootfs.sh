#!/usr/bin/env bash
# Sourced by node-image.sh and vm-image.sh: a Debian root tree from Debian packages.
#   debian_rootfs DIR LOGPREFIX BASE_PACKAGES(comma list for debootstrap) PACKAGE...
# TWONODE_DEBIAN picks the release: trixie (Debian 13, the default) or bookworm (Debian 12).
# debootstrap cannot resolve virtual packages, so the rest is installed with apt in a chroot
# where no daemon may start (policy-rc.d). The tree has no hostname, machine id or corosync key:
# every node gets its own.

TWONODE_DEBIAN=${TWONODE_DEBIAN:-trixie}
case $TWONODE_DEBIAN in
  trixie|bookworm) ;;
  *) echo "TWONODE_DEBIAN must be trixie (Debian 13) or bookworm (Debian 12), not '$TWONODE_DEBIAN'" >&2; exit 2 ;;
esac

debian_mirror() {
  # The mirror this machine's apt is configured with; debootstrap's default otherwise.
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | awk '{print $2}' | head -n1 || true)
  echo "${uri:-}"
}

debian_rootfs() {
  local root=$1 logs=$2 base=$3 mirror
  shift 3
  mirror=$(debian_mirror)
  debootstrap --variant=minbase --include="$base" "$TWONODE_DEBIAN" "$root" ${mirror:+"$mirror"} >"$logs-debootstrap.log" 2>&1 \
    || { tail -n 30 "$logs-debootstrap.log" >&2; return 1; }
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
    >"$logs-apt.log" 2>&1 || { tail -n 30 "$logs-apt.log" >&2; umount -R "$root/proc" "$root/sys" "$root/dev"; return 1; }
  chroot "$root" apt-get clean
  umount -R "$root/proc" "$root/sys" "$root/dev"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf" "$root/etc/hostname" "$root/etc/corosync/authkey"
  : >"$root/etc/machine-id"
}

fence_agent_packages() {
  # Debian 13 splits fence-agents into one package per agent (the whole set pulls the cloud SDKs:
  # minutes of byte-compiling); Debian 12 has them in one package.
  local agent
  if [ "$TWONODE_DEBIAN" = bookworm ]; then echo fence-agents; return; fi
  for agent in "$@"; do echo "fence-agents-${agent//_/-}"; done
}

recipe_hash() {
  # The release, then the hash of an image recipe and this shared part: both releases are cached
  # side by side, and an image is rebuilt when either recipe changes.
  echo "$TWONODE_DEBIAN-$(cat "$1" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
}
