"""Helpers for verifying the VM bed as an administrator would: through SSH into the nodes (the
service network is private to the two VMs), the collection's playbooks, and qemu itself."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from bedtools import REPO, check_release, cluster_status, expected_release, wait_until  # noqa: E402,F401  pylint: disable=unused-import
from bedtools import run_playbook as _run_playbook  # noqa: E402

VM_STATE = "/var/lib/twonode-bed/vms"
INVENTORY = os.path.join(REPO, "inventories/vmbed/hosts.yml")
NODES = ("vm1", "vm2")


def run_playbook(*args, playbook="site.yml"):
    return _run_playbook(*args, inventory=INVENTORY, playbook=playbook)


def _node(host, name):
    import testinfra
    return testinfra.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def nodes(host):
    return {name: _node(host, name) for name in NODES}
