"""Helpers for verifying the container bed as an administrator would, from the host."""
import hashlib
import os
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BED_STATE = "/var/lib/twonode-bed/containers"


def cluster_status(host):
    """Nodes and resources as crm_mon reports them on `host`."""
    out = host.check_output("crm_mon --one-shot --output-as=xml")
    root = ET.fromstring(out)
    nodes = {n.get("name"): n.get("online") == "true" for n in root.findall("nodes/node")}
    resources = {r.get("id"): {"active": r.get("active") == "true", "agent": r.get("resource_agent"),
                               "nodes": [n.get("name") for n in r.findall("node")]}
                 for r in root.iter("resource")}
    dc = root.find("summary/current_dc")
    return {"nodes": nodes, "resources": resources, "quorate": dc is not None and dc.get("with_quorum") == "true"}


def wait_until(what, check, timeout=180, interval=2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # a node that is rebooting does not answer
            last = exc
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def run_playbook(*args, inventory=None, playbook="site.yml"):
    """ansible-playbook (site.yml by default) against the bed's inventory, as a user would run it."""
    inventory = inventory or os.path.join(REPO, "inventories/testbed/hosts.yml")
    cmd = ["ansible-playbook", "-i", inventory, os.path.join(REPO, "playbooks", playbook)] + list(args)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)


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
