#!/usr/bin/env bash
# Builds the VM bed's Debian guest (TWONODE_DEBIAN: trixie = 13 with kernel 6.12, the default, or
# bookworm = 12 with kernel 6.1; both kernels carry DRBD 8.4 in tree; drbd-utils, the cluster stack,
# SBD) from Debian packages, as a raw ext4 root image plus the kernel and initrd to boot it directly.
# Prints the directory holding vmlinuz, initrd.img and root.raw. The directory name is this
# recipe's hash (with debian-rootfs.sh), so the image is rebuilt exactly when the recipe changes.
set -euo pipefail

CACHE=${TWONODE_BED_CACHE:-/var/cache/twonode-bed}
ROOT_SIZE=2G

log() { printf '[vm-image] %s\n' "$*" >&2; }

# shellcheck source=tests/bed/debian-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"

# Debootstrap cannot resolve virtual packages; the rest comes with apt in the chroot.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,iproute2,procps,ca-certificates,kmod,udev
mapfile -t FENCE_PACKAGES < <(fence_agent_packages sbd)
# The guests have no way out (their NIC is restrict=on): everything a role installs must be here, the
# arbitrator's client (corosync-qdevice) too.
GUEST_PACKAGES=(linux-image-amd64 initramfs-tools drbd-utils e2fsprogs corosync corosync-qdevice pacemaker
                pacemaker-cli-utils resource-agents "${FENCE_PACKAGES[@]}" sbd psmisc curl nginx postfix)

out=$CACHE/vm-$(recipe_hash "${BASH_SOURCE[0]}")
if [ -s "$out/root.raw" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  log "guest image $out is cached"
  echo "$out"
  exit 0
fi
mkdir -p "$CACHE"
root=$(mktemp -d "$CACHE/vmroot.XXXXXX")
cleanup() { umount -R "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
log "building the guest image (debootstrap, kernel, cluster stack; a few minutes)"
debian_rootfs "$root" "$CACHE/vm-$TWONODE_DEBIAN" "$BASE_PACKAGES" "${GUEST_PACKAGES[@]}"
# DRBD comes with the kernel (drivers/block/drbd); a kernel without it cannot serve the bed.
drbd_ko=$(find "$root/lib/modules" -name 'drbd.ko*' | head -n1)
[ -n "$drbd_ko" ] || { log "the guest kernel has no drbd module"; exit 1; }
kernel_version=${drbd_ko#"$root/lib/modules/"}
log "guest kernel ${kernel_version%%/*} with ${drbd_ko##*/}"

# Per-VM settings come on the kernel command line (one image for both VMs):
#   systemd.hostname=NAME  twonode.sshkey=BASE64(public key)  twonode.net=SVC_CIDR,REPL_CIDR
cat >"$root/usr/local/sbin/twonode-firstboot" <<'EOF'
#!/bin/sh
# Applies the VM bed's per-VM settings from the kernel command line.
set -e
for word in $(cat /proc/cmdline); do
  case "$word" in
    twonode.sshkey=*) mkdir -p /root/.ssh; chmod 0700 /root/.ssh
                      echo "${word#twonode.sshkey=}" | base64 -d >/root/.ssh/authorized_keys
                      chmod 0600 /root/.ssh/authorized_keys ;;
    twonode.net=*) nets=${word#twonode.net=}
                   mkdir -p /etc/systemd/network
                   printf '[Match]\nName=ens4\n[Network]\nAddress=%s\n' "${nets%%,*}" >/etc/systemd/network/20-service.network
                   printf '[Match]\nName=ens5\n[Network]\nAddress=%s\n' "${nets#*,}" >/etc/systemd/network/30-replication.network ;;
  esac
done
EOF
chmod 0755 "$root/usr/local/sbin/twonode-firstboot"
cat >"$root/etc/systemd/system/twonode-firstboot.service" <<'EOF'
[Unit]
Description=Per-VM settings of the twonode.ha VM bed
DefaultDependencies=no
Before=systemd-networkd.service ssh.service
After=local-fs.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/twonode-firstboot
[Install]
WantedBy=multi-user.target
EOF
# The VMs have no way out (nothing leaves this machine): the services the groups run come
# preinstalled, stopped at boot like on a server where they were installed for a cluster.
chroot "$root" systemctl disable nginx.service postfix.service drbd.service >/dev/null 2>&1 || true
# The user-mode NIC (SSH from the host) takes DHCP from qemu.
printf '[Match]\nName=ens3\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/10-host.network"
chroot "$root" systemctl enable twonode-firstboot.service systemd-networkd.service >/dev/null 2>&1
# Boot straight from the image: root on the virtio disk, console on the serial port.
echo "/dev/vda / ext4 defaults 0 1" >"$root/etc/fstab"

mkdir -p "$out.tmp"
cp "$root"/boot/vmlinuz-* "$out.tmp/vmlinuz"
cp "$root"/boot/initrd.img-* "$out.tmp/initrd.img"
rm -f "$out.tmp/root.raw"
truncate -s "$ROOT_SIZE" "$out.tmp/root.raw"
mkfs.ext4 -q -F -L twonode-root -d "$root" "$out.tmp/root.raw"
rm -rf "$out" && mv "$out.tmp" "$out"
log "guest image $out built"
echo "$out"
