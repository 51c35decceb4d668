"""remove.yml takes the pair apart on request: the node named keep runs the services under systemd with the
virtual IP, the cluster's configuration and CIB are gone from both nodes, and site.yml builds the pair again
afterwards. The container bed has no DRBD (the VM bed's full run covers the data: molecule/vms/tests/test_remove.py).
The playbook's commands are the same on both releases: the first release's run covers it, in full runs only
(tests/run-all.sh --full; conftest's FULL_ONLY)."""
from conftest import cluster_status, config_fingerprint, run_playbook, wait_until
from test_resources import group_node, http_get

testinfra_hosts = ["node1"]

GONE = ["/etc/corosync/corosync.conf", "/etc/corosync/authkey", "/etc/twonode", "/usr/local/lib/twonode"]


def test_a_wrong_name_or_node_changes_nothing(node1):
    before = config_fingerprint(node1)
    for extra, said in [(["-e", "confirm=twonode", "-e", "keep=node2"], "confirm=twonode does not name this cluster"),
                        (["-e", "confirm=testbed", "-e", "keep=node3"], "keep=node3 is not a node of this pair")]:
        result = run_playbook(*extra, playbook="remove.yml")
        assert result.returncode == 2 and said in result.stdout, result.stdout[-3000:]
        assert "changed=1" not in result.stdout
    assert config_fingerprint(node1) == before and http_get()[0] == 200


def test_the_pair_is_taken_apart_and_built_again(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    serving = group_node(node1)
    keep = "node2" if serving == "node1" else "node1"
    other = serving
    try:
        result = run_playbook("-e", "confirm=testbed", "-e", "keep=" + keep, playbook="remove.yml")
        assert result.returncode == 0, result.stdout[-3000:]
        # The kept node serves through the virtual IP, without a cluster.
        assert http_get()[:2] == (200, keep)
        for name, host in nodes.items():
            for unit in ("corosync", "pacemaker"):
                assert not host.service(unit).is_running and not host.service(unit).is_enabled
            for path in GONE:
                assert not host.file(path).exists, (name, path)
            assert host.check_output("find /var/lib/pacemaker/cib /var/lib/pacemaker/pengine -type f") == ""
            services_on = name == keep
            for unit in ("nginx", "postfix"):
                assert host.service(unit).is_enabled == services_on and host.service(unit).is_running == services_on, (name, unit)
        assert nodes[keep].service("twonode-ha-addresses").is_enabled
        assert "10.213.10.100/" not in nodes[other].check_output("ip -brief address")

        again = run_playbook("-e", "confirm=testbed", "-e", "keep=" + keep, playbook="remove.yml")
        assert again.returncode == 0 and "changed=0" in again.stdout and "changed=1" not in again.stdout, again.stdout[-3000:]

        # site.yml refuses the address a server already holds outside the cluster, and changes nothing.
        refused = run_playbook()
        assert refused.returncode == 2 and "is an address of node %s itself" % keep in refused.stdout, refused.stdout[-3000:]
    finally:
        # What an administrator does before making the pair again: take the kept services back from systemd.
        nodes[keep].run("systemctl disable --now twonode-ha-addresses nginx postfix; rm -f /etc/systemd/system/twonode-ha-addresses.service;"
                        " systemctl daemon-reload")
        rebuilt = run_playbook()
        assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    status = wait_until("the rebuilt pair", lambda: cluster_status(node1)["quorate"] and cluster_status(node1), 120)
    assert all(status["nodes"].values())
    assert http_get()[0] == 200
