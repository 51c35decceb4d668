"""The full stack on two qemu VMs: DRBD -> filesystem -> virtual IP -> web (mail runs on the container beds).

Runs after test_drills.py: the converged pair, the service answering, a controlled failover that
keeps the data, including what the drill wrote while the VM it switches to was powered off. Hard
kills of the active VM (SBD fencing, takeover, the VM booting again, resynchronising, fsck and no
acknowledged write lost) are the failure drills in test_drills.py.
"""
import re
import time

from conftest import check_release, cluster_status, expected_release, run_playbook, wait_until

testinfra_hosts = ["vm1"]
VIP = "10.213.30.100"
MOUNT = "/srv/services"


def active_node(nodes):
    """The node the group runs on, as the cluster reports it from any node that answers."""
    for name in sorted(nodes):
        try:
            status = cluster_status(nodes[name])
        except Exception:  # a VM that was just killed does not answer
            continue
        where = {n for rid, r in status["resources"].items()
                 if rid.startswith("services-") and not rid.startswith("services-drbd") for n in r["nodes"]}
        if len(where) == 1:
            return where.pop()
    return None


def other(name):
    return "vm2" if name == "vm1" else "vm1"


def dstate(node):
    return node.check_output("drbdadm dstate r0").strip()


def status(*args):
    result = run_playbook("-e", "twonode_require_available=true", *args, playbook="status.yml")
    return result.returncode, result.stdout + result.stderr


def fetch_sha(client, path):
    """sha256 of a file fetched over HTTP from the virtual IP, by `client` (one of the nodes)."""
    out = client.run("curl -fsS --max-time 5 http://%s/%s | sha256sum", VIP, path)
    return out.stdout.split()[0] if out.rc == 0 and "e3b0c44298fc" not in out.stdout else None


def test_guests_run_the_release_with_drbd_from_their_kernel(nodes):
    for node in nodes.values():
        check_release(node)
        assert node.check_output("uname -r").startswith(expected_release()["kernel"])
        # The in-tree module (8.4) is loaded and driven by drbd-utils 9.
        assert re.match(r"version: 8\.4\.", node.file("/proc/drbd").content_string)


def test_pair_is_quorate_and_fenced_through_sbd(nodes):
    status_now = cluster_status(nodes["vm1"])
    assert status_now["quorate"] and status_now["nodes"] == {"vm1": True, "vm2": True}
    assert status_now["resources"]["fence-sbd"]["active"]
    for node in nodes.values():
        assert node.service("sbd").is_running
        slots = node.check_output("sbd -d /dev/vdc list")
        assert re.search(r"\bvm1\s+clear", slots) and re.search(r"\bvm2\s+clear", slots), slots
    timeout = nodes["vm1"].check_output("crm_attribute --type crm_config --name stonith-timeout --query --quiet")
    assert timeout == "60s"


def test_drbd_in_step_and_mounted_only_where_promoted(nodes):
    for node in nodes.values():
        wait_until("r0 UpToDate on both nodes", lambda n=node: dstate(n) == "UpToDate/UpToDate", timeout=300)
    active = active_node(nodes)
    assert active in nodes
    assert nodes[active].check_output("drbdadm role r0") == "Primary/Secondary"
    assert nodes[other(active)].check_output("drbdadm role r0") == "Secondary/Primary"
    assert nodes[active].mount_point(MOUNT).exists
    assert nodes[active].mount_point(MOUNT).device == "/dev/drbd0"
    assert not nodes[other(active)].mount_point(MOUNT).exists


def test_web_answers_on_the_virtual_ip_from_drbd(nodes):
    active = active_node(nodes)
    client = nodes[other(active)]
    headers = client.check_output("curl -fsS --max-time 5 -D - -o /dev/null http://%s/", VIP)
    assert "200 OK" in headers and "X-Served-By: %s" % active in headers
    token = "vip-%d" % time.time()
    nodes[active].check_output("echo %s > %s/www/token.txt", token, MOUNT)
    assert client.check_output("curl -fsS --max-time 5 http://%s/token.txt", VIP) == token


def test_status_reports_available(nodes):
    rc, output = status()
    assert rc == 0, output[-3000:]
    assert "verdict: available" in output


def test_data_survives_a_controlled_failover(nodes):
    before = active_node(nodes)
    after = other(before)
    nodes[before].check_output("head -c 4M /dev/urandom > %s/www/probe.bin && sync", MOUNT)
    written = nodes[before].check_output("sha256sum %s/www/probe.bin", MOUNT).split()[0]
    # The drill (test_drills.py, run before this) powered the other VM off and wrote here while it was
    # away: after the switch that VM must serve those writes, which it can only have from the resync.
    drill_log = MOUNT + "/.twonode-drill/writes.log"
    assert nodes[before].file(drill_log).exists, "the drill's writes are missing from DRBD"
    drill_writes = nodes[before].check_output("sha256sum %s", drill_log).split()[0]

    result = run_playbook("-e", "group=services", "-e", "to=" + after, playbook="failover.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    match = re.search(r"services: %s -> %s in ([\d.]+) s" % (before, after), output)
    assert match, output[-2000:]
    print("\ncontrolled switchover with DRBD %s -> %s: %s s" % (before, after, match.group(1)))

    assert active_node(nodes) == after
    assert nodes[after].mount_point(MOUNT).exists and not nodes[before].mount_point(MOUNT).exists
    assert nodes[after].check_output("sha256sum %s/www/probe.bin", MOUNT).split()[0] == written
    assert nodes[after].check_output("sha256sum %s", drill_log).split()[0] == drill_writes
    assert fetch_sha(nodes[before], "probe.bin") == written
    assert "cli-" not in nodes[after].check_output("cibadmin --query --scope constraints")
