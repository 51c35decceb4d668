"""DRBD never goes over data: a disk that holds a filesystem is refused with nothing changed, and
taken only when the user lists it for wiping. Uses the VM bed's spare disk /dev/vdd on vm2 and a
throwaway resource that the cluster does not manage."""
import json
import tempfile

import pytest
from conftest import run_playbook
from testinfra.modules.ansible import AnsibleException

testinfra_hosts = ["vm2"]
SCRATCH = """resource scratch {
  on vm1 { device /dev/drbd9 minor 9; disk /dev/vdd; address ipv4 10.213.40.11:7799; meta-disk internal; }
  on vm2 { device /dev/drbd9 minor 9; disk /dev/vdd; address ipv4 10.213.40.12:7799; meta-disk internal; }
}
"""


def drbd_resource(host, **args):
    """The collection's module (state=up) on the node: (failed, result). testinfra hands back a
    failed module's result without its `failed` key; a success always says what the metadata is."""
    words = " ".join("%s=%s" % kv for kv in args.items())
    try:
        result = host.ansible("twonode.ha.drbd_resource", words, check=False, become=True)
    except AnsibleException as exc:
        result = exc.result
    return result.get("failed", "metadata" not in result), result


@pytest.fixture
def scratch(host):
    host.check_output("printf %s > /etc/drbd.d/scratch.res", SCRATCH)
    yield host
    host.run("drbdadm down scratch; rm -f /etc/drbd.d/scratch.res; wipefs -a /dev/vdd")


def test_a_disk_with_a_filesystem_is_refused_and_kept(scratch):
    scratch.check_output("mkfs.ext4 -q -F -L precious /dev/vdd")
    before = scratch.check_output("sha256sum /dev/vdd")
    failed, result = drbd_resource(scratch, name="scratch", disk="/dev/vdd")
    assert failed
    assert "/dev/vdd holds ext4 data (label precious)" in result["msg"]
    assert "drbd_wipe_disks" in result["msg"] and "Nothing was changed" in result["msg"]
    assert scratch.check_output("sha256sum /dev/vdd") == before
    assert scratch.run("drbdadm get-gi scratch").rc != 0


def test_a_disk_in_the_wipe_list_is_erased_and_taken_once(scratch):
    scratch.check_output("mkfs.ext4 -q -F -L expendable /dev/vdd")
    failed, result = drbd_resource(scratch, name="scratch", disk="/dev/vdd", wipe="true")
    assert not failed and result["changed"] and result["metadata"] == "wiped and created"
    assert scratch.check_output("drbdadm dstate scratch").startswith("Inconsistent/")
    assert "expendable" not in scratch.run("blkid -p /dev/vdd").stdout
    failed, again = drbd_resource(scratch, name="scratch", disk="/dev/vdd", wipe="true")
    assert not failed and not again["changed"] and again["metadata"] == "kept"


def test_leftover_bytes_where_the_metadata_goes_are_refused(scratch):
    # No signature blkid knows, but data at the end of the disk, where DRBD keeps its metadata.
    scratch.check_output("wipefs -a /dev/vdd && dd if=/dev/urandom of=/dev/vdd bs=1M count=1 seek=63 status=none")
    failed, result = drbd_resource(scratch, name="scratch", disk="/dev/vdd")
    assert failed and "drbdmeta found some" in result["msg"] and "Nothing was changed" in result["msg"]
    assert scratch.run("drbdadm get-gi scratch").rc != 0


def test_a_new_disk_for_the_running_resource_is_refused_before_any_change(host):
    """drbdadm adjust would detach /dev/vdb under the running resource; site.yml stops first."""
    config = host.check_output("sha256sum /etc/drbd.d/r0.res")
    moved = {"drbd_resources": [{"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdd",
                                 "resync_rate": "200M", "filesystem": "ext4"}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as extra:
        json.dump(moved, extra)
        extra.flush()
        result = run_playbook("-e", "@" + extra.name)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "DRBD resource r0 runs on vm2's disk /dev/vdb (UpToDate); drbd_resources now gives /dev/vdd" \
        in output, output[-3000:]
    assert "changed=1" not in output
    assert host.check_output("sha256sum /etc/drbd.d/r0.res") == config
    assert host.check_output("drbdadm dstate r0") == "UpToDate/UpToDate"
