#!/usr/bin/env bash
# Builds the VM bed's Debian 12 guest (kernel with DRBD 8.4, drbd-utils, the cluster stack, SBD)
# from Debian packages, as a raw ext4 root image plus the kernel and initrd to boot it directly.
# Prints the directory holding vmlinuz, initrd.img and root.raw. The directory name is this
# file's hash, so the image is rebuilt exactly when its recipe changes.
set -euo pipefail

CACHE=${TWONODE_BED_CACHE:-/var/cache/twonode-bed}
ROOT_SIZE=2G

# Debootstrap cannot resolve virtual packages; the rest comes with apt in the chroot.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,iproute2,procps,ca-certificates,kmod,udev
GUEST_PACKAGES=(linux-image-amd64 initramfs-tools drbd-utils e2fsprogs corosync pacemaker pacemaker-cli-utils
                resource-agents fence-agents sbd curl)

log() { printf '[vm-image] %s\n' "$*" >&2; }

debian_mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | awk '{print $2}' | head -n1 || true)
  echo "${uri:-}"
}

out=$CACHE/vm-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
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
mirror=$(debian_mirror)
debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$root" ${mirror:+"$mirror"} \
  >"$CACHE/vm-debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/vm-debootstrap.log" >&2; exit 1; }
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${GUEST_PACKAGES[@]}" >"$CACHE/vm-apt.log" 2>&1 || { tail -n 30 "$CACHE/vm-apt.log" >&2; exit 1; }
chroot "$root" apt-get clean
umount -R "$root/proc" "$root/sys" "$root/dev"
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf" "$root/etc/hostname" "$root/etc/corosync/authkey"
: >"$root/etc/machine-id"

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
