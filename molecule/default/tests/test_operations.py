"""Changes an administrator makes to a running pair, run once from the host."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from conftest import REPO, cluster_status, config_fingerprint, podman, run_playbook, wait_until

testinfra_hosts = ["node1"]


def _inventory_with(changes):
    """The bed's inventory with some host entries changed or added, as a temporary file."""
    import yaml
    with open(os.path.join(REPO, "inventories/testbed/hosts.yml")) as handle:
        inventory = yaml.safe_load(handle)
    for name, values in changes.items():
        inventory["ha_pair"]["hosts"].setdefault(name, {}).update(values)
    directory = tempfile.mkdtemp(prefix="twonode-inv-")
    os.symlink(os.path.join(REPO, "inventories/testbed/group_vars"), os.path.join(directory, "group_vars"))
    path = os.path.join(directory, "hosts.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(inventory, handle)
    return path


def _extra_vars(data):
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(data, handle)
    handle.close()
    return "@" + handle.name


BAD_INPUTS = [
    ("one host", ["--limit", "node1"], "exactly two members; this play has 1 (node1)"),
    ("three hosts", ["-i", "THIRD"], "exactly two members; this play has 3"),
    ("address not on the node", ["-i", "FOREIGN_ADDR"],
     "node2: cluster_ring1_addr 10.213.20.99 is not an address of this host"),
    ("malformed timeout", ["-e", "cluster_outage_tolerance=3seconds"],
     "cluster_outage_tolerance: '3seconds' is not a duration"),
    ("fence device for an unknown node", ["-e", "FENCE_NODE3"],
     "fences 'node3', which is not a node of this cluster (node1, node2)"),
    ("no fencing without the override", ["-e", "NO_FENCING"],
     "no fence device fences node node1"),
    ("fencing turned off through a property", ["-e", "FENCING_PROPERTY_OFF"],
     "cluster_properties sets stonith-enabled=false, which turns fencing off"),
    ("race delay longer than the fence timeout", ["-e", "cluster_fence_race_delay=90s"],
     "cluster_fence_race_delay 90s is not below Pacemaker's default stonith-timeout"),
    ("cluster name corosync cannot take", ["-e", "BAD_CLUSTER_NAME"],
     "cluster_name 'test bed' is not a valid cluster name"),
    # The URL may carry a token: the message names the field, not the value.
    ("alarm webhook that is not a URL", ["-e", "BAD_WEBHOOK"],
     "cluster_alerts.webhook.url is not an http:// or https:// URL"),
    # A new name or crypto means corosync restarts on both nodes at once: refused unless accepted.
    ("identity change of a running cluster", ["-e", "cluster_name=otherbed"],
     "differ from the running cluster's. Applying that restarts corosync on both nodes at once"),
    ("crypto change of a running cluster", ["-e", "cluster_crypto_cipher=aes128"],
     "Set cluster_allow_full_restart=true to accept that; nothing was changed"),
    ("arbitrator that is a node of the pair", ["-e", "cluster_arbitrator=node2"],
     "cluster_arbitrator node2 is a node of this pair; the arbitrator must be a third host"),
    ("arbitrator ping that is not an address", ["-e", "BAD_ARBITRATOR_PING", "-i", "ARBITRATOR_INVENTORY"],
     "cluster_arbitrator_ping must be a list of IP addresses"),
    # The bed's host reaches no time source: with the check on (the default for real pairs) it stops.
    ("clocks without a time service", ["-e", "cluster_require_time_sync=true"],
     "node1: no time service runs (chrony, systemd-timesyncd, ntpsec, ntp, openntpd)"),
    # The last role's inputs are checked before the first role runs.
    ("virtual IP outside the service network", ["-e", "FOREIGN_VIP"],
     "Fix resources_groups, nothing was changed"),
]


@pytest.mark.parametrize("label,args,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_inventory_fails_before_any_change(node1, node2, label, args, message):
    replacements = {
        "THIRD": lambda: _inventory_with({"node3": {"ansible_host": "10.213.10.11",
                                                    "cluster_ring0_addr": "10.213.10.11",
                                                    "cluster_ring1_addr": "10.213.20.11"}}),
        "FOREIGN_ADDR": lambda: _inventory_with({"node2": {"cluster_ring1_addr": "10.213.20.99"}}),
        "FENCE_NODE3": lambda: _extra_vars({"cluster_fence_devices": [
            {"name": "fence-x", "agent": "fence_dummy", "fences": "node3"}]}),
        "NO_FENCING": lambda: _extra_vars({"cluster_fence_devices": []}),
        "FENCING_PROPERTY_OFF": lambda: _extra_vars({"cluster_properties": {"stonith-enabled": "false"}}),
        "BAD_WEBHOOK": lambda: _extra_vars({"cluster_alerts": {"webhook": {"url": "hooks.example.net/t0ken"}}}),
        "BAD_CLUSTER_NAME": lambda: _extra_vars({"cluster_name": "test bed"}),
        "BAD_ARBITRATOR_PING": lambda: _extra_vars({"cluster_arbitrator_ping": ["gateway"]}),
        "ARBITRATOR_INVENTORY": lambda: os.path.join(REPO, "inventories/testbed/arbitrator.yml"),
        "FOREIGN_VIP": lambda: _extra_vars({"resources_groups": [
            {"name": "services", "vips": ["192.0.2.10"], "services": ["nginx", "postfix"],
             "mail_domain": "testbed.example", "preferred_node": "node1"}]}),
    }
    args = [replacements[a]() if a in replacements else a for a in args]
    inventory = None
    if args[0] == "-i":
        inventory, args = args[1], args[2:]
    before = (config_fingerprint(node1), config_fingerprint(node2))
    result = run_playbook(*args, inventory=inventory)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert message in output, output[-3000:]
    assert "nothing was changed" in output
    assert "changed=0" in output and "changed=1" not in output
    # Stopped in site.yml's first play, before any role's first change.
    assert "TASK [twonode.ha.cluster : Install the cluster packages]" not in output
    assert (config_fingerprint(node1), config_fingerprint(node2)) == before


def test_a_node_of_another_cluster_is_not_taken_over_while_its_pacemaker_is_stopped(node1, node2):
    """The adoption check reads the CIB on disk: with pacemaker stopped, cibadmin cannot answer."""
    node2.check_output("cp -p /etc/corosync/corosync.conf /root/corosync.conf.saved")
    try:
        node2.check_output("systemctl stop pacemaker corosync")
        # What a node of another cluster looks like: a corosync.conf not written by twonode.ha,
        # a CIB with resources on disk, pacemaker stopped.
        node2.check_output("sed -i '/twonode.ha identity/d' /etc/corosync/corosync.conf")
        cib_before = node2.check_output("sha256sum /var/lib/pacemaker/cib/cib.xml")
        result = run_playbook()
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        assert "node2 already has Pacemaker resources that twonode.ha did not create" in output, output[-3000:]
        assert "changed=1" not in output
        assert node2.check_output("sha256sum /var/lib/pacemaker/cib/cib.xml") == cib_before
        assert not node2.service("pacemaker").is_running
    finally:
        node2.check_output("mv /root/corosync.conf.saved /etc/corosync/corosync.conf")
        node2.check_output("systemctl start corosync pacemaker")
        both = {"node1": True, "node2": True}
        wait_until("node2 to rejoin", lambda: cluster_status(node1)["nodes"] == both, timeout=180)
    assert run_playbook().returncode == 0


def test_a_second_run_against_the_pair_is_refused_while_one_runs(node1, node2):
    """Two operators: site.yml runs; a maintenance run started meanwhile is refused and changes nothing."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    first = subprocess.Popen(["ansible-playbook", "-i", os.path.join(REPO, "inventories/testbed/hosts.yml"),
                              os.path.join(REPO, "playbooks/site.yml")], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        wait_until("site.yml to take the pair's lock",
                   lambda: node1.run("grep -q site.yml /var/lib/twonode/pair.lock").rc == 0, timeout=60, interval=0.5)
        before = node1.check_output("cibadmin --query --scope configuration")
        second = run_playbook("-e", "scope=cluster", "-e", "state=on", playbook="maintenance.yml")
        output = second.stdout + second.stderr
        assert second.returncode != 0, output[-3000:]
        assert "another run holds this pair: " in output, output[-3000:]
        assert "running site.yml (pid %d on " % first.pid in output, output[-3000:]
        assert node1.check_output("cibadmin --query --scope configuration") == before
    finally:
        out = first.communicate(timeout=900)[0]
    assert first.returncode == 0, out[-3000:]
    # Released at the end; the next run takes it without a word.
    assert node1.run("test -e /var/lib/twonode/pair.lock").rc != 0
    assert node2.run("test -e /var/lib/twonode/pair.lock").rc != 0


def test_a_lock_left_by_a_run_that_died_is_taken_over(node1, node2):
    """A run killed midway leaves its lock; the next run from the same control node takes it over."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    first = subprocess.Popen(["ansible-playbook", "-i", os.path.join(REPO, "inventories/testbed/hosts.yml"),
                              os.path.join(REPO, "playbooks/site.yml")], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    wait_until("site.yml to take the pair's lock",
               lambda: node1.run("grep -q site.yml /var/lib/twonode/pair.lock").rc == 0, timeout=60, interval=0.5)
    first.kill()
    first.wait()
    assert node1.run("grep -q site.yml /var/lib/twonode/pair.lock").rc == 0
    result = run_playbook()
    assert result.returncode == 0, result.stdout[-3000:]
    assert node1.run("test -e /var/lib/twonode/pair.lock").rc != 0


def _pid(host, unit):
    return host.check_output("systemctl show -p MainPID --value %s", unit)


def test_changing_the_outage_tolerance_keeps_both_nodes_up(node1, node2):
    before = {(h, unit): _pid(n, unit) for h, n in (("node1", node1), ("node2", node2))
              for unit in ("corosync", "pacemaker")}
    try:
        result = run_playbook("-e", "cluster_outage_tolerance=4s")
        assert result.returncode == 0, result.stdout[-3000:]
        assert "Reload corosync.conf on the running cluster" in result.stdout
        for host in (node1, node2):
            assert host.check_output("corosync-cmapctl -g runtime.config.totem.token").endswith("= 4000")
        after = {(h, unit): _pid(n, unit) for h, n in (("node1", node1), ("node2", node2))
                 for unit in ("corosync", "pacemaker")}
        assert after == before, "a corosync.conf change restarted the stack"
        assert cluster_status(node1)["nodes"] == {"node1": True, "node2": True}
    finally:
        assert run_playbook().returncode == 0
    assert node1.check_output("corosync-cmapctl -g runtime.config.totem.token").endswith("= 1000")


def test_fencing_power_cycles_the_node_and_it_rejoins(node1, node2):
    started_before = podman("inspect", "-f", "{{.State.StartedAt}}", "twonode-node2")
    t0 = time.time()
    out = node1.check_output("stonith_admin --reboot node2")
    fenced_after = time.time() - t0
    assert podman("inspect", "-f", "{{.State.StartedAt}}", "twonode-node2") != started_before, out
    history = node1.check_output("stonith_admin --history node2")
    assert "reboot of node2 successful" in history
    # Asked of node2 itself: a fence that completes within corosync's detection time leaves node1
    # still listing node2 online for a moment, before node2's new boot has even started its stack.
    both = {"node1": True, "node2": True}
    wait_until("node2 to rejoin after being fenced",
               lambda: cluster_status(node2)["nodes"] == both and cluster_status(node1)["nodes"] == both, timeout=180)
    rejoined_after = time.time() - t0
    wait_until("both fence devices started again",
               lambda: all(r["active"] for r in cluster_status(node1)["resources"].values()), timeout=120)
    assert "allegedly just fenced" not in node2.check_output("journalctl -b -u pacemaker --no-pager")
    print("fence operation %.1fs, node2 back in the cluster %.1fs after the fence request"
          % (fenced_after, rejoined_after))
