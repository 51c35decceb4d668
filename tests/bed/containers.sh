#!/usr/bin/env bash
# The container test bed: two systemd nodes on a service and a replication network, a third
# small container on the service network that serves as the pair's arbitrator (corosync-qnetd,
# used when the inventory names it), plus a fencing endpoint (podman's Docker-compatible API behind mutual TLS) that
# fence_docker inside the nodes uses to power-cycle its peer.
#
#   containers.sh up       build the node image if needed, start the bed (idempotent)
#   containers.sh down     stop and remove everything the bed started
#   containers.sh up arbiter / down arbiter   the arbitrator alone (the VM bed's, see vms.sh)
#   containers.sh status   what is running
#   containers.sh image    build (or reuse) the node image only
#   containers.sh kill N   pull the plug on node N (SIGKILL of its container; fencing starts it again)
#   containers.sh kill arbiter / start arbiter   the arbitrator's power cut, and its power back
#   containers.sh restart N   a clean reboot of node N (its systemd shuts down, the container starts again)
#
# TWONODE_DEBIAN=trixie (Debian 13, the default) or bookworm (Debian 12) picks the nodes' release.
# Facts behind the choices: ../shared/testbed-notes.md (runc, explicit ulimits, no registry).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${TWONODE_BED_STATE:-/var/lib/twonode-bed/containers}
PREFIX=twonode
NODES=(node1 node2)
ARBITER=arbiter                   # at .13 on the service network only; it needs no replication link
SVC_NET=$PREFIX-svc
REPL_NET=$PREFIX-repl
SVC_PREFIX=10.213.10
REPL_PREFIX=10.213.20
FENCE_ADDR=$SVC_PREFIX.1          # the service bridge's own address on the host
FENCE_PORT=2376
ALARM_PORT=8093                   # the alarm receiver (a webhook for the nodes' alert agent), same address

export CONTAINERS_CONF=$STATE/containers.conf

log() { printf '[bed] %s\n' "$*" >&2; }

node_index() {
  local i
  if [ "$1" = "$ARBITER" ]; then echo 13; return 0; fi
  for i in "${!NODES[@]}"; do
    if [ "${NODES[$i]}" = "$1" ]; then echo $((i + 11)); return 0; fi
  done
  return 1
}

write_containers_conf() {
  mkdir -p "$STATE"
  local nofile
  nofile=$(ulimit -Hn)
  # crun refuses hybrid cgroups here; podman's default ulimits exceed the host's hard limits.
  cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
}

ensure_network() {
  local name=$1 prefix=$2
  podman network exists "$name" || podman network create --subnet "$prefix.0/24" --gateway "$prefix.1" "$name" >/dev/null
}

make_certificates() {
  # A CA per bed; the server certificate names the bridge address; one client certificate
  # that the nodes present. Nothing here is valid anywhere but on this bed.
  local d=$STATE/tls
  [ -s "$d/client.key" ] && return
  mkdir -p "$d" && chmod 0700 "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=twonode bed CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$FENCE_ADDR" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\n' "$FENCE_ADDR" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=twonode fence client" -keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
    -out "$d/client.pem" 2>/dev/null
  chmod 0600 "$d"/*.key
}

make_ssh_key() {
  mkdir -p "$STATE/ssh" && chmod 0700 "$STATE/ssh"
  [ -s "$STATE/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C twonode-bed -f "$STATE/ssh/id_ed25519"
}

start_node() {
  local node=$1 image=$2 idx networks
  idx=$(node_index "$node")
  if podman container exists "$PREFIX-$node"; then
    podman start "$PREFIX-$node" >/dev/null
    return
  fi
  networks=(--network "$SVC_NET:ip=$SVC_PREFIX.$idx")
  [ "$node" = "$ARBITER" ] || networks+=(--network "$REPL_NET:ip=$REPL_PREFIX.$idx")
  # /proc/sys is read-only inside: the sysctl the resources role sets on servers is set here.
  # /dev/shm: podman's 64 MiB is full once corosync-qdevice joins (each libqb IPC connection maps about
  # 3 MiB there) and corosync's tools then fail with ENOSPC; servers have half their memory.
  podman run -d --name "$PREFIX-$node" --hostname "$node" "${networks[@]}" --shm-size 256m \
    --cap-add NET_ADMIN --cap-add SYS_ADMIN --systemd=always \
    --sysctl net.ipv4.ip_nonlocal_bind=1 --sysctl net.ipv6.ip_nonlocal_bind=1 \
    -v "$STATE/ssh/id_ed25519.pub:/root/.ssh/authorized_keys:ro" \
    "$image" /sbin/init >/dev/null
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_fence_endpoint() {
  # podman's API on a private unix socket, reachable only through mutual TLS on the bridge address.
  if ! pid_alive "$STATE/podman-api.pid"; then
    rm -f "$STATE/podman.sock"
    setsid podman system service --time=0 "unix://$STATE/podman.sock" >"$STATE/podman-api.log" 2>&1 &
    echo $! >"$STATE/podman-api.pid"
  fi
  if ! pid_alive "$STATE/fence-tls.pid"; then
    local d=$STATE/tls
    setsid socat "OPENSSL-LISTEN:$FENCE_PORT,bind=$FENCE_ADDR,reuseaddr,fork,cert=$d/server.pem,key=$d/server.key,cafile=$d/ca.pem,verify=1" \
      "UNIX-CONNECT:$STATE/podman.sock" >"$STATE/fence-tls.log" 2>&1 &
    echo $! >"$STATE/fence-tls.pid"
  fi
}

start_alarm_receiver() {
  # A random token per bed: the nodes' webhook secret, which tests look for where it must not show.
  [ -s "$STATE/alarm.token" ] || (umask 077; openssl rand -hex 16 >"$STATE/alarm.token")
  if ! pid_alive "$STATE/alarm-receiver.pid"; then
    setsid python3 "$HERE/alarm_receiver.py" --bind "$FENCE_ADDR" --port "$ALARM_PORT" \
      --token-file "$STATE/alarm.token" --log "$STATE/alarms.jsonl" >"$STATE/alarm-receiver.log" 2>&1 &
    echo $! >"$STATE/alarm-receiver.pid"
  fi
}

bed_ssh() {
  local node=$1 idx
  idx=$(node_index "$node")
  shift
  ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 \
    -i "$STATE/ssh/id_ed25519" "root@$SVC_PREFIX.$idx" "$@"
}

wait_for_ssh() {
  local node=$1 deadline
  deadline=$((SECONDS + 120))
  until bed_ssh "$node" true 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { log "$node: no SSH after 120 s"; podman logs --tail 30 "$PREFIX-$node" >&2 || true; return 1; }
    sleep 1
  done
}

same_release() {
  # A bed that is up keeps its release: switching needs `down` first (the nodes hold a cluster).
  local want=${TWONODE_DEBIAN:-trixie} have
  have=$(cat "$STATE/release" 2>/dev/null || true)
  if [ -n "$have" ] && [ "$have" != "$want" ] && podman container exists "$PREFIX-${NODES[0]}"; then
    log "the bed runs Debian $have; run '$0 down' before starting it with TWONODE_DEBIAN=$want"
    return 1
  fi
  echo "$want" >"$STATE/release"
}

cmd_up() {
  local image node
  write_containers_conf
  same_release
  image=$("$HERE/node-image.sh")
  make_ssh_key
  make_certificates
  ensure_network "$SVC_NET" "$SVC_PREFIX"
  ensure_network "$REPL_NET" "$REPL_PREFIX"
  for node in "${NODES[@]}" "$ARBITER"; do start_node "$node" "$image"; done
  # The bridge (and so the fencing address) exists once a container is attached to it.
  start_fence_endpoint
  start_alarm_receiver
  for node in "${NODES[@]}" "$ARBITER"; do wait_for_ssh "$node"; done
  # The arbitrator shares the nodes' image: it runs no cluster stack of its own.
  bed_ssh "$ARBITER" systemctl disable --now --quiet corosync pacemaker
  log "bed is up ($(cat "$STATE/release")): ${NODES[*]} and the arbitrator $ARBITER ($SVC_PREFIX.13) on $SVC_PREFIX.0/24 (service) and $REPL_PREFIX.0/24 (replication); fencing at https://$FENCE_ADDR:$FENCE_PORT, alarms to http://$FENCE_ADDR:$ALARM_PORT ($STATE/alarms.jsonl)"
}

cmd_up_arbiter() {
  # The arbitrator alone, for the VM bed (its guests reach it through qemu, see vms.sh): no nodes, no
  # fencing endpoint, no alarm receiver. Its release follows TWONODE_DEBIAN like the nodes'.
  local image
  write_containers_conf
  same_release
  image=$("$HERE/node-image.sh")
  make_ssh_key
  ensure_network "$SVC_NET" "$SVC_PREFIX"
  start_node "$ARBITER" "$image"
  wait_for_ssh "$ARBITER"
  bed_ssh "$ARBITER" systemctl disable --now --quiet corosync pacemaker
  log "the arbitrator $ARBITER is up ($(cat "$STATE/release")) at $SVC_PREFIX.13"
}

cmd_down_arbiter() {
  # Only the arbitrator; the rest of the bed, if it runs, stays (the network goes with the last container).
  [ -f "$CONTAINERS_CONF" ] || write_containers_conf
  podman rm -f -t 5 "$PREFIX-$ARBITER" >/dev/null 2>&1 || true
  if [ -z "$(podman ps -aq --filter "name=^$PREFIX-")" ]; then
    podman network rm -f "$SVC_NET" "$REPL_NET" >/dev/null 2>&1 || true
  fi
  log "the arbitrator $ARBITER is down"
}

stop_pidfile() {
  local f=$1
  if pid_alive "$f"; then kill "$(cat "$f")" 2>/dev/null || true; fi
  rm -f "$f"
}

cmd_down() {
  local node
  [ -f "$CONTAINERS_CONF" ] || write_containers_conf
  stop_pidfile "$STATE/fence-tls.pid"
  stop_pidfile "$STATE/alarm-receiver.pid"
  stop_pidfile "$STATE/podman-api.pid"
  for node in "${NODES[@]}" "$ARBITER"; do podman rm -f -t 5 "$PREFIX-$node" >/dev/null 2>&1 || true; done
  podman network rm -f "$SVC_NET" "$REPL_NET" >/dev/null 2>&1 || true
  rm -rf "$STATE"
  log "bed is down"
}

cmd_status() {
  # Listing needs no runtime settings; after `down` there are none to read.
  [ -f "$CONTAINERS_CONF" ] || unset CONTAINERS_CONF
  podman ps -a --filter "name=^$PREFIX-" --format '{{.Names}} {{.Status}}' || true
  pid_alive "$STATE/fence-tls.pid" && echo "fence endpoint: https://$FENCE_ADDR:$FENCE_PORT" || echo "fence endpoint: stopped"
  pid_alive "$STATE/alarm-receiver.pid" && echo "alarm receiver: http://$FENCE_ADDR:$ALARM_PORT ($STATE/alarms.jsonl)" || echo "alarm receiver: stopped"
}

cmd_kill() {
  local node=${1:-}
  case " ${NODES[*]} $ARBITER " in *" $node "*) ;; *) echo "usage: $0 kill ${NODES[*]// /|}|$ARBITER" >&2; exit 2 ;; esac
  # A power cut says nothing to the network: the node's interfaces go down first, so its TCP peers (the
  # arbitrator's qnetd) get no FIN or RST from the dying kernel and must notice the silence, as with a server.
  local pid
  pid=$(podman inspect --format '{{.State.Pid}}' "$PREFIX-$node")
  # (ip lists the namespace's links; /sys/class/net would still be the host's.) The inner shell expands them.
  # shellcheck disable=SC2016
  nsenter --target "$pid" --net sh -c 'for dev in $(ip -o link show | cut -d: -f2 | cut -d@ -f1); do
    ip link set dev "$dev" down; done' || true
  podman kill --signal KILL "$PREFIX-$node" >/dev/null
  log "$node: power cut"
}

cmd_start() {
  # Power back for a container nothing fences (the arbitrator); returns once it answers SSH.
  local node=${1:-}
  [ "$node" = "$ARBITER" ] || { echo "usage: $0 start $ARBITER" >&2; exit 2; }
  podman start "$PREFIX-$node" >/dev/null
  wait_for_ssh "$node"
  log "$node: started"
}

cmd_restart() {
  # A container's kernel is the host's: a reboot is its systemd shutting down (podman's stop signal for a
  # systemd container is SIGRTMIN+3) and the container starting again. Returns once it runs again.
  local node=${1:-}
  case " ${NODES[*]} " in *" $node "*) ;; *) echo "usage: $0 restart ${NODES[*]// /|}" >&2; exit 2 ;; esac
  podman restart --time 120 "$PREFIX-$node" >/dev/null
  wait_for_ssh "$node"
  log "$node: restarted"
}

case "${1:-}" in
  up) if [ "${2:-}" = "$ARBITER" ]; then cmd_up_arbiter; else cmd_up; fi ;;
  kill) cmd_kill "${2:-}" ;;
  restart) cmd_restart "${2:-}" ;;
  start) cmd_start "${2:-}" ;;
  down) if [ "${2:-}" = "$ARBITER" ]; then cmd_down_arbiter; else cmd_down; fi ;;
  status) cmd_status ;;
  image) write_containers_conf; "$HERE/node-image.sh" >/dev/null ;;
  *) echo "usage: $0 up [$ARBITER]|down [$ARBITER]|status|image|kill NODE|restart NODE|start $ARBITER" >&2; exit 2 ;;
esac
