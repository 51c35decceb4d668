"""Helpers for verifying the VM bed as an administrator would: through SSH into the nodes (the
service network is private to the two VMs), the collection's playbooks, and qemu itself."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from bedtools import REPO, check_release, cluster_status, expected_release, wait_until  # noqa: E402,F401  pylint: disable=unused-import
from bedtools import run_playbook as _run_playbook  # noqa: E402

VM_STATE = "/var/lib/twonode-bed/vms"
INVENTORY = os.path.join(REPO, "inventories/vmbed/hosts.yml")
NODES = ("vm1", "vm2")


def run_playbook(*args, playbook="site.yml"):
    return _run_playbook(*args, inventory=INVENTORY, playbook=playbook)


def _retry_unanswered_ssh():
    """An emulated guest busy with a switchover or a resync can leave sshd silent past any timeout
    ("Connection timed out during banner exchange", ssh rc 255): ask again, as an administrator would,
    before calling the test failed. A command that ran and failed has its own exit code, never 255."""
    from testinfra.backend.ssh import SshBackend
    run_ssh = SshBackend.run_ssh

    def run_ssh_again_if_unanswered(self, command):
        for attempt in range(1, SSH_ATTEMPTS + 1):
            try:
                return run_ssh(self, command)
            except RuntimeError:
                if attempt == SSH_ATTEMPTS:
                    raise
                time.sleep(10)
        raise AssertionError("unreachable")

    SshBackend.run_ssh = run_ssh_again_if_unanswered


SSH_ATTEMPTS = 3
_retry_unanswered_ssh()

MOUNT = "/srv/services"


def serving(nodes):
    """The node whose group filesystem is mounted (the one that serves), or None."""
    for name, node in nodes.items():
        if node.run("findmnt -n %s", MOUNT).rc == 0:
            return name
    return None


def _node(host, name):
    import testinfra
    return testinfra.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def nodes(host):
    return {name: _node(host, name) for name in NODES}


# Tests that CI leaves to `tests/run-all.sh --full` (TWONODE_VERIFY=full): under emulation each costs
# minutes (the split brain runs status.yml and splitbrain.yml three times, the new-disk refusal a
# site.yml, the arbitrator two site.yml and three drills), CI's hour cannot hold them beside the power cut, and the decisions they check are
# unit-tested on output captured from this bed.
FULL_ONLY = ("test_a_disk_with_a_filesystem_is_refused_and_kept",
             "test_a_disk_in_the_wipe_list_is_erased_and_taken_once",
             "test_leftover_bytes_where_the_metadata_goes_are_refused",
             "test_a_new_disk_for_the_running_resource_is_refused_before_any_change",
             "test_a_split_brain_keeps_both_sides_until_told_which_to_drop",
             "test_the_arbitrator_is_added_to_the_running_pair",
             "test_drills_with_the_arbitrator_lose_nothing",
             "test_the_arbitrator_is_removed_from_the_running_pair",
             "test_the_pair_is_taken_apart_and_the_kept_node_serves_the_data",
             "test_a_dead_standby_is_replaced_by_a_new_server_that_gets_the_data",
             "test_a_running_server_is_adopted_and_its_data_mirrored")


def pytest_collection_modifyitems(config, items):
    # remove.yml leaves no cluster behind: its test runs after every other but the adoption, which starts from the
    # plain server it leaves.
    last = ("test_remove.py", "test_adopt.py")
    items.sort(key=lambda item: (last.index(os.path.basename(str(item.fspath))) + 1) if os.path.basename(str(item.fspath)) in last else 0)
    if os.environ.get("TWONODE_VERIFY") == "full":
        return
    skip = pytest.mark.skip(reason="run with tests/run-all.sh --full (TWONODE_VERIFY=full)")
    for item in items:
        if item.originalname in FULL_ONLY:
            item.add_marker(skip)


# What each VM looked like when a test failed, printed once at the end of the run: under emulation
# a failure is often a node reset (SBD) or a guest too busy to answer, and CI keeps only the output.
NODE_STATE = ("uptime; journalctl --list-boots --no-pager | tail -n 3; crm_mon -1 -r 2>&1 | head -n 30; "
              "drbdadm status 2>&1; "
              "journalctl -b -1 --no-pager -n 25 -p warning 2>/dev/null | tail -n 25; "
              "journalctl -b 0 --no-pager -n 25 -p warning | tail -n 25")


def pytest_terminal_summary(terminalreporter):
    if not terminalreporter.stats.get("failed"):
        return
    import subprocess
    for port, name in ((2221, "vm1"), (2222, "vm2")):
        cmd = ["ssh", "-q", "-p", str(port), "-i", VM_STATE + "/ssh/id_ed25519", "-o", "ConnectTimeout=30",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no", "root@127.0.0.1", NODE_STATE]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            text = out.stdout + out.stderr + ("" if out.returncode == 0 else "(ssh rc %d)" % out.returncode)
        except subprocess.TimeoutExpired:
            text = "no answer within 120 s"
        terminalreporter.write_sep("-", "%s after the failures" % name)
        terminalreporter.write_line(text)
