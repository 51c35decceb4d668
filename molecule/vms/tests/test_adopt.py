"""adopt.yml on the VM bed (full runs only; conftest runs it after test_remove.py, which leaves one VM a plain
server): that server's ext4, grown to fill its disk as a server's would, is shrunk offline to make room for DRBD's
metadata and becomes the DRBD backing disk; the other VM, its disk wiped, gets the data by the first mirror while a
writer on the server goes on; the server's address (the one its clients know) becomes the group's virtual IP and the
server gets a new one of its own; the cluster takes the group over; a failover serves the same data on the same
address from the new node, and every write the writer acknowledged is there."""
import json
import os
import time

from conftest import MOUNT, NODES, run_playbook, serving, wait_until

testinfra_hosts = ["vm1"]
OLD_PAIR_VIP = "10.213.30.100"  # the virtual IP of the pair remove.yml took apart
# The server's service address (its cluster_ring0_addr in inventories/vmbed) is handed over to the group; the server
# gets .2x in its place.
ADDRESSES = {"vm1": ("10.213.30.11", "10.213.30.21"), "vm2": ("10.213.30.12", "10.213.30.22")}
WRITER = "twonode-writer"
# The writer writes a numbered file on the data filesystem every half second and notes each one it has synced on
# the node's root filesystem, only then: an acknowledged write. Its counter lives with the data, so it goes on where
# it stopped on whichever node runs it; it never writes where nothing is mounted.
WRITER_SCRIPT = """#!/bin/sh
mountpoint -q %(mount)s || exit 1
mkdir -p %(mount)s/w
n=$(cat %(mount)s/w/next 2>/dev/null || echo 1)
while mountpoint -q %(mount)s; do
  echo $n > %(mount)s/w/$n.tmp && mv %(mount)s/w/$n.tmp %(mount)s/w/$n && sync -f %(mount)s/w/$n || exit 1
  echo $n >> /var/lib/%(name)s.acked
  n=$((n + 1)); echo $n > %(mount)s/w/next
  sleep 0.5
done
exit 1
""" % {"mount": MOUNT, "name": WRITER}
WRITER_UNIT = "[Unit]\nDescription=twonode.ha test writer\n[Service]\nExecStart=/usr/local/bin/%s\n" % WRITER


def adoption_vars(server):
    return json.dumps({
        "drbd_adopt_shrink": True, "resources_nginx_site": False, "adopt_address": ADDRESSES[server][0],
        "resources_groups": [{"name": "services", "storage": {"drbd": "r0", "mountpoint": MOUNT}, "vips": [ADDRESSES[server][0]],
                              "services": ["nginx", {"name": "writer", "agent": "systemd:" + WRITER}],
                              "preferred_node": server}]})


def new_address_inventory(server, directory):
    """An inventory source beside inventories/vmbed that gives the server its new address of its own."""
    path = os.path.join(str(directory), "adopted.yml")
    with open(path, "w") as handle:
        json.dump({"ha_pair": {"hosts": {server: {"cluster_ring0_addr": ADDRESSES[server][1]}}}}, handle)
    return path


def answers_on(node, address):
    """node fetches the server's page from address (the data filesystem's www/adopted.txt)."""
    return node.run("curl -sf --max-time 5 http://%s/adopted.txt", address).stdout.strip() == "adopted"


def checksums(node):
    return node.check_output("cd %s && find . -path ./w -prune -o -path ./lost+found -prune -o -type f -print0 "
                             "| sort -z | xargs -0 sha256sum", MOUNT)


def acknowledged(nodes):
    acked = set()
    for node in nodes.values():
        acked.update(int(n) for n in node.check_output("cat /var/lib/%s.acked 2>/dev/null || true", WRITER).split())
    return acked


def test_a_running_server_is_adopted_and_its_data_mirrored(nodes, tmp_path):
    server = serving(nodes)
    assert server, "test_remove.py leaves one VM serving its data from its own disk"
    standby = [name for name in NODES if name != server][0]
    s, o = nodes[server], nodes[standby]
    old_address, new_address = ADDRESSES[server]
    overlay = new_address_inventory(server, tmp_path)

    # The plain server: no virtual IP of the old pair, no DRBD signature, an ext4 that fills its disk, served by nginx.
    s.check_output("systemctl disable --now twonode-ha-addresses.service 2>/dev/null || true; ip -4 address del %s/24 dev "
                   "$(ip -o -4 address show to %s | cut -d' ' -f2) 2>/dev/null || true", OLD_PAIR_VIP, OLD_PAIR_VIP)
    s.check_output("umount %s && wipefs -a -t drbd /dev/vdb && e2fsck -f -p /dev/vdb; resize2fs /dev/vdb && "
                   "sed -i '\\|%s|d' /etc/fstab && echo '/dev/vdb %s ext4 defaults 0 2' >> /etc/fstab && "
                   "systemctl daemon-reload && mount %s", MOUNT, MOUNT, MOUNT, MOUNT)
    s.check_output("dd if=/dev/urandom of=%s/www/blob bs=1M count=64 status=none && echo adopted > %s/www/adopted.txt && sync",
                   MOUNT, MOUNT)
    # The server's own site, on every address as a plain server's is (the old pair's site listened on its virtual IP).
    for node in (s, o):
        node.check_output("rm -f /etc/nginx/sites-enabled/twonode.conf && printf 'server {\\n listen 80 default_server;\\n root %s/www;\\n}\\n' "
                          "> /etc/nginx/sites-enabled/server.conf && nginx -t -q", MOUNT)
    s.check_output("systemctl reload-or-restart nginx")
    # testinfra quotes each argument for the shell: the files' texts go through printf, not a here-document.
    for node in (s, o):
        node.check_output("printf '%%s' %s > /usr/local/bin/%s && chmod 755 /usr/local/bin/%s", WRITER_SCRIPT, WRITER, WRITER)
        node.check_output("printf '%%s' %s > /etc/systemd/system/%s.service && systemctl daemon-reload", WRITER_UNIT, WRITER)
        assert node.file("/etc/systemd/system/%s.service" % WRITER).content_string == WRITER_UNIT
    s.check_output("systemctl enable --now %s", WRITER)
    o.check_output("wipefs -a /dev/vdb")
    before = checksums(s)

    # The plan alone changes nothing.
    plan = run_playbook("-i", overlay, "-e", "adopt_from=" + server, "-e", adoption_vars(server), "--check", playbook="adopt.yml")
    assert plan.returncode == 0, plan.stdout[-4000:]
    assert "the ext4 is shrunk to" in plan.stdout and "downtime" in plan.stdout
    assert "%s becomes a virtual IP of the group" % old_address in " ".join(plan.stdout.split())
    assert s.check_output("findmnt -n -o SOURCE %s", MOUNT) == "/dev/vdb"
    assert new_address not in s.check_output("ip -4 -o address show")
    assert answers_on(o, old_address)

    result = run_playbook("-i", overlay, "-e", "adopt_from=" + server, "-e", adoption_vars(server), playbook="adopt.yml")
    assert result.returncode == 0, result.stdout[-6000:]
    # The handover: both addresses on the server now, its network configuration naming only the new one.
    held = s.check_output("ip -4 -o address show")
    assert old_address in held and new_address in held
    assert new_address in s.check_output("cat /etc/systemd/network/20-service.network")
    assert old_address not in s.check_output("cat /etc/systemd/network/20-service.network")
    down = [line for line in result.stdout.splitlines() if "the services were down for" in line]
    print("adoption: " + (down[0].strip() if down else "no downtime line"))
    assert s.check_output("findmnt -n -o SOURCE %s", MOUNT) == "/dev/drbd0"
    assert "twonode.ha adopt.yml" in s.check_output("cat /etc/fstab")

    # The first mirror: only ever from the server.
    wait_until("the first mirror is done", lambda: "UpToDate/UpToDate" in s.check_output("drbdadm dstate r0"),
               timeout=1800, interval=10)
    assert checksums(s) == before
    started = time.time()
    moved = run_playbook("-i", overlay, "-e", "group=services", "-e", "to=" + standby, playbook="failover.yml")
    assert moved.returncode == 0, moved.stdout[-3000:]
    print("failover onto the new node: %.1f s" % (time.time() - started))
    assert serving(nodes) == standby
    # The clients' address moved with the group; the server kept its own.
    assert old_address in o.check_output("ip -4 -o address show")
    held = s.check_output("ip -4 -o address show")
    assert old_address not in held and new_address in held
    assert answers_on(s, old_address)
    assert checksums(o) == before
    written = set(int(n) for n in o.check_output("ls %s/w | grep -E '^[0-9]+$' || true", MOUNT).split())
    lost = acknowledged(nodes) - written
    assert not lost, "acknowledged writes missing after the failover: %s" % sorted(lost)[:20]
    print("writes acknowledged during the adoption: %d, all found on %s" % (len(acknowledged(nodes)), standby))

    again = run_playbook("-i", overlay, "-e", "adopt_from=" + server, "-e", adoption_vars(server), playbook="adopt.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    assert "changed=0" in again.stdout
