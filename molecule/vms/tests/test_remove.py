"""remove.yml on the pair with DRBD (full runs only; conftest runs it last, as it leaves no cluster): the node
named keep, the one that does not serve, gets the data the serving node wrote, as a plain filesystem on its
backing disk mounted where the group had it, and serves it on the virtual IP without a cluster. DRBD's metadata
stays at the end of both disks, as no one asked for it to go."""
import time

from conftest import MOUNT, run_playbook, serving

testinfra_hosts = ["vm1"]
VIP = "10.213.30.100"


def test_the_pair_is_taken_apart_and_the_kept_node_serves_the_data(nodes):
    active = serving(nodes)
    assert active, "the group's filesystem is mounted on neither node"
    keep = "vm2" if active == "vm1" else "vm1"
    token = "removal-%d" % time.time()
    # Written on the serving node (protocol C: on both disks when the write returns).
    nodes[active].check_output("echo %s > %s/www/removal.txt && sync", token, MOUNT)

    result = run_playbook("-e", "confirm=vmbed", "-e", "keep=" + keep, playbook="remove.yml")
    assert result.returncode == 0, result.stdout[-4000:]

    kept = nodes[keep]
    disk = kept.check_output("findmnt -n -o SOURCE %s", MOUNT)
    assert not disk.startswith("/dev/drbd"), disk
    assert kept.check_output("cat %s/www/removal.txt", MOUNT) == token
    assert "%s %s ext4" % (disk, MOUNT) in kept.check_output("cat /etc/fstab")
    # The other node reaches the kept one's web server on the virtual IP, with the data.
    client = nodes[active]
    assert client.check_output("curl -fsS --max-time 5 http://%s/removal.txt", VIP) == token
    for name, node in nodes.items():
        assert not node.file("/etc/drbd.d/r0.res").exists
        assert node.run("findmnt -n %s", MOUNT).rc == (0 if name == keep else 1)
        assert not node.service("pacemaker").is_running and not node.service("corosync").is_enabled
        # The metadata stays (not asked to go): blkid still finds DRBD's signature on the backing disk.
        assert "drbd" in node.check_output("blkid -p -o value -s TYPE %s || true", disk if name == keep else "/dev/vdb")
