"""The arbitrator (corosync-qnetd on the bed's third container) added to the running pair and removed again,
as an administrator does it: site.yml with and without inventories/testbed/arbitrator.yml. A client on this
machine fetches the service address all along.

In between, what it is for: the arbitrator killed (the pair runs on, degraded, nothing moves), a split of the
two nodes (the node that serves gets the arbitrator's vote and fences the other at once) and a power cut of
the serving node (taken over without the fence race delay)."""
import os
import re
import threading
import time
import xml.etree.ElementTree as ET

from conftest import REPO, Client, cluster_status, podman, run_playbook, wait_until
from bedtools import check_drills_passed, drill_results, drill_summary, quorum, run_drills, votes_for_both

testinfra_hosts = ["node1"]

INVENTORY = os.path.join(REPO, "inventories/testbed/hosts.yml")
ARBITRATOR_INVENTORY = os.path.join(REPO, "inventories/testbed/arbitrator.yml")
BED = os.path.join(REPO, "tests/bed/containers.sh")
RING_ADDRESSES = {"node1": ["10.213.10.11", "10.213.20.11"], "node2": ["10.213.10.12", "10.213.20.12"]}


def with_arbitrator(*args):
    return run_playbook("-i", ARBITRATOR_INVENTORY, *args)


def bed(*args):
    import subprocess
    subprocess.run(["bash", BED] + list(args), check=True, capture_output=True, text=True)


def group_node(node):
    nodes = {n for rid, r in cluster_status(node)["resources"].items() if rid.startswith("services-")
             for n in r["nodes"]}
    return nodes.pop() if len(nodes) == 1 else None


def fence_events(node):
    """Every fencing action the cluster remembers (without --verbose stonith_admin shows the last per node only)."""
    root = ET.fromstring(node.check_output("stonith_admin --history '*' --verbose --output-as=xml"))
    return [(e.get("action"), e.get("target"), e.get("delegate"), e.get("completed")) for e in root.iter("fence_event")]


def both_online(node):
    status = cluster_status(node)
    return all(status["nodes"].values()) and len(status["nodes"]) == 2 and group_node(node)


def other(name):
    return "node2" if name == "node1" else "node1"


def outage_seconds(client, since):
    """From `since` to the first answer after the last failed probe (0 when none failed)."""
    failed = [p for p in client.probes if p[0] >= since and not p[2]]
    if not failed:
        return 0.0
    answered = [p for p in client.probes if p[0] > failed[-1][0] and p[2]]
    return (answered[0][1] if answered else time.time()) - since


def test_adding_the_arbitrator_keeps_the_service_up(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    assert quorum(node1)[0] == ["2Node", "Quorate", "WaitForAll"]
    with Client() as client:
        result = with_arbitrator()
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        wait_until("the arbitrator votes for both nodes", lambda: votes_for_both(nodes), timeout=60)
    failed = client.failed()
    assert client.probes and not failed, "%d of %d requests failed while the arbitrator was added" % (len(failed), len(client.probes))
    for host in nodes.values():
        conf = host.file("/etc/corosync/corosync.conf").content_string
        assert "two_node" not in conf and "algorithm: ffsplit" in conf and "host: 10.213.10.13" in conf
        assert host.service("corosync-qdevice").is_running and host.service("corosync-qdevice").is_enabled
    # With only the arbitrator's side able to fence, no race delay is left.
    assert node1.check_output("crm_attribute --query --name priority-fencing-delay --quiet") == "0"
    again = with_arbitrator()
    assert again.returncode == 0 and re.search(r"node1\s+: ok=\d+\s+changed=0 ", again.stdout), again.stdout[-2000:]
    assert re.search(r"node2\s+: ok=\d+\s+changed=0 ", again.stdout), again.stdout[-2000:]
    status = run_playbook("-i", ARBITRATOR_INVENTORY, playbook="status.yml")
    assert "arbitrator: votes for this partition" in status.stdout and "verdict: available" in status.stdout


def test_the_arbitrator_lost_degrades_the_pair_and_moves_nothing(node1, node2, tmp_path):
    """drill.yml's arbitrator_lost (the bed's inventory kills and starts the arbitrator's container); status.yml
    read meanwhile says what an administrator sees."""
    nodes = {"node1": node1, "node2": node2}
    seen = {}

    def watch():  # status.yml's table once the arbitrator is gone, as the drill runs
        wait_until("both nodes see the arbitrator's vote gone",
                   lambda: all(quorum(h)[1].split()[:3] == ["0", "0", "Qdevice"] for h in nodes.values()), timeout=120)
        seen["status"] = " ".join(run_playbook("-i", ARBITRATOR_INVENTORY, playbook="status.yml").stdout.split())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = run_drills("testbed", ["arbitrator_lost"], "-i", ARBITRATOR_INVENTORY, inventory=INVENTORY,
                        state_dir=str(tmp_path))
    watcher.join(timeout=60)
    print(drill_summary(result))
    assert result.returncode == 0, drill_summary(result) + result.stderr[-2000:]
    check_drills_passed(drill_results(str(tmp_path)), ["arbitrator_lost"])
    text = seen.get("status", "")
    assert "verdict: degraded" in text and "the arbitrator casts no vote" in text and "CASTS NO VOTE" in text, text[-2000:]
    assert votes_for_both(nodes)


def new_fencings(node, before):
    """Completed fencing actions not in before (Pacemaker 2.1.5 lists one while it runs, without completion)."""
    return [e for e in set(fence_events(node)) - before if e[3]]


def split(nodes, target):
    """Both links between the nodes cut on the standby (blackhole routes for 20 s to the ring addresses of
    target, the node that serves), each node still reaching the arbitrator. Returns the new completed fencing
    actions, the client's outage and the serving node's pacemaker journal since."""
    serving, standby = nodes[target], nodes[other(target)]
    fenced_before = set(fence_events(serving))
    routes = " ".join("ip route add blackhole %s/32;" % a for a in RING_ADDRESSES[target])
    unroutes = " ".join("ip route del blackhole %s/32;" % a for a in RING_ADDRESSES[target])
    with Client() as client:
        time.sleep(1)
        started = time.time()
        standby.run("systemd-run --collect --quiet --unit=twonode-test-split sh -c '%s sleep 20; %s'" % (routes, unroutes))
        wait_until("a fencing after the split", lambda: new_fencings(serving, fenced_before), timeout=60, interval=1)
        time.sleep(3)
    journal = serving.check_output("journalctl --since=@%d --no-pager -u pacemaker" % int(started - 1))
    return new_fencings(serving, fenced_before), outage_seconds(client, started), journal


def test_a_split_is_won_by_the_node_that_serves_without_delay(node1, node2):
    """The arbitrator's heuristic (twonode_serves_here.py) passes on the node that runs the group: in a split
    qnetd gives its vote to that side, which fences the other at once and serves on. Tried with the group on
    node2 too, where ffsplit's own tie-breaker (the lower node id) would have chosen node1."""
    nodes = {"node1": node1, "node2": node2}
    for target in ("node1", "node2"):
        wait_until("the pair is whole", lambda: both_online(node1) and votes_for_both(nodes), timeout=180)
        if group_node(node1) != target:
            moved = run_playbook("-e", "group=services", "-e", "to=" + target, playbook="failover.yml")
            assert moved.returncode == 0, moved.stdout[-2000:]
        fenced, outage, journal = split(nodes, target)
        assert [e[:3] for e in fenced] == [("reboot", other(target), target)], fenced
        assert group_node(nodes[target]) == target and outage == 0.0, "split with the group on %s: outage %.1f s" % (target, outage)
        assert "Delaying 'reboot'" not in journal, "a fence delay was applied with the arbitrator deciding"


def current_dc(node):
    summary = ET.fromstring(node.check_output("crm_mon --one-shot --output-as=xml")).find("summary/current_dc")
    return summary.get("name") if summary is not None else None


def test_power_cut_of_the_serving_node_is_taken_over_without_delay(node1, node2):
    """Both directions, and both ways Pacemaker takes over: first the group is moved off the DC, so the
    survivor is the DC (its controller does not answer while corosync waits for the arbitrator's vote: a
    heuristic that asked it ran into its 3 s timeout); then the DC serves and is cut (the survivor is
    elected)."""
    nodes = {"node1": node1, "node2": node2}
    figures = []
    for survivor_role in ("the DC", "elected"):
        wait_until("the pair is whole", lambda: both_online(node1) and votes_for_both(nodes), timeout=180)
        dc = current_dc(node1)
        if survivor_role == "the DC" and group_node(node1) == dc:
            moved = run_playbook("-e", "group=services", "-e", "to=" + other(dc), playbook="failover.yml")
            assert moved.returncode == 0, moved.stdout[-2000:]
        serving = group_node(node1)
        assert (serving != dc) == (survivor_role == "the DC"), (serving, dc, survivor_role)
        survivor = nodes[other(serving)]
        with Client() as client:
            time.sleep(1)
            cut = time.time()
            bed("kill", serving)
            wait_until("the survivor serves", lambda: group_node(survivor) == other(serving), timeout=60, interval=1)
            wait_until("the service answers", lambda: any(p[2] and p[0] > cut for p in client.probes), timeout=30, interval=0.5)
        figures.append("%s -> %s (survivor %s) %.1f s" % (serving, other(serving), survivor_role, outage_seconds(client, cut)))
        journal = survivor.check_output("journalctl --since=@%d --no-pager -u pacemaker -u corosync-qdevice" % int(cut - 1))
        assert "Delaying 'reboot'" not in journal, "the survivor waited before fencing: %s" % figures[-1]
        assert "Not all heuristics execs finished on time" not in journal, "the heuristic hung: %s" % figures[-1]
    print("power cut of the serving node with the arbitrator, service again after: " + "; ".join(figures))


def test_removing_the_arbitrator_keeps_the_service_up(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    wait_until("the pair is whole", lambda: both_online(node1) and votes_for_both(nodes), timeout=180)
    with Client() as client:
        result = run_playbook()
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    failed = client.failed()
    assert client.probes and not failed, "%d of %d requests failed while the arbitrator was removed" % (len(failed), len(client.probes))
    for host in nodes.values():
        assert quorum(host) == (["2Node", "Quorate", "WaitForAll"], "")
        assert not host.service("corosync-qdevice").is_running and not host.service("corosync-qdevice").is_enabled
    assert node1.check_output("crm_attribute --query --name priority-fencing-delay --quiet") == "5s"
    assert podman("inspect", "--format", "{{.State.Running}}", "twonode-arbiter") == "true"
