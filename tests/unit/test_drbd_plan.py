"""DRBD planning: inventory checks, the metadata decision and the first-sync decision.
blkid and get-gi texts were captured on the VM bed (DRBD 8.4.11, drbd-utils 9.22)."""
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import (
    describe_signature,
    drbd_resource_in,
    disk_change_error,
    first_sync_action,
    metadata_action,
    parse_blkid_export,
    parse_get_gi,
    resource_errors,
    split_brain_plan,
)

NODES = [{"name": "vm1", "address": "10.213.40.11"}, {"name": "vm2", "address": "10.213.40.12"}]
R0 = {"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdb"}
FRESH_GI = "0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0:0:0:0:0:0\n"
USED_GI = "42E00B576D30A720:23E824B3FC884EA5:0000000000000004:0000000000000000:1:1:0:1:0:1:0\n"


def test_a_plain_resource_is_accepted():
    assert resource_errors([R0, dict(R0, name="r1", minor=1, port=7790, disk={"vm1": "/dev/sdb", "vm2": "/dev/sdc"},
                                     protocol="A", resync_rate="40960K", filesystem="xfs")], NODES) == []


@pytest.mark.parametrize("change, words", [
    ({"name": "r 0"}, "not a valid DRBD resource name"),
    ({"minor": -1}, "minor must be"),
    ({"minor": True}, "minor must be"),
    ({"port": 80}, "port must be"),
    ({"disk": "vdb"}, "no backing disk for node vm1"),
    ({"disk": {"vm1": "/dev/vdb"}}, "no backing disk for node vm2"),
    ({"disk": {"vm1": "/dev/vdb", "vm2": "/dev/vdb", "vm3": "/dev/vdb"}}, "not in this pair: vm3"),
    ({"protocol": "D"}, "protocol must be A"),
    ({"resync_rate": "fast"}, "not a rate"),
    ({"filesystem": "btrfs"}, "filesystem must be one of"),
    ({"meta_disk": "vdd"}, "meta_disk for node vm1 must be internal or a /dev path (got 'vdd')"),
    ({"meta_disk": "/dev/vdb"}, "meta_disk for node vm1 is its backing disk /dev/vdb"),
    ({"meta_disk": {"vm1": "/dev/vdd", "vm3": "/dev/vdd"}}, "meta_disk names nodes that are not in this pair: vm3"),
])
def test_bad_resources_are_named(change, words):
    errors = resource_errors([dict(R0, **change)], NODES)
    assert errors and words in errors[0], errors


def test_external_metadata_is_a_disk_of_its_own_on_each_node():
    r1 = dict(R0, name="r1", minor=1, port=7790, disk="/dev/vdc", meta_disk={"vm1": "/dev/vde", "vm2": "internal"})
    assert resource_errors([dict(R0, meta_disk="/dev/vdd"), r1], NODES) == []
    errors = resource_errors([dict(R0, meta_disk="/dev/vdd"), dict(R0, name="r1", minor=1, port=7790, disk="/dev/vdd")], NODES)
    assert errors == ["DRBD resource 'r0': meta_disk /dev/vdd on node vm1 is also used by 'r1' (one external metadata disk "
                      "per resource)", "DRBD resource 'r0': meta_disk /dev/vdd on node vm2 is also used by 'r1' (one external "
                      "metadata disk per resource)"]


def test_minors_ports_and_names_are_unique():
    errors = resource_errors([R0, dict(R0, name="r1"), dict(R0)], NODES)
    assert any("minor 0 is already used by 'r0'" in e for e in errors)
    assert any("port 7789 is already used by 'r0'" in e for e in errors)
    assert any("'r0' is defined twice" in e for e in errors)


def test_a_pair_needs_two_nodes_with_addresses():
    assert "exactly two nodes" in resource_errors([R0], NODES[:1])[0]
    assert "no replication address" in resource_errors([R0], [NODES[0], {"name": "vm2", "address": ""}])[0]


def test_blkid_output_is_described(fixture_text):
    assert describe_signature(parse_blkid_export(fixture_text("blkid_ext4.txt"))) == "ext4 data (label precious)"
    assert describe_signature(parse_blkid_export(fixture_text("blkid_drbd_metadata.txt"))) == "drbd data"
    assert describe_signature(parse_blkid_export("DEVNAME=/dev/sdb\nPTUUID=ab\nPTTYPE=gpt\n")) == "a gpt partition table"
    assert describe_signature({}) == ""


def test_metadata_goes_only_on_an_empty_disk():
    assert metadata_action(True, "ext4 data", False, "/dev/vdb")[0] == "keep"
    assert metadata_action(False, "", False, "/dev/vdb")[0] == "create"
    action, reason = metadata_action(False, "ext4 data (label precious)", False, "/dev/vdb")
    assert action == "refuse" and "ext4 data (label precious)" in reason and "drbd_wipe_disks" in reason
    action, reason = metadata_action(False, "ext4 data", True, "/dev/vdb")
    assert action == "wipe" and "erased" in reason


def test_a_mounted_disk_is_refused_even_in_the_wipe_list():
    assert metadata_action(False, "ext4 data", True, "/dev/vdb", mounted=True)[0] == "refuse"
    assert metadata_action(False, "", False, "/dev/vdb", mounted=True)[0] == "refuse"


def test_generation_ids_are_read():
    assert parse_get_gi(FRESH_GI) == "0000000000000004"
    assert parse_get_gi(USED_GI) == "42E00B576D30A720"
    assert parse_get_gi("No valid meta data found\n") is None


def test_a_brand_new_pair_gets_one_sync_source_and_a_filesystem():
    steps, reason = first_sync_action("Inconsistent", "Inconsistent", "Connected", parse_get_gi(FRESH_GI), "", "ext4")
    assert steps == ["primary", "mkfs", "secondary"] and "brand-new" in reason
    assert first_sync_action("Inconsistent", "Inconsistent", "Connected", "0000000000000004", "", "none")[0] == \
        ["primary", "secondary"]


def test_a_filesystem_already_there_is_kept():
    assert first_sync_action("Inconsistent", "Inconsistent", "Connected", "0000000000000004", "ext4 data", "ext4")[0] \
        == ["primary", "secondary"]


@pytest.mark.parametrize("local, peer, connection", [
    ("UpToDate", "UpToDate", "Connected"),
    ("UpToDate", "Inconsistent", "SyncSource"),
    ("Inconsistent", "UpToDate", "SyncTarget"),
    ("UpToDate", "DUnknown", "WFConnection"),
])
def test_a_pair_with_a_good_copy_is_left_alone(local, peer, connection):
    assert first_sync_action(local, peer, connection, "42E00B576D30A720", "ext4 data", "ext4")[0] == []


def test_no_first_sync_without_the_peer():
    with pytest.raises(ValueError, match="not connected"):
        first_sync_action("Inconsistent", "DUnknown", "WFConnection", "0000000000000004", "", "ext4")


def test_a_node_behind_its_absent_peer_waits_for_it():
    steps, reason = first_sync_action("Inconsistent", "DUnknown", "WFConnection", "42E00B576D30A720", "", "ext4")
    assert steps == [] and "behind" in reason


def test_inconsistent_disks_with_history_are_left_to_the_administrator():
    with pytest.raises(ValueError, match="has history"):
        first_sync_action("Inconsistent", "Inconsistent", "Connected", parse_get_gi(USED_GI), "", "ext4")


def test_metadata_presence_never_misses_a_live_drbd_disk(fixture_text):
    """`drbdadm dstate` on a resource that is down, as captured: "Inconsistent" (rc 0) with metadata,
    "No valid meta data found" (rc 1) without."""
    from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import metadata_present
    drbd_signature = parse_blkid_export(fixture_text("blkid_drbd_metadata.txt"))
    assert metadata_present(0, "Inconsistent\n", False, {}) is True
    assert metadata_present(10, "", True, {}) is True
    # The probe fails for another reason, but blkid sees DRBD's signature: metadata, never a wipe.
    assert metadata_present(20, "", False, drbd_signature) is True
    assert metadata_present(1, "No valid meta data found\n", False, {}) is False
    assert metadata_present(1, "No valid meta data found\n", False, parse_blkid_export(
        fixture_text("blkid_ext4.txt"))) is False
    with pytest.raises(ValueError, match="cannot tell"):
        metadata_present(1, "", False, {})


def test_without_generation_ids_only_metadata_made_on_both_nodes_counts_as_new():
    assert first_sync_action("Inconsistent", "Inconsistent", "Connected", None, "", "ext4", True)[0] == \
        ["primary", "mkfs", "secondary"]
    with pytest.raises(ValueError, match="cannot be read"):
        first_sync_action("Inconsistent", "Inconsistent", "Connected", None, "", "ext4", False)


# What the drbd role's probe prints on a node: configured disk, `drbdadm dstate`, wanted disk.
@pytest.mark.parametrize("probe", [
    "/dev/vdb\nUpToDate/UpToDate\n/dev/vdb\n",        # nothing changes
    "/dev/vdb\nUpToDate\n/dev/vdb\n",                 # DRBD 9 prints the local state alone
    "\n\n/dev/vdb\n",                                 # a new resource (no configuration yet)
    "/dev/vdb\nDiskless/UpToDate\n/dev/vdd\n",        # not attached here: nothing to detach
    "/dev/vdb\nUnconfigured\n/dev/vdd\n",             # down on this node
    "",                                               # the probe said nothing
    "/dev/vdb\nUpToDate/UpToDate\n/dev/vdb\n/dev/vdd\n/dev/vdd\n",  # external metadata, as it is
    "/dev/vdb\nDiskless/UpToDate\n/dev/vdb\n/dev/vdb\n/dev/vdd\n",  # not attached: the metadata may move
])
def test_a_backing_disk_may_change_only_where_the_resource_does_not_run(probe):
    assert disk_change_error("r0", "vm1", probe) is None


@pytest.mark.parametrize("dstate", ["UpToDate/UpToDate", "Inconsistent/UpToDate", "UpToDate/DUnknown", "Outdated"])
def test_a_new_backing_disk_for_a_running_resource_is_refused(dstate):
    error = disk_change_error("r0", "vm1", "/dev/vdb\n%s\n/dev/vdd\n" % dstate)
    assert error.startswith("DRBD resource r0 runs on vm1's disk /dev/vdb (%s); drbd_resources now gives "
                            "/dev/vdd" % dstate.split("/")[0])
    assert "drbdadm down r0" in error


def test_new_metadata_disk_for_a_running_resource_is_refused():
    # meta_disk given to a resource that runs on internal metadata: sh-md-dev names the data disk itself.
    error = disk_change_error("r0", "vm1", "/dev/vdb\nUpToDate/UpToDate\n/dev/vdb\n/dev/vdb\n/dev/vdd\n")
    assert error.startswith("DRBD resource r0 keeps its metadata on vm1's /dev/vdb (UpToDate); drbd_resources now gives /dev/vdd.")
    assert "drbdadm down r0" in error


def _volume(role, disk, connection, name="r0"):
    return {"name": name, "minor": 0, "volume": 0, "role": role, "peer_role": "Unknown", "disk": disk,
            "peer_disk": "DUnknown", "connection": connection, "replication": None, "sync_percent": None,
            "sync_finish": None, "out_of_sync_kib": 8, "split_brain": "2026-12-03T14:00:00Z"}


def test_split_brain_drops_the_named_side_only():
    plan = split_brain_plan({"vm1": [_volume("Primary", "UpToDate", "StandAlone")],
                             "vm2": [_volume("Secondary", "UpToDate", "StandAlone")]}, "r0", "vm2")
    assert plan["refused"] == [] and plan["needed"] and plan["survivor"] == "vm1"
    assert plan["victim_commands"] == [["drbdadm", "secondary", "r0"], ["drbdadm", "connect", "--discard-my-data", "r0"]]
    assert plan["survivor_commands"] == [["drbdadm", "connect", "r0"]]


def test_split_brain_victim_still_trying_to_connect_is_disconnected_first():
    plan = split_brain_plan({"vm1": [_volume("Primary", "UpToDate", "WFConnection")],
                             "vm2": [_volume("Secondary", "UpToDate", "WFConnection")]}, "r0", "vm2")
    assert plan["victim_commands"][0] == ["drbdadm", "disconnect", "r0"]
    assert plan["survivor_commands"] == []


def test_split_brain_refuses_to_drop_the_serving_side():
    plan = split_brain_plan({"vm1": [_volume("Primary", "UpToDate", "StandAlone")],
                             "vm2": [_volume("Secondary", "UpToDate", "StandAlone")]}, "r0", "vm1")
    assert plan["victim_commands"] == [] and plan["survivor_commands"] == []
    assert plan["refused"][0].startswith("vm1 is primary for r0 (it serves the data)")


def test_split_brain_refuses_without_a_good_copy_or_a_known_node():
    plan = split_brain_plan({"vm1": [_volume("Secondary", "Outdated", "StandAlone")],
                             "vm2": [_volume("Secondary", "UpToDate", "StandAlone")]}, "r0", "vm2")
    assert plan["refused"] == ["vm1's disk for r0 is Outdated, not UpToDate: dropping vm2's writes would leave no good copy"]
    assert split_brain_plan({"vm1": [], "vm2": []}, "r0", "vm3")["refused"] == [
        "discard=vm3 is not a node of this pair (vm1, vm2)"]
    assert "node vm2 does not report DRBD resource r0" in split_brain_plan(
        {"vm1": [_volume("Secondary", "UpToDate", "StandAlone")], "vm2": []}, "r0", "vm1")["refused"][0]


def test_split_brain_nothing_to_do_when_connected():
    plan = split_brain_plan({"vm1": [_volume("Primary", "UpToDate", "Connected")],
                             "vm2": [_volume("Secondary", "UpToDate", "Connected")]}, "r0", "vm2")
    assert (plan["needed"], plan["refused"], plan["victim_commands"]) == (False, [], [])


def test_a_drbd_resource_pacemaker_runs_is_found_by_its_parameter(fixture_text):
    resources = ET.fromstring(fixture_text("cib_p2_services_running.xml")).find("configuration/resources")
    assert not drbd_resource_in(resources, "r0")
    # ocf:linbit:drbd as resources_plan configures it; the attribute order does not matter.
    resources.append(ET.fromstring(
        '<clone id="services-drbd-clone"><primitive id="services-drbd" class="ocf" provider="linbit" type="drbd">'
        '<instance_attributes id="services-drbd-instance_attributes"><nvpair value="r0" '
        'id="services-drbd-instance_attributes-drbd_resource" name="drbd_resource"/></instance_attributes>'
        '</primitive></clone>'))
    assert drbd_resource_in(resources, "r0")
    assert not drbd_resource_in(resources, "r1")
