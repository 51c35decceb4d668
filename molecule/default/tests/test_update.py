"""The rolling update (playbooks/update.yml) on the deployed container bed, as an administrator runs it.

A container cannot reboot its kernel: the bed's inventory sets update_reboot_command to a clean restart of
the node's container (tests/bed/containers.sh restart), and these runs ask for update_reboot=always so that
both nodes go through the reboot path whatever apt finds on the mirror that day. A client thread on this
machine fetches the service address all along; the service must answer except during the one switchover.
"""
import json
import os
import xml.etree.ElementTree as ET

import pytest

from conftest import Client, cluster_status, run_playbook, wait_until

testinfra_hosts = ["node1"]


def group_node(node):
    nodes = {n for rid, r in cluster_status(node)["resources"].items() if rid.startswith("services-")
             for n in r["nodes"]}
    assert len(nodes) == 1, nodes
    return nodes.pop()


def standby_nodes(node):
    root = ET.fromstring(node.check_output("crm_mon --one-shot --output-as=xml"))
    return sorted(n.get("name") for n in root.findall("nodes/node") if n.get("standby") == "true")


def fence_events(node):
    """The fencing actions the cluster remembers (its history is shared by both nodes and kept across a restart
    of one of them)."""
    root = ET.fromstring(node.check_output("stonith_admin --history '*' --output-as=xml"))
    return [(e.get("action"), e.get("target"), e.get("completed")) for e in root.iter("fence_event")]


def boot_marks(nodes):
    """PID 1's start time per node (a container keeps the host's boot id; a restart gives a new PID 1)."""
    return dict((name, host.check_output("cut -d' ' -f22 /proc/1/stat")) for name, host in nodes.items())


def update(*args, report):
    if os.path.exists(report):
        os.remove(report)
    result = run_playbook("-e", "update_report_file=" + report, *args, playbook="update.yml")
    output = " ".join((result.stdout + result.stderr).split())  # the output wraps long lines
    loaded = None
    if os.path.exists(report):
        with open(report) as handle:
            loaded = json.load(handle)
    return result.returncode, output, loaded


def test_check_mode_says_what_would_happen_and_changes_nothing(node1, node2, tmp_path):
    nodes = {"node1": node1, "node2": node2}
    active = group_node(node1)
    standby = "node2" if active == "node1" else "node1"
    marks = boot_marks(nodes)
    rc, output, report = update("--check", "-e", "update_reboot=always", report=str(tmp_path / "update.json"))
    assert rc == 0, output[-3000:]
    assert "Rolling update, one node at a time: %s first (it runs no group), then %s." % (standby, active) in output
    assert "SWITCHOVER: services from %s to %s." % (active, standby) in output
    assert "Check mode: nothing was changed" in output
    assert "SWITCHOVER NOW" not in output
    assert report["check_mode"] is True and report["nodes"] == [] and report["switchovers"] == []
    assert report["order"] == [standby, active]
    assert sorted(report["simulations"]) == ["node1", "node2"]
    assert all(s["reboot"]["reboot"] for s in report["simulations"].values())  # update_reboot=always
    assert group_node(node1) == active and boot_marks(nodes) == marks and standby_nodes(node1) == []


def test_with_nothing_to_upgrade_nothing_moves_and_no_node_restarts(node1, node2, tmp_path):
    """The bed's nodes are built from the mirror's current packages: apt has nothing for them, and an update
    run that finds nothing to do must not interrupt the service for nothing."""
    nodes = {"node1": node1, "node2": node2}
    pending = dict((name, [line for line in host.check_output("apt-get -s dist-upgrade").splitlines()
                           if line.startswith("Inst ")]) for name, host in nodes.items())
    if any(pending.values()):
        pytest.skip("the mirror has upgrades for the bed's nodes today: %s" % pending)
    active = group_node(node1)
    marks = boot_marks(nodes)
    rc, output, report = update(report=str(tmp_path / "update.json"))
    assert rc == 0, output[-3000:]
    assert "Nothing to do: neither node has a package to upgrade or a reboot to take; no group moves." in output
    assert "SWITCHOVER" not in output
    assert report["nodes"] == [] and report["switchovers"] == []
    assert group_node(node1) == active and boot_marks(nodes) == marks and standby_nodes(node1) == []


def test_refused_unless_the_pair_is_available(node1, tmp_path):
    active = group_node(node1)
    standby = "node2" if active == "node1" else "node1"
    node1.check_output("crm_attribute --node %s --name standby --update on" % standby)
    try:
        rc, output, report = update(report=str(tmp_path / "update.json"))
        assert rc != 0
        assert "The update does not start from a pair that is not whole; nothing was changed." in output
        assert "says the pair is degraded" in output and standby in output
        assert report is None  # refused before the plan
    finally:
        node1.check_output("crm_attribute --node %s --name standby --update off" % standby)
    wait_until("the standby back", lambda: standby_nodes(node1) == [], timeout=60)
    wait_until("the pair available again",
               lambda: run_playbook("-e", "twonode_require_available=true", playbook="status.yml").returncode == 0,
               timeout=120, interval=5)
    assert group_node(node1) == active


def test_rolling_update_moves_the_service_once_and_reboots_both_nodes(node1, node2, tmp_path):
    nodes = {"node1": node1, "node2": node2}
    active = group_node(node1)
    standby = "node2" if active == "node1" else "node1"
    marks = boot_marks(nodes)
    fenced_before = fence_events(node1)
    client = Client()
    client.start()
    try:
        rc, output, report = update("-e", "update_reboot=always", report=str(tmp_path / "update.json"))
    finally:
        client.stop.set()
        client.join(timeout=10)
    print(output[output.rfind("Report per node"):][:4000] if "Report per node" in output else output[-4000:])
    assert rc == 0, output[-4000:]

    # the plan was said first, then the switchover again when it began
    assert output.index("SWITCHOVER: services from %s to %s." % (active, standby)) < output.index("SWITCHOVER NOW")
    # the report: both nodes, standby first, both rebooted (update_reboot=always), one switchover
    assert report is not None and report["check_mode"] is False and "stopped" not in report
    assert [n["node"] for n in report["nodes"]] == [standby, active]
    assert all(n["rebooted"] is True and n["seconds"] > 0 for n in report["nodes"]), report["nodes"]
    assert len(report["switchovers"]) == 1
    switch = report["switchovers"][0]
    assert (switch["groups"], switch["from"], switch["to"]) == (["services"], active, standby)
    assert switch["outage"] is not None  # the bed's inventory names the probe URL
    assert report["end"]["groups"]["services"] == [standby] and report["end"]["verdict"] == "available"
    for line in ("%s: " % standby, "%s: " % active, "switchover: services from %s to %s in" % (active, standby)):
        assert line in output

    # the nodes did restart, and are back: online, none in standby, the group where the report says
    after = boot_marks(nodes)
    assert all(after[n] != marks[n] for n in nodes), (marks, after)
    assert cluster_status(node1)["nodes"] == {"node1": True, "node2": True}
    assert standby_nodes(node1) == []
    assert group_node(node1) == standby
    # every restart was the update's own: the cluster fenced nobody
    assert fence_events(node1) == fenced_before

    # the service moved once, and answered except during that switchover
    served = [p[3] for p in client.probes if p[2]]
    changes = [(a, b) for a, b in zip(served, served[1:]) if a != b]
    assert changes == [(active, standby)], changes
    failed = [p for p in client.probes if not p[2]]
    window = (switch["started"] - 1, switch["ended"] + 3)
    outside = [p for p in failed if not (window[0] <= p[0] <= window[1])]
    assert outside == [], (window, outside[:10])
    print("switchover %s -> %s: failover %s s, the update's client saw %s; this test's client: %d failed probes "
          "of %d" % (active, standby, switch["seconds"], switch["outage"], len(failed), len(client.probes)))
    wait_until("the pair available", lambda: run_playbook(
        "-e", "twonode_require_available=true", playbook="status.yml").returncode == 0, timeout=120, interval=5)
