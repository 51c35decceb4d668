"""replace.yml on the VM bed (full runs only): the standby's server dies with its disks (tests/bed/vms.sh rebuild:
power cut, disks destroyed, a new server booted from the image), the survivor keeps serving, replace.yml brings the
new node in with a full resync from the survivor, and a failover onto it serves the same data."""
import os
import subprocess
import time

from conftest import MOUNT, REPO, cluster_status, run_playbook, serving, wait_until

testinfra_hosts = ["vm1"]
VIP = "10.213.30.100"


def vms(*args):
    return subprocess.run(["bash", os.path.join(REPO, "tests/bed/vms.sh")] + list(args), capture_output=True, text=True,
                          check=True, timeout=900)


def test_a_dead_standby_is_replaced_by_a_new_server_that_gets_the_data(nodes):
    active = serving(nodes)
    assert active, "the group's filesystem is mounted on neither node"
    dead = "vm2" if active == "vm1" else "vm1"
    survivor = nodes[active]
    token = "replace-%d" % time.time()
    survivor.check_output("echo %s > %s/www/replace.txt && sync", token, MOUNT)
    checksum = survivor.check_output("cd %s && find . -type f -exec sha256sum {} + | sort -k2 | sha256sum", MOUNT)

    vms("rebuild", dead)
    wait_until("%s seen gone and fenced" % dead,
               lambda: not cluster_status(survivor)["nodes"][dead], 300, 5)
    assert survivor.check_output("curl -fsS --max-time 5 http://%s/replace.txt", VIP) == token
    # The old node is gone: its replacement is refused until the new server is there (unreachable), and a wrong
    # name is refused before any change.
    vms("up")
    refused = run_playbook("-e", "node=" + dead, "-e", "confirm=twonode", playbook="replace.yml")
    assert refused.returncode == 2 and "confirm=twonode does not name this cluster" in refused.stdout, refused.stdout[-3000:]

    started = time.time()
    result = run_playbook("-e", "node=" + dead, "-e", "confirm=vmbed", playbook="replace.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    print("replace.yml took %.0f s" % (time.time() - started))
    new = nodes[dead]
    assert new.check_output("drbdadm dstate r0") == "UpToDate/UpToDate"

    moved = run_playbook("-e", "group=services", "-e", "to=" + dead, playbook="failover.yml")
    assert moved.returncode == 0, moved.stdout[-3000:]
    assert new.check_output("cd %s && find . -type f -exec sha256sum {} + | sort -k2 | sha256sum", MOUNT) == checksum
    assert survivor.check_output("curl -fsS --max-time 5 http://%s/replace.txt", VIP) == token
    status = run_playbook("-e", "twonode_require_available=true", playbook="status.yml")
    assert status.returncode == 0, status.stdout[-3000:]
