"""A real DRBD split brain on the VM bed, and its recovery with playbooks/splitbrain.yml.

With the cluster in maintenance mode (so Pacemaker neither reacts nor fences), DRBD is taken apart,
vm2 is made primary with fencing paused and writes, vm1 (which serves) writes too, and both reconnect.
DRBD must then keep both sides apart (the role's after-sb-1pri policy) rather than drop vm2's writes,
the handler marks it, status says so, and splitbrain.yml resolves it only for the side it is told.
"""
import os

import pytest
from conftest import run_playbook, wait_until

testinfra_hosts = ["vm1"]
MOUNT = "/srv/services"
pytestmark = pytest.mark.skipif(os.environ.get("TWONODE_VERIFY") == "core", reason="TWONODE_VERIFY=core")


def connection(node):
    return node.check_output("drbdadm cstate r0").strip()


@pytest.fixture
def maintenance(nodes):
    nodes["vm1"].check_output("crm_attribute --type crm_config --name maintenance-mode --update true")
    yield nodes
    nodes["vm1"].run("crm_attribute --type crm_config --name maintenance-mode --delete")


def test_a_split_brain_keeps_both_sides_until_told_which_to_drop(maintenance):
    vm1, vm2 = maintenance["vm1"], maintenance["vm2"]
    assert vm1.check_output("drbdadm role r0").startswith("Primary")
    vm2.check_output("drbdadm disconnect r0")
    vm1.check_output("drbdadm disconnect r0")
    # vm2 writes as a primary of its own: fencing paused (it would refuse while its peer is unknown)
    vm2.check_output("drbdadm disk-options --fencing=dont-care r0 && drbdadm primary --force r0")
    vm2.check_output("mkdir -p /mnt/split && mount /dev/drbd0 /mnt/split && echo vm2 > /mnt/split/split-vm2 "
                     "&& sync && umount /mnt/split && drbdadm secondary r0")
    vm1.check_output("echo vm1 > %s/split-vm1 && sync", MOUNT)
    vm2.check_output("drbdadm adjust r0")  # back to the configured options, connecting
    vm1.check_output("drbdadm connect r0")

    wait_until("DRBD to find the split brain and stay apart", lambda: connection(vm1) == "StandAlone"
               and connection(vm2) == "StandAlone", timeout=120)
    for node in (vm1, vm2):
        assert node.file("/var/lib/twonode/drbd-split-brain/r0").exists
        assert "split brain on DRBD resource r0" in node.check_output("journalctl -t twonode-drbd --no-pager")

    status = run_playbook("-e", "twonode_require_available=true", playbook="status.yml")
    assert status.returncode != 0
    assert "DRBD r0 is in split brain since" in " ".join(status.stdout.split())

    shown = run_playbook(playbook="splitbrain.yml")
    text = " ".join(shown.stdout.split())
    assert shown.returncode == 0, text[-3000:]
    assert "run again with -e discard=NODE" in text and "split brain found" in text
    assert connection(vm1) == "StandAlone" and connection(vm2) == "StandAlone"

    refused = run_playbook("-e", "discard=vm1", playbook="splitbrain.yml")
    assert refused.returncode != 0
    assert "vm1 is primary for r0 (it serves the data)" in " ".join(refused.stdout.split())
    assert connection(vm1) == "StandAlone"

    resolved = run_playbook("-e", "discard=vm2", playbook="splitbrain.yml")
    assert resolved.returncode == 0, " ".join(resolved.stdout.split())[-3000:]
    assert vm1.check_output("drbdadm dstate r0").strip() == "UpToDate/UpToDate"
    assert connection(vm1) == "Connected"
    assert vm1.file(MOUNT + "/split-vm1").content_string.strip() == "vm1"
    for node in (vm1, vm2):
        assert not node.file("/var/lib/twonode/drbd-split-brain/r0").exists
