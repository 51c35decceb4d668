"""The arbitrator on the VM bed, with DRBD and SBD: the container bed's arbiter container (started alone), which
the guests reach through qemu (tests/bed/vms.sh forwards 10.0.2.100:5403 to it). Added to the running pair
with site.yml and inventories/vmbed/arbitrator.yml, then drill.yml under load: the arbitrator lost (the pair
runs on, degraded, nothing moves), a split of the two nodes (the serving node gets the vote and SBD fences the
other) and a power cut of the serving node (taken over without the race delay, nothing acknowledged lost),
and removed again.

Full runs only (tests/run-all.sh --full): under emulation the two site.yml runs and the three drills take
about half an hour; the container bed checks the same decisions in CI."""
import os
import subprocess
import time

import pytest
from conftest import INVENTORY, REPO, run_playbook, wait_until
from bedtools import check_drills_passed, drill_results, drill_summary, quorum, run_drills, votes_for_both

testinfra_hosts = ["vm1"]

ARBITRATOR_INVENTORY = os.path.join(REPO, "inventories/vmbed/arbitrator.yml")
CONTAINERS = os.path.join(REPO, "tests/bed/containers.sh")
DRILLS = ["arbitrator_lost", "link_cut_both", "cascade_power_off"]


@pytest.fixture(scope="module")
def arbiter():
    """The arbitrator's container alone, removed again at the end (the rest of a container bed stays)."""
    subprocess.run(["bash", CONTAINERS, "up", "arbiter"], check=True, capture_output=True, text=True, timeout=900)
    yield
    subprocess.run(["bash", CONTAINERS, "down", "arbiter"], check=False, capture_output=True, text=True, timeout=120)


def test_the_arbitrator_is_added_to_the_running_pair(arbiter, nodes):
    assert quorum(nodes["vm1"])[0] == ["2Node", "Quorate", "WaitForAll"]
    started = time.time()
    result = run_playbook("-i", ARBITRATOR_INVENTORY)
    print("site.yml adding the arbitrator: %.0f s" % (time.time() - started))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    wait_until("the arbitrator votes for both nodes", lambda: votes_for_both(nodes), timeout=120)
    for host in nodes.values():
        conf = host.file("/etc/corosync/corosync.conf").content_string
        assert "two_node" not in conf and "host: 10.0.2.100" in conf
    assert nodes["vm1"].check_output("crm_attribute --query --name priority-fencing-delay --quiet") == "0"
    status = run_playbook("-i", ARBITRATOR_INVENTORY, playbook="status.yml")
    assert "arbitrator: votes for this partition" in status.stdout and "verdict: available" in status.stdout


def test_drills_with_the_arbitrator_lose_nothing(arbiter, nodes, tmp_path):
    result = run_drills("vmbed", DRILLS, "-i", ARBITRATOR_INVENTORY, "-e", "drill_cascade_count=1",
                        inventory=INVENTORY, state_dir=str(tmp_path))
    print(drill_summary(result))
    assert result.returncode == 0, drill_summary(result) + result.stderr[-2000:]
    results = drill_results(str(tmp_path))
    check_drills_passed(results, DRILLS)
    measured = results["drills"][-1]["measured"]
    assert measured["fsck_rc"] == 0
    assert measured["writes"]["acked"] > 0 and measured["writes"]["missing"] == 0, measured["writes"]
    [victim] = measured["victims"]
    survivor = nodes["vm2" if victim == "vm1" else "vm1"]
    # Only the side with the arbitrator's vote fences, so nothing delays it.
    journal = survivor.check_output("journalctl --no-pager -u pacemaker --since=-30min")
    assert "Delaying 'reboot'" not in journal
    wait_until("the arbitrator votes for both nodes again", lambda: votes_for_both(nodes), timeout=300)


def test_the_arbitrator_is_removed_from_the_running_pair(arbiter, nodes):
    result = run_playbook()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for host in nodes.values():
        assert quorum(host) == (["2Node", "Quorate", "WaitForAll"], "")
        assert not host.service("corosync-qdevice").is_running and not host.service("corosync-qdevice").is_enabled
    assert nodes["vm1"].check_output("crm_attribute --query --name priority-fencing-delay --quiet") != "0"
