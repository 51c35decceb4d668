"""DRBD 8.4's /proc/drbd captured on the VM bed (tests/bed/vms.sh; kernel 6.1, DRBD 8.4.11), and
DRBD 9's drbdsetup JSON in the format LINBIT's tools print (the bed's kernel has DRBD 8.4)."""
from ansible_collections.twonode.ha.plugins.module_utils.drbd import drbd_problems, mark_split_brains, \
    parse_drbdsetup_json, parse_proc_drbd


def test_84_healthy(fixture_text):
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_healthy.txt"), {0: "r0"})
    assert (vol["name"], vol["role"], vol["peer_role"], vol["disk"], vol["peer_disk"]) == \
        ("r0", "Primary", "Secondary", "UpToDate", "UpToDate")
    assert (vol["connection"], vol["replication"]) == ("Connected", "Established")
    assert drbd_problems([vol]) == []


def test_84_syncing_reports_progress(fixture_text):
    volumes = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"})
    assert len(volumes) == 1
    vol = volumes[0]
    assert (vol["connection"], vol["replication"], vol["sync_percent"], vol["sync_finish"]) == \
        ("Connected", "SyncSource", 29.0, "0:00:09")
    assert drbd_problems(volumes) == ["DRBD r0 is resynchronising (SyncSource) 29.0% done, about 0:00:09 left"]


def test_84_unconfigured_minors_are_skipped():
    assert parse_proc_drbd("version: 8.4.11 (api:1/proto:86-101)\n 1: cs:Unconfigured\n") == []


def test_84_disconnected(fixture_text):
    volumes = parse_proc_drbd(fixture_text("proc_drbd_84_disconnected.txt"))
    assert volumes[0]["name"] is None and volumes[0]["peer_disk"] == "DUnknown"
    assert drbd_problems(volumes) == [
        "DRBD minor 0 is not connected to its peer (WFConnection): writes are not mirrored"]


def test_9_syncing(fixture_text):
    (vol,) = parse_drbdsetup_json(fixture_text("drbdsetup_9_syncing.json"))
    assert (vol["name"], vol["role"], vol["peer_role"], vol["disk"], vol["peer_disk"]) == \
        ("r0", "Secondary", "Primary", "Inconsistent", "UpToDate")
    assert (vol["replication"], vol["sync_percent"]) == ("SyncTarget", 30.52)
    reasons = drbd_problems([vol])
    assert reasons == ["DRBD r0 is resynchronising (SyncTarget) 30.5% done",
                       "DRBD r0: the local disk is Inconsistent"]


def test_84_out_of_sync_is_read(fixture_text):
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_disconnected.txt"))
    assert vol["out_of_sync_kib"] == 0
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"})
    assert vol["out_of_sync_kib"] > 0


def test_9_out_of_sync_is_read(fixture_text):
    (vol,) = parse_drbdsetup_json(fixture_text("drbdsetup_9_syncing.json"))
    assert vol["out_of_sync_kib"] == 182140


def test_the_standby_side_of_a_split_brain(fixture_text):
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_split_brain_secondary.txt"), {0: "r0"})
    assert (vol["connection"], vol["role"], vol["disk"], vol["out_of_sync_kib"]) == ("StandAlone", "Secondary", "UpToDate", 76)


def test_a_mark_on_a_connected_resource_is_history(fixture_text):
    volumes = parse_proc_drbd(fixture_text("proc_drbd_84_healthy.txt"), {0: "r0"})
    assert mark_split_brains(volumes, {"r0": "2026-12-03T14:00:00Z"})[0]["split_brain"] is None
