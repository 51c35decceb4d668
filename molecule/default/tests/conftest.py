"""Helpers for verifying the container bed as an administrator would, from the host."""
import hashlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from bedtools import REPO, check_release, cluster_status, wait_until  # noqa: E402,F401  pylint: disable=unused-import
from bedtools import run_playbook as _run_playbook  # noqa: E402

BED_STATE = "/var/lib/twonode-bed/containers"
URL = "http://10.213.10.100/"


def run_playbook(*args, inventory=None, playbook="site.yml"):
    """ansible-playbook against the container bed's inventory (or another one)."""
    return _run_playbook(*args, inventory=inventory or os.path.join(REPO, "inventories/testbed/hosts.yml"),
                         playbook=playbook)


def podman(*args):
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(BED_STATE, "containers.conf"))
    return subprocess.run(["podman"] + list(args), env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def config_fingerprint(host):
    """What a configuration change would alter: corosync.conf, the authkey, the CIB's epochs."""
    conf = host.file("/etc/corosync/corosync.conf").content
    key = host.check_output("sha256sum /etc/corosync/authkey")
    cib = ET.fromstring(host.check_output("cibadmin --query"))
    return (hashlib.sha256(conf).hexdigest(), key, cib.get("admin_epoch"), cib.get("epoch"))


def _node(host, name):
    import testinfra
    return testinfra.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def node1(host):
    return _node(host, "node1")


@pytest.fixture(scope="module")
def node2(host):
    return _node(host, "node2")


# TWONODE_VERIFY=core (CI's second release) leaves out the modules whose logic does not depend on the
# Pacemaker release (input checks, the pair lock, drills; the arbitrator, whose tools are the same 3.0.3 on
# both releases and whose outputs from both are unit-tested; the administrator's nginx/postfix files, backup
# and the fencing check, whose commands are the same on both), which the first release's run covers.
RELEASE_INDEPENDENT = ("test_operations.py", "test_drills.py", "test_arbitrator.py", "test_admin_config.py",
                       "test_backup_fence_check.py", "test_firewall.py", "test_remove.py")


# Left to `tests/run-all.sh --full` (TWONODE_VERIFY=full on the first release), about two minutes each that CI's
# hour cannot hold: remove.yml takes the pair apart and site.yml builds it again (the VM bed's full run takes apart
# a pair with DRBD); firewalld instead of nftables (the firewall's planning is unit-tested, and CI opens nftables).
# The takeover of another cluster's node with its pacemaker stopped (its check reads the CIB on disk, unit-tested),
# and a fence by stonith_admin (fence_check.yml's reboot and the arbitrator's power cut fence for real in CI).
FULL_ONLY = ("test_remove.py", "test_site_opens_firewalld_with_rich_rules_and_takes_out_those_no_longer_needed",
             "test_a_node_of_another_cluster_is_not_taken_over_while_its_pacemaker_is_stopped",
             "test_fencing_power_cycles_the_node_and_it_rejoins")
# Bad inputs (test_operations.py, about 6 s a run of site.yml each) whose checks unit tests cover on their own: CI
# keeps one of each kind of check (pair shape, addresses, fencing, a running cluster's identity, clocks, the groups).
FULL_ONLY_BAD_INPUTS = ("malformed timeout", "fencing turned off through a property", "race delay longer than the fence timeout",
                        "cluster name corosync cannot take", "alarm webhook that is not a URL", "crypto change of a running cluster",
                        "arbitrator that is a node of the pair", "arbitrator ping that is not an address")


def _full_only(item):
    label = getattr(item, "callspec", None) and item.callspec.params.get("label")
    return (os.path.basename(str(item.fspath)) in FULL_ONLY or item.originalname in FULL_ONLY
            or (item.originalname == "test_bad_inventory_fails_before_any_change" and label in FULL_ONLY_BAD_INPUTS))


# On the second release CI leaves out the rolling update too (about 2 min): the release-dependent parts it shares
# with the tests that stay (standby, failover, a node back after a restart) run there, and --full runs it (and
# update.yml on a Debian 12 pair in the release upgrade).
CORE_FULL_ONLY = ("test_rolling_update_moves_the_service_once_and_reboots_both_nodes",)


def pytest_collection_modifyitems(config, items):
    # TWONODE_VERIFY: "" (everything CI runs), "full", "core" (the second release), "core,full", or "release".
    verify = set(os.environ.get("TWONODE_VERIFY", "").split(","))
    full_skip = pytest.mark.skip(reason="run with tests/run-all.sh --full (TWONODE_VERIFY=full)")
    if "full" not in verify:
        for item in items:
            if _full_only(item) or ("core" in verify and item.originalname in CORE_FULL_ONLY):
                item.add_marker(full_skip)
    if "release" in verify:
        # The full run's release upgrade (test_release_upgrade.py) is the whole verify: it leaves the bed on 13.
        skip = pytest.mark.skip(reason="TWONODE_VERIFY=release: only the release upgrade")
        for item in items:
            if os.path.basename(str(item.fspath)) != "test_release_upgrade.py":
                item.add_marker(skip)
        return
    if "core" not in verify:
        return
    skip = pytest.mark.skip(reason="TWONODE_VERIFY=core: release-independent, run on the first release")
    for item in items:
        if os.path.basename(str(item.fspath)) in RELEASE_INDEPENDENT:
            item.add_marker(skip)


class Background(threading.Thread):
    """A client that runs, as a context manager, for the block's length: run() loops until self.stop is set."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(timeout=30)
        return False


class Client(Background):
    """Fetches the service address every 0.25 s: (started, finished, answered, served_by) per probe."""

    def failed(self):
        return [p for p in self.probes if not p[2]]

    def __init__(self):
        super().__init__()
        self.probes = []

    def run(self):
        while not self.stop.is_set():
            started = time.time()
            try:
                with urllib.request.urlopen(URL, timeout=1) as response:
                    response.read()
                    self.probes.append((started, time.time(), True, response.headers.get("X-Served-By")))
            except Exception:  # any failure to answer is an outage
                self.probes.append((started, time.time(), False, None))
            self.stop.wait(max(0.0, 0.25 - (time.time() - started)))
