"""A real DRBD split brain on the VM bed, and its recovery with playbooks/splitbrain.yml.

With the cluster in maintenance mode (so Pacemaker neither reacts nor fences), DRBD is taken apart,
the standby is made primary with fencing paused and writes, the active node (which serves) writes too,
and both reconnect. DRBD must then keep both sides apart (the role's after-sb-1pri policy) rather than
drop the standby's writes (discard-secondary did), the handler marks it, status says so, and
splitbrain.yml resolves it only for the side it is told, never for the side that serves.
"""
import pytest
from conftest import run_playbook, wait_until

testinfra_hosts = ["vm1"]
MOUNT = "/srv/services"


def connection(node):
    return node.check_output("drbdadm cstate r0").strip()


@pytest.fixture
def maintenance(nodes):
    nodes["vm1"].check_output("crm_attribute --type crm_config --name maintenance-mode --update true")
    yield nodes
    nodes["vm1"].run("crm_attribute --type crm_config --name maintenance-mode --delete")


def test_a_split_brain_keeps_both_sides_until_told_which_to_drop(maintenance):
    primaries = [name for name in sorted(maintenance)
                 if maintenance[name].check_output("drbdadm role r0").startswith("Primary")]
    assert len(primaries) == 1, primaries
    active_name = primaries[0]
    standby_name = "vm2" if active_name == "vm1" else "vm1"
    active, standby = maintenance[active_name], maintenance[standby_name]
    standby.check_output("drbdadm disconnect r0")
    active.check_output("drbdadm disconnect r0")
    # The standby writes as a primary of its own: fencing paused (it would refuse while its peer is unknown)
    standby.check_output("drbdadm disk-options --fencing=dont-care r0 && drbdadm primary --force r0")
    standby.check_output("mkdir -p /mnt/split && mount /dev/drbd0 /mnt/split && echo standby > /mnt/split/split-standby "
                         "&& sync && umount /mnt/split && drbdadm secondary r0")
    active.check_output("echo active > %s/split-active && sync", MOUNT)
    standby.check_output("drbdadm adjust r0")  # back to the configured options, connecting
    active.check_output("drbdadm connect r0")

    wait_until("DRBD to find the split brain and stay apart", lambda: connection(active) == "StandAlone"
               and connection(standby) == "StandAlone", timeout=120)
    for name, node in ((active_name, active), (standby_name, standby)):
        print("%s /proc/drbd in split brain:\n%s" % (name, node.check_output("cat /proc/drbd")))
        assert node.file("/var/lib/twonode/drbd-split-brain/r0").exists
        assert "split brain on DRBD resource r0" in node.check_output("journalctl -t twonode-drbd --no-pager")
        # The bed's alarm channel (cluster_alerts: syslog) got it from DRBD's handler, through the alert agent.
        assert "[vmbed] DRBD split brain on r0 between %s and " % name in node.check_output(
            "journalctl -t twonode-alert --no-pager -o cat")

    status = run_playbook("-e", "twonode_require_available=true", playbook="status.yml")
    assert status.returncode != 0
    assert "DRBD r0 is in split brain since" in " ".join(status.stdout.split())

    shown = run_playbook(playbook="splitbrain.yml")
    text = " ".join(shown.stdout.split())
    assert shown.returncode == 0, text[-3000:]
    assert "run again with -e discard=NODE" in text and "split brain found" in text
    assert connection(active) == "StandAlone" and connection(standby) == "StandAlone"

    refused = run_playbook("-e", "discard=" + active_name, playbook="splitbrain.yml")
    assert refused.returncode != 0
    assert "%s is primary for r0 (it serves the data)" % active_name in " ".join(refused.stdout.split())
    assert connection(active) == "StandAlone"

    resolved = run_playbook("-e", "discard=" + standby_name, playbook="splitbrain.yml")
    assert resolved.returncode == 0, " ".join(resolved.stdout.split())[-3000:]
    assert active.check_output("drbdadm dstate r0").strip() == "UpToDate/UpToDate"
    assert connection(active) == "Connected"
    assert active.file(MOUNT + "/split-active").content_string.strip() == "active"
    for node in (active, standby):
        assert not node.file("/var/lib/twonode/drbd-split-brain/r0").exists
