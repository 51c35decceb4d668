"""Two pairs from one inventory (inventories/testbed/fleet.yml), as an administrator with many pairs checks them:
each pair is a cluster of its own, status.yml says each pair in a line, a failover moves one pair's group only, and
a failure in one pair's run of site.yml leaves the other pair's run going."""
import os
import re
import subprocess
import sys
import time
import urllib.request

import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from bedtools import REPO, cluster_status, run_playbook as _run_playbook, wait_until  # noqa: E402

testinfra_hosts = ["node1"]

FLEET = os.path.join(REPO, "inventories/testbed/fleet.yml")
BED_STATE = "/var/lib/twonode-bed/containers"
PAIRS = {"pair_a": {"cluster": "testbed", "nodes": ["node1", "node2"], "group": "services", "url": "http://10.213.10.100/"},
         "pair_b": {"cluster": "testbed_b", "nodes": ["node3", "node4"], "group": "shop", "url": "http://10.213.10.101/"}}


def run_playbook(*args, playbook="site.yml"):
    return _run_playbook(*args, inventory=FLEET, playbook=playbook)


def node(host, name):
    return testinfra.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


def podman(*args):
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(BED_STATE, "containers.conf"))
    return subprocess.run(["podman"] + list(args), env=env, capture_output=True, text=True, check=True).stdout.strip()


def where(host, group):
    """The nodes group's members run on, as crm_mon on host says."""
    resources = cluster_status(host)["resources"]
    return sorted(set(n for rid, r in resources.items() if rid.startswith(group + "-") and r["active"] for n in r["nodes"]))


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def recap(output):
    """PLAY RECAP's counters per host: {host: {ok, changed, failed, unreachable, ...}}."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if match and "ok=" in match.group(2):
            found[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return found


def test_each_pair_is_a_cluster_of_its_own(host):
    for name, pair in PAIRS.items():
        first = node(host, pair["nodes"][0])
        assert first.check_output("corosync-cmapctl -g totem.cluster_name").split("=")[-1].strip() == pair["cluster"]
        status = cluster_status(first)
        assert sorted(status["nodes"]) == pair["nodes"] and all(status["nodes"].values()), (name, status["nodes"])
        assert status["quorate"], name
        assert len(where(first, pair["group"])) == 1, (name, where(first, pair["group"]))
        # The other pair's group is not in this pair's CIB.
        other = [p for p in PAIRS.values() if p is not pair][0]
        assert where(first, other["group"]) == []
        assert answers(pair["url"]), pair["url"]


def test_status_says_each_pair_in_a_line_and_requires_every_pair_available(host):
    started = time.time()
    result = run_playbook("-e", "twonode_require_available=true", playbook="status.yml")
    both = time.time() - started
    assert result.returncode == 0, result.stdout[-3000:]
    out = " ".join(result.stdout.split())
    assert "2 pairs: 2 available" in out
    assert re.search(r"testbed available services on node[12]", out), out[-2000:]
    assert re.search(r"testbed_b available shop on node[34]", out), out[-2000:]
    started = time.time()
    one = run_playbook("-e", "pair=pair_a", playbook="status.yml")
    single = time.time() - started
    assert one.returncode == 0 and "2 pairs" not in one.stdout
    print("\nstatus.yml: one pair %.1f s, two pairs in one run %.1f s" % (single, both))


def test_a_failover_moves_one_pairs_group_only(host):
    node1, node3 = node(host, "node1"), node(host, "node3")
    refused = run_playbook("-e", "group=shop", playbook="failover.yml")
    assert refused.returncode != 0 and "name the one to switch over with -e pair=GROUP" in " ".join(refused.stdout.split())
    services_before, shop_before = where(node1, "services"), where(node3, "shop")
    epoch_a = node1.check_output("cibadmin --query --xpath /cib --no-children")
    target = [n for n in PAIRS["pair_b"]["nodes"] if n not in shop_before][0]
    moved = run_playbook("-e", "pair=pair_b", "-e", "group=shop", playbook="failover.yml")
    assert moved.returncode == 0, moved.stdout[-3000:]
    assert where(node3, "shop") == [target]
    assert answers(PAIRS["pair_b"]["url"])
    # Pair a: its group where it was, its CIB not touched.
    assert where(node1, "services") == services_before
    assert node1.check_output("cibadmin --query --xpath /cib --no-children") == epoch_a
    back = run_playbook("-e", "pair=pair_b", "-e", "group=shop", "-e", "to=" + shop_before[0], playbook="failover.yml")
    assert back.returncode == 0, back.stdout[-3000:]


# node4 drops SSH (its open connections too) and nothing else: its cluster goes on, so nothing fences it.
BLOCK_SSH = ["exec", "twonode-node4", "nft", "add table inet twonode_test; add chain inet twonode_test input "
             "{ type filter hook input priority -10; } ; add rule inet twonode_test input tcp dport 22 drop"]
UNBLOCK_SSH = ["exec", "twonode-node4", "nft", "delete table inet twonode_test"]


def test_a_failure_in_one_pair_leaves_the_other_pair_going(host):
    """node4 stops answering SSH while site.yml changes both pairs: pair b stops, named at the end; pair a takes the
    change."""
    node1 = node(host, "node1")
    podman(*BLOCK_SSH)
    try:
        result = run_playbook("-e", "resources_stickiness=150")
    finally:
        podman(*UNBLOCK_SSH)
    counters = recap(result.stdout)
    assert result.returncode != 0
    assert counters["node4"]["unreachable"] == 1 and counters["node3"]["failed"] == 1, counters
    assert counters["node1"]["failed"] == 0 and counters["node2"]["failed"] == 0, counters
    out = " ".join(result.stdout.split())
    assert "Stopped: testbed_b" in out, out[-2000:]
    assert "the other node of this pair, failed or was not reached in this run" in out
    assert re.search(r'name="resource-stickiness" value="150"', node1.check_output("cibadmin --query --scope resources"))
    assert not re.search(r'name="resource-stickiness" value="150"', node(host, "node3").check_output("cibadmin --query --scope resources"))
    # Both pairs whole again, the change everywhere, and then nothing more to change.
    again = run_playbook("-e", "resources_stickiness=150")
    assert again.returncode == 0 and all(c["failed"] == 0 for c in recap(again.stdout).values()), again.stdout[-3000:]
    restored = run_playbook()
    assert restored.returncode == 0, restored.stdout[-3000:]
    wait_until("both pairs available", lambda: run_playbook("-e", "twonode_require_available=true",
                                                               playbook="status.yml").returncode == 0, timeout=120, interval=5)


def test_a_run_of_site_yml_over_two_pairs_is_not_twice_as_long(host):
    started = time.time()
    one = run_playbook("-e", "pair=pair_a")
    single = time.time() - started
    started = time.time()
    both = run_playbook()
    double = time.time() - started
    assert one.returncode == 0 and both.returncode == 0
    for result in (one, both):
        assert all(c["changed"] == 0 and c["failed"] == 0 for c in recap(result.stdout).values()), result.stdout[-2000:]
    print("\nsite.yml with nothing to change: one pair %.1f s, two pairs in one run %.1f s" % (single, double))
