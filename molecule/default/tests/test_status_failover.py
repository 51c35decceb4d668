"""Daily operations from the host: the status verdict and a controlled switchover."""
import json
import os
import re
import tempfile
import urllib.request

from conftest import cluster_status, run_playbook, wait_until

testinfra_hosts = ["node1"]


def group_node(node):
    nodes = {n for rid, r in cluster_status(node)["resources"].items() if rid.startswith("services-")
             for n in r["nodes"]}
    assert len(nodes) == 1, nodes
    return nodes.pop()


def served_by():
    with urllib.request.urlopen("http://10.213.10.100/", timeout=2) as response:
        return response.headers.get("X-Served-By")


def status(*args):
    result = run_playbook("-e", "twonode_require_available=true", *args, playbook="status.yml")
    return result.returncode, result.stdout + result.stderr


def test_status_reports_available(node1):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pair.json")
        rc, output = status("-e", "status_json=" + path)
        assert rc == 0, output[-3000:]
        with open(path) as handle:
            written = json.load(handle)
    assert "verdict: available" in output
    assert re.search(r"services +group on node[12] \(3/3 running\)", output)
    # One block of plain lines, not a YAML list of quoted strings.
    assert not re.search(r'^\s*- ["\']', output, re.M) and "msg: |-" in output, output[-3000:]
    assert written["status"]["verdict"] == "available" and sorted(written["nodes"]) == ["node1", "node2"]
    assert written["seen_from"] in ("node1", "node2")


def test_status_degraded_when_the_peer_is_stopped(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    active = group_node(node1)
    standby = "node2" if active == "node1" else "node1"
    nodes[standby].check_output("systemctl stop pacemaker corosync")
    try:
        rc, output = status()
        assert rc == 2, output[-3000:]
        assert "verdict: degraded (seen from %s)" % active in output
        assert "node %s is offline" % standby in output
        assert "corosync link 0 to %s is disconnected" % standby in output
        # Asked on the stopped node itself, the module says so instead of failing.
        result = run_playbook("--limit", standby, playbook="status.yml")
        assert "verdict: down (seen from %s)" % standby in result.stdout
        assert "not running on this node" in result.stdout
    finally:
        nodes[standby].check_output("systemctl start corosync pacemaker")
    wait_until("both nodes online again",
               lambda: cluster_status(nodes[active])["nodes"] == {"node1": True, "node2": True}, timeout=120)
    wait_until("the verdict back to available", lambda: status()[0] == 0, timeout=120, interval=5)


def test_status_names_a_node_it_cannot_reach_and_exits_2(node1):
    """A node the control node cannot reach (here: node2 at an address nobody has) is named, the other
    node's view is printed, and the run exits 2 as documented (Ansible alone exits 4 for an unreachable host)."""
    with tempfile.TemporaryDirectory() as tmp:
        unreachable = os.path.join(tmp, "unreachable.yml")
        with open(unreachable, "w") as handle:
            handle.write("ha_pair:\n  hosts:\n    node2:\n      ansible_host: 10.213.10.250\n"
                         "      ansible_ssh_common_args: -o ConnectTimeout=3 -o UserKnownHostsFile=/dev/null"
                         " -o StrictHostKeyChecking=no\n")
        rc, output = status("-i", unreachable)
    assert rc == 2, output[-3000:]
    assert "verdict: available (seen from node1)" in output, output[-3000:]
    assert "not reached from this control node: node2" in output


def test_failover_moves_the_group_and_leaves_no_constraint(node1):
    before = group_node(node1)
    after = "node2" if before == "node1" else "node1"
    result = run_playbook("-e", "group=services", playbook="failover.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    match = re.search(r"services: %s -> %s in ([\d.]+) s" % (before, after), output)
    assert match, output[-2000:]
    assert group_node(node1) == after
    assert served_by() == after
    assert "cli-" not in node1.check_output("cibadmin --query --scope constraints")
    print("controlled switchover %s -> %s: %s s" % (before, after, match.group(1)))
    # Asking again changes nothing.
    again = run_playbook("-e", "group=services", "-e", "to=" + after, playbook="failover.yml")
    assert again.returncode == 0 and "already in place: services" in again.stdout


def test_failover_refuses_unknown_group_and_node(node1):
    where = group_node(node1)
    constraints = node1.check_output("cibadmin --query --scope constraints")
    for args, message in ((["-e", "group=nosuch"], "unknown group(s) nosuch; the cluster has: services"),
                          (["-e", "group=services", "-e", "to=node3"], "unknown node node3")):
        result = run_playbook(*args, playbook="failover.yml")
        assert result.returncode != 0
        assert message in result.stdout + result.stderr
        assert "Nothing was changed" in result.stdout + result.stderr
    assert group_node(node1) == where
    assert node1.check_output("cibadmin --query --scope constraints") == constraints
