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
    assert vol["sync_rate_kib"] == 37632 and vol["full_sync"] is None
    assert drbd_problems(volumes) == ["DRBD r0 is resynchronising (SyncSource) 29.0% done, 36.8 MiB/s, about 9 s left"]


def test_84_a_resync_of_the_whole_device_is_the_first_mirror(fixture_text):
    # The VM bed's r0: 512 MiB less 52 KiB of metadata, all of it to copy ("(373708/524236)K").
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"}, {0: 524236})
    assert vol["full_sync"] is True
    assert drbd_problems([vol]) == ["DRBD r0: first mirror 29.0 % (the whole disk, to the peer), 36.8 MiB/s, about 9 s left"]
    # A node back after an outage catches up on what it missed: a resync, not a first mirror.
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt").replace("373708/524236", "3708/9236"), {0: "r0"}, {0: 524236})
    assert vol["full_sync"] is False and drbd_problems([vol])[0].startswith("DRBD r0 is resynchronising (SyncSource)")
    # A large resync is counted in MiB.
    text = fixture_text("proc_drbd_84_syncing.txt").replace("(373708/524236)K", "(1398100/2097151)M")
    (vol,) = parse_proc_drbd(text.replace("finish: 0:00:09", "finish: 2:10:05"), {0: "r0"}, {0: 2147483596})
    assert vol["full_sync"] is True and drbd_problems([vol])[0].endswith("about 2 h 10 min left")


def test_time_left_is_said_as_a_person_says_it():
    from ansible_collections.twonode.ha.plugins.module_utils.drbd import human_duration
    assert [human_duration(t) for t in ("2:10:05", "0:12:40", "0:12:10", "0:00:09", "soon")] == [
        "2 h 10 min", "13 min", "12 min", "9 s", "soon"]


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


def test_a_detached_disk_is_named_on_both_sides(fixture_text):
    # Derived from the healthy capture (ds: as DRBD 8.4 writes it after on-io-error detach); not captured yet.
    text = fixture_text("proc_drbd_84_healthy.txt").replace("ds:UpToDate/UpToDate", "ds:Diskless/UpToDate")
    (vol,) = parse_proc_drbd(text, {0: "r0"})
    assert drbd_problems([vol]) == [
        "DRBD r0: this node's backing disk is detached (failed, or taken out by hand): it reads and writes through the "
        "peer's disk, which holds the only copy; a new disk in its place gets the data back from the peer"]
    (vol,) = parse_proc_drbd(text.replace("ds:Diskless/UpToDate", "ds:UpToDate/Diskless"), {0: "r0"})
    assert drbd_problems([vol]) == [
        "DRBD r0: the peer's backing disk is detached (failed, or taken out by hand): this node holds the only copy; "
        "a new disk on the peer gets the data back from this node"]


def test_the_first_mirror_of_an_adopted_server_reads_as_such(fixture_text):
    # Captured on vm1 during adopt.yml, with the device's size from /sys/block/drbd0/size (1048472 sectors).
    (vol,) = parse_proc_drbd(fixture_text("proc_drbd_84_first_mirror_adopted.txt"), {0: "r0"}, {0: 1048472 // 2})
    assert drbd_problems([vol]) == ["DRBD r0: first mirror 18.0 % (the whole disk, to the peer), 22.5 MiB/s, about 18 s left"]
