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


# Tests that CI leaves to `tests/run-all.sh --full` (TWONODE_VERIFY=full): under emulation each costs
# a minute or more, and the decisions they check are unit-tested on output captured from this bed.
FULL_ONLY = ("test_a_disk_with_a_filesystem_is_refused_and_kept",
             "test_a_disk_in_the_wipe_list_is_erased_and_taken_once",
             "test_leftover_bytes_where_the_metadata_goes_are_refused")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TWONODE_VERIFY") == "full":
        return
    skip = pytest.mark.skip(reason="run with tests/run-all.sh --full (TWONODE_VERIFY=full)")
    for item in items:
        if item.originalname in FULL_ONLY:
            item.add_marker(skip)
