"""Maintenance as an administrator uses it: the cluster keeps its hands off, then takes over again."""
import time

from conftest import cluster_status, run_playbook, wait_until

testinfra_hosts = ["node1"]


def maintenance(*args):
    result = run_playbook(*args, playbook="maintenance.yml")
    return result.returncode, result.stdout + result.stderr


def active_node(node1, node2):
    where = cluster_status(node1)["resources"]["services-nginx"]["nodes"]
    return {"node1": node1, "node2": node2}[where[0]]


def test_maintenance_on_leaves_a_killed_service_dead_and_off_repairs_it(node1, node2):
    host = active_node(node1, node2)
    rc, output = maintenance("-e", "scope=cluster", "-e", "state=on")
    assert rc == 0, output[-2000:]
    try:
        host.check_output("systemctl kill -s KILL nginx")
        time.sleep(25)  # two monitor intervals and more
        assert not host.service("nginx").is_running
    finally:
        rc, output = maintenance("-e", "scope=cluster", "-e", "state=off")
        assert rc == 0, output[-2000:]
    wait_until("the cluster to restart nginx", lambda: host.service("nginx").is_running, timeout=90)
    node1.run("crm_resource --cleanup --resource services-nginx")


def test_maintenance_with_an_expiry_ends_by_itself(node1):
    rc, output = maintenance("-e", "scope=cluster", "-e", "state=on", "-e", "expiry=20s")
    assert rc == 0 and "cluster maintenance mode on until" in output, output[-2000:]
    assert "Resource management is DISABLED" in node1.check_output("crm_mon -1")
    start = time.time()
    wait_until("maintenance to end without anyone running Ansible",
               lambda: "Resource management is DISABLED" not in node1.check_output("crm_mon -1"),
               timeout=150, interval=2)
    print("maintenance with a 20 s expiry ended %.0f s after it was set" % (time.time() - start))
    # The rule stays in the CIB, inert; turning maintenance off removes it.
    rc, output = maintenance("-e", "scope=cluster", "-e", "state=off")
    assert rc == 0
    assert "twonode-maintenance" not in node1.check_output("cibadmin --query --scope crm_config")


def test_node_standby_moves_the_group_first(node1, node2):
    host = active_node(node1, node2)
    name = host.backend.get_hostname()
    other = "node2" if name == "node1" else "node1"
    rc, output = maintenance("-e", "scope=node", "-e", "name=" + name, "-e", "state=on")
    try:
        assert rc == 0, output[-2000:]
        resources = cluster_status(node1)["resources"]
        assert all(r["nodes"] == [other] for rid, r in resources.items() if rid.startswith("services-"))
        assert not any(name in r["nodes"] for r in resources.values())
    finally:
        assert maintenance("-e", "scope=node", "-e", "name=" + name, "-e", "state=off")[0] == 0


def test_standby_is_refused_when_the_peer_cannot_take_the_group(node1, node2):
    host = active_node(node1, node2)
    name = host.backend.get_hostname()
    other = "node2" if name == "node1" else "node1"
    rc, output = maintenance("-e", "scope=node", "-e", "name=" + other, "-e", "state=on")
    assert rc == 0, output[-2000:]
    try:
        before = node1.check_output("cibadmin --query --scope configuration")
        rc, output = maintenance("-e", "scope=node", "-e", "name=" + name, "-e", "state=on")
        assert rc != 0, output[-2000:]
        assert "refusing standby: %s runs services and %s cannot take over: services: %s is in standby" \
            % (name, other, other) in output, output[-2000:]
        assert "force=true accepts the outage" in output
        assert node1.check_output("cibadmin --query --scope configuration") == before
        assert cluster_status(node1)["resources"]["services-nginx"]["nodes"] == [name]
    finally:
        assert maintenance("-e", "scope=node", "-e", "name=" + other, "-e", "state=off")[0] == 0


def test_bad_requests_are_refused_with_no_change(node1):
    before = node1.check_output("cibadmin --query --scope configuration")
    for args, message in (
            (["-e", "scope=node", "-e", "name=node3", "-e", "state=on"], "unknown node node3"),
            (["-e", "scope=resource", "-e", "name=web", "-e", "state=on"], "unknown resource web"),
            (["-e", "scope=cluster", "-e", "state=on", "-e", "ends=2020-01-01T00:00:00Z"], "is in the past"),
            (["-e", "scope=everything", "-e", "state=on"], "Say what and how")):
        rc, output = maintenance(*args)
        assert rc != 0 and message in output, output[-2000:]
    assert node1.check_output("cibadmin --query --scope configuration") == before
