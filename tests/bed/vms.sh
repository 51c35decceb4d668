#!/usr/bin/env bash
# The VM test bed: two Debian guests under qemu (software emulation), for DRBD and the full stack.
#
#   vms.sh up       build the guest image if needed, boot both VMs, wait for SSH (idempotent)
#   vms.sh down     power off both VMs and remove their disks and state
#   vms.sh status   what is running
#   vms.sh kill N   pull the plug on VM N (SIGKILL of its qemu); `up` boots it again
#   vms.sh rebuild N  pull the plug on VM N and destroy its disks: `up` boots a new server from the image
#                   (packages installed, no cluster configuration, blank data disks), as replace.yml expects
#   vms.sh fail-disk N  VM N's data disk fails: qemu drops the drive under it, so every read and write of it
#                   returns an I/O error (the guest still sees the device, as with a dead disk)
#   vms.sh add-disk N   hot-plug a blank data disk of the same size into the running VM N (the guest's next
#                   free virtio disk, /dev/vde after vda-vdd); it replaces the failed one until the VM is rebuilt
#
# Each VM: a user-mode NIC for SSH from the host only (127.0.0.1:222N) and the way to an arbitrator
# (10.0.2.100:5403, forwarded to the container bed's, see ARBITER_ADDR), a point-to-point link for
# the service network and one for the replication network (UDP sockets on 127.0.0.1, which
# survive either VM being killed and restarted), a data disk for DRBD, a spare disk, one small
# disk shared by both VMs for SBD, and qemu's i6300esb watchdog. Nothing listens off the loopback.
# TWONODE_DEBIAN=trixie (Debian 13, the default) or bookworm (Debian 12) picks the guests' release.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${TWONODE_VM_STATE:-/var/lib/twonode-bed/vms}
NODES=(vm1 vm2)
DATA_SIZE=${TWONODE_VM_DATA_SIZE:-512M}
MEMORY=1024
# The arbitrator, when a test uses one, is the container bed's (tests/bed/containers.sh up arbiter): each
# guest reaches its corosync-qnetd at 10.0.2.100:5403 on its host NIC, which qemu hands to socat on
# this machine, one socat per connection. restrict=on leaves forwards that are set explicitly working.
ARBITER_GUEST_ADDR=10.0.2.100
ARBITER_ADDR=10.213.10.13
ARBITER_PORT=5403

log() { printf '[vms] %s\n' "$*" >&2; }

index_of() {
  local i
  for i in "${!NODES[@]}"; do
    if [ "${NODES[$i]}" = "$1" ]; then echo $((i + 1)); return 0; fi
  done
  return 1
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_vm() {
  local node=$1 image=$2 n peer key
  n=$(index_of "$node")
  peer=$((3 - n))
  if pid_alive "$STATE/$node.pid"; then return; fi
  [ -f "$STATE/$node.qcow2" ] || qemu-img create -q -f qcow2 -F raw -b "$image/root.raw" "$STATE/$node.qcow2"
  [ -f "$STATE/$node-data.raw" ] || truncate -s "$DATA_SIZE" "$STATE/$node-data.raw"
  [ -f "$STATE/$node-spare.raw" ] || truncate -s 64M "$STATE/$node-spare.raw"
  key=$(base64 -w0 <"$STATE/ssh/id_ed25519.pub")
  # PCI slots fixed: NICs 3-5 (ens3 host, ens4 service, ens5 replication), disks 6-9 (vda root,
  # vdb DRBD data, vdc SBD, vdd a spare disk for the tests that put data where DRBD must not go). Ports: service link 127.0.0.1:2400N, replication link 127.0.0.1:2410N, SSH 127.0.0.1:222N.
  qemu-system-x86_64 -name "twonode-$node" -accel tcg,tb-size=256 -cpu qemu64 -smp 1 -m "$MEMORY" \
    -display none -serial "file:$STATE/$node.console" -monitor "unix:$STATE/$node.monitor,server,nowait" \
    -pidfile "$STATE/$node.pid" -daemonize \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 systemd.hostname=$node twonode.sshkey=$key twonode.net=10.213.30.1$n/24,10.213.40.1$n/24" \
    -drive "file=$STATE/$node.qcow2,if=none,id=root,format=qcow2" -device "virtio-blk-pci,drive=root,addr=0x6" \
    -drive "file=$STATE/$node-data.raw,if=none,id=data,format=raw,cache=none" \
    -device "virtio-blk-pci,drive=data,addr=0x7" \
    -drive "file=$STATE/sbd.raw,if=none,id=sbd,format=raw,cache=none,file.locking=off" \
    -device "virtio-blk-pci,drive=sbd,addr=0x8,share-rw=on" \
    -drive "file=$STATE/$node-spare.raw,if=none,id=spare,format=raw,cache=none" \
    -device "virtio-blk-pci,drive=spare,addr=0x9" \
    -netdev "user,id=host,restrict=on,hostfwd=tcp:127.0.0.1:222$n-:22,guestfwd=tcp:$ARBITER_GUEST_ADDR:$ARBITER_PORT-cmd:socat STDIO TCP:$ARBITER_ADDR:$ARBITER_PORT" \
    -device "virtio-net-pci,netdev=host,addr=0x3" \
    -netdev "socket,id=svc,udp=127.0.0.1:2400$peer,localaddr=127.0.0.1:2400$n" \
    -device "virtio-net-pci,netdev=svc,addr=0x4,mac=52:54:00:30:00:1$n" \
    -netdev "socket,id=repl,udp=127.0.0.1:2410$peer,localaddr=127.0.0.1:2410$n" \
    -device "virtio-net-pci,netdev=repl,addr=0x5,mac=52:54:00:40:00:1$n" \
    -device i6300esb -action watchdog=reset
}

wait_for_ssh() {
  local node=$1 n deadline
  n=$(index_of "$node")
  deadline=$((SECONDS + 240))
  until ssh -q -p "222$n" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=5 -i "$STATE/ssh/id_ed25519" root@127.0.0.1 true 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "$node: no SSH after 240 s; console:"
      tail -n 30 "$STATE/$node.console" >&2 || true
      return 1
    fi
    sleep 2
  done
}

cmd_up() {
  local image node start=$SECONDS
  image=$("$HERE/vm-image.sh")
  mkdir -p "$STATE/ssh" && chmod 0700 "$STATE/ssh"
  # VMs that run keep their release (their disks are overlays of one image): switching needs `down`.
  if [ -f "$STATE/image" ] && [ "$(cat "$STATE/image")" != "$image" ]; then
    log "the VMs were made from $(cat "$STATE/image"); run '$0 down' before starting them from $image"
    return 1
  fi
  echo "$image" >"$STATE/image"
  [ -s "$STATE/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C twonode-vm-bed -f "$STATE/ssh/id_ed25519"
  [ -f "$STATE/sbd.raw" ] || truncate -s 16M "$STATE/sbd.raw"
  for node in "${NODES[@]}"; do start_vm "$node" "$image"; done
  for node in "${NODES[@]}"; do wait_for_ssh "$node"; done
  log "VMs up in $((SECONDS - start)) s (${image##*/}): ${NODES[*]}; SSH on 127.0.0.1:2221/2222; service 10.213.30.0/24, replication 10.213.40.0/24"
}

cmd_down() {
  local node
  for node in "${NODES[@]}"; do
    if pid_alive "$STATE/$node.pid"; then kill "$(cat "$STATE/$node.pid")" 2>/dev/null || true; fi
  done
  sleep 1
  rm -rf "$STATE"
  log "VMs are down"
}

cmd_status() {
  local node
  for node in "${NODES[@]}"; do
    if pid_alive "$STATE/$node.pid"; then echo "$node running (pid $(cat "$STATE/$node.pid"))"; else echo "$node stopped"; fi
  done
}

cmd_kill() {
  local node=${1:-}
  index_of "$node" >/dev/null || { echo "usage: $0 kill ${NODES[*]// /|}" >&2; exit 2; }
  pid_alive "$STATE/$node.pid" || { log "$node is not running"; return 1; }
  kill -KILL "$(cat "$STATE/$node.pid")"
  log "$node: power cut"
}

cmd_rebuild() {
  local node=${1:-}
  index_of "$node" >/dev/null || { echo "usage: $0 rebuild ${NODES[*]// /|}" >&2; exit 2; }
  if pid_alive "$STATE/$node.pid"; then kill -KILL "$(cat "$STATE/$node.pid")"; fi
  sleep 1
  rm -f "$STATE/$node.qcow2" "$STATE/$node-data.raw" "$STATE/$node-data2.raw" "$STATE/$node-spare.raw" "$STATE/$node.pid"
  log "$node: power cut, its disks destroyed; 'up' boots a new $node from the image with blank disks"
}

monitor() {
  # qemu's human monitor on the VM's socket: one command, its answer.
  printf '%s\n' "$2" | socat - "UNIX-CONNECT:$STATE/$1.monitor" | tr -d '\r' | grep -v '^(qemu)\|^QEMU' || true
}

cmd_fail_disk() {
  local node=${1:-}
  index_of "$node" >/dev/null || { echo "usage: $0 fail-disk ${NODES[*]// /|}" >&2; exit 2; }
  pid_alive "$STATE/$node.pid" || { log "$node is not running"; return 1; }
  monitor "$node" "drive_del data"
  log "$node: its data disk fails (every I/O on it returns an error)"
}

cmd_add_disk() {
  local node=${1:-}
  index_of "$node" >/dev/null || { echo "usage: $0 add-disk ${NODES[*]// /|}" >&2; exit 2; }
  pid_alive "$STATE/$node.pid" || { log "$node is not running"; return 1; }
  rm -f "$STATE/$node-data2.raw"
  truncate -s "$DATA_SIZE" "$STATE/$node-data2.raw"
  monitor "$node" "drive_add 0 if=none,id=data2,file=$STATE/$node-data2.raw,format=raw,cache=none"
  monitor "$node" "device_add virtio-blk-pci,drive=data2,id=data2,addr=0xa"
  log "$node: a blank $DATA_SIZE disk plugged in (the next free virtio disk in the guest)"
}

case "${1:-}" in
  up) cmd_up ;;
  fail-disk) cmd_fail_disk "${2:-}" ;;
  add-disk) cmd_add_disk "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  rebuild) cmd_rebuild "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status|kill NODE|rebuild NODE|fail-disk NODE|add-disk NODE" >&2; exit 2 ;;
esac
