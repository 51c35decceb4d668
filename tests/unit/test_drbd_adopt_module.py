"""drbd_adopt: the switch on the server with the data, against a fake node; drbdmeta's refusal is the text it printed
on a 512 MiB ext4 that fills its disk, its success the text it printed on the same filesystem shrunk by 13 blocks
(fixtures/adopt_captures.README)."""
import pytest

from ansible_collections.twonode.ha.plugins.modules import drbd_adopt

FSTAB = "UUID=1 / ext4 errors=remount-ro 0 1\n/dev/vdb /srv/services ext4 defaults 0 2\n# /dev/vdb /srv/services old\n"
# drbdadm's reads of a resource that is down go to drbdmeta: on a disk with no metadata it says so.
NO_MD = (255, "", "No valid meta data found\n")
FRESH_GI = "0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0\n"


@pytest.fixture
def server(monkeypatch, tmp_path):
    """The server's fstab in a file of its own, what is mounted at the mountpoint as the test says, and no other
    holder of the disks."""
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    monkeypatch.setattr(drbd_adopt, "FSTAB", str(fstab))
    mounted = {"now": "/dev/vdb"}
    monkeypatch.setattr(drbd_adopt, "mounted_at", lambda mountpoint: mounted["now"])
    monkeypatch.setattr(drbd_adopt, "held_open", lambda path: False)
    return fstab, mounted


def answers(mounted, fixture_text, **override):
    """A server whose /dev/vdb holds the mounted ext4 and no DRBD metadata; mount and umount move `mounted` as they would."""
    def umount(args):
        mounted["now"] = None
        return 0, "", ""

    def mount(args):
        mounted["now"] = args[-2]
        return 0, "", ""
    found = {
        "drbdadm sh-dev r0": (0, "/dev/drbd0\n", ""),
        "drbdadm role r0": (10, "", "r0: no such resource\n"),
        "drbdadm dstate r0": NO_MD,
        "blkid -p -o export /dev/vdb": (0, "DEVNAME=/dev/vdb\nTYPE=ext4\n", ""),
        "drbdadm get-gi r0": NO_MD,
        "systemctl stop nginx postfix": (0, "", ""),
        "umount /srv/services": umount,
        "systemctl daemon-reload": (0, "", ""),
        "drbdadm create-md --force r0": (0, fixture_text("drbdmeta_v08_create_md_fs_shrunk_fits.txt"), ""),
        "drbdadm create-md r0": (0, "New drbd meta data block successfully created.\n", ""),
        "drbdadm up r0": (0, "", ""),
        "drbdadm primary --force r0": (0, "", ""),
        "blockdev --getsize64 /dev/drbd0": (0, "536817664\n", ""),
        "dumpe2fs -h /dev/drbd0": (0, "Block count:              131059\nBlock size:               4096\n", ""),
        "mount -t ext4 /dev/drbd0 /srv/services": mount,
        "mount -t ext4 /dev/vdb /srv/services": mount,
        "systemctl disable --quiet nginx postfix": (0, "", ""),
        "systemctl start nginx postfix": (0, "", ""),
        "drbdadm down r0": (0, "", ""),
        "drbdadm -- --force wipe-md r0": (0, "", ""),
    }
    found.update(override)
    return found


PARAMS = {"name": "r0", "disk": "/dev/vdb", "mountpoint": "/srv/services", "room": "external", "units": ["nginx", "postfix"]}
READS = ["drbdadm sh-dev r0", "drbdadm role r0", "drbdadm dstate r0", "blkid -p -o export /dev/vdb", "drbdadm get-gi r0"]


def test_the_switch_stops_moves_the_mount_to_drbd_and_starts_again(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    node = fake_node(answers(mounted, fixture_text))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["changed"] and result["steps"] == ["stop", "umount", "fstab", "create-md", "up", "primary-force", "mount",
                                                     "start", "disable"]
    # systemd is told of the new fstab and the services' boot start goes after they run again: out of the downtime.
    assert node.calls == READS + ["systemctl stop nginx postfix", "umount /srv/services",
                                  "drbdadm create-md --force r0", "drbdadm up r0", "drbdadm primary --force r0",
                                  "blockdev --getsize64 /dev/drbd0", "dumpe2fs -h /dev/drbd0", "mount -t ext4 /dev/drbd0 /srv/services",
                                  "systemctl start nginx postfix", "systemctl daemon-reload", "systemctl disable --quiet nginx postfix"]
    # Internal metadata: drbdmeta's question (the filesystem ends before the metadata) takes no answer from a stdin
    # that is no terminal ("stdin not a TTY, not waiting for confirmation", seen on the VM bed): --force gives it.
    assert "drbdadm create-md r0" not in node.calls
    # The reads of a resource that is down answer drbdmeta's question about a disk in use with no.
    assert node.stdin["drbdadm dstate r0"] == ["no\n"]
    assert mounted["now"] == "/dev/drbd0"
    assert result["downtime_seconds"] is not None and result["downtime_seconds"] < 5
    # The raw disk is never mounted at boot again; the other lines stay as they were.
    assert fstab.read_text() == ("UUID=1 / ext4 errors=remount-ro 0 1\n" + drbd_adopt.FSTAB_MARK
                                 + "/dev/vdb /srv/services ext4 defaults 0 2\n# /dev/vdb /srv/services old\n")


def test_external_metadata_gives_drbdmeta_nothing_to_say_yes_to(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    node = fake_node(answers(mounted, fixture_text, **{"blkid -p -o export /dev/vdd": (2, "", "")}))
    result = run_module(drbd_adopt, node, dict(PARAMS, meta_disk="/dev/vdd"))
    assert not result.get("failed") and node.stdin["drbdadm create-md r0"] == ["no\n"]
    assert "blkid -p -o export /dev/vdd" in node.calls


def test_check_mode_tells_the_steps_and_runs_only_reads(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    node = fake_node(answers(mounted, fixture_text))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="shrink", shrink_to_blocks=131059, _ansible_check_mode=True))
    assert result["steps"] == ["stop", "umount", "fstab", "fsck", "shrink", "create-md", "up", "primary-force", "mount", "start", "disable"]
    assert node.calls == READS and fstab.read_text() == FSTAB and mounted["now"] == "/dev/vdb"


def test_drbdmeta_refusing_puts_the_server_back(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    refused = (40, fixture_text("drbdmeta_v08_create_md_refused_fs_too_big.txt"), "")
    node = fake_node(answers(mounted, fixture_text, **{"drbdadm create-md --force r0": refused}))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["failed"] and result["step"] == "create-md"
    assert result["msg"].startswith("The switch stopped at create-md: drbdadm create-md r0 refused (rc 40): ")
    assert "Operation refused" in result["msg"]
    assert result["msg"].endswith("The server is back as it was: /dev/vdb mounted at /srv/services, the services started.")
    # fstab as it was, the disk mounted again by type, the services started; DRBD never came up.
    assert node.calls[-3:] == ["systemctl daemon-reload", "mount -t ext4 /dev/vdb /srv/services", "systemctl start nginx postfix"]
    assert "drbdadm up r0" not in node.calls and "drbdadm -- --force wipe-md r0" not in node.calls
    assert mounted["now"] == "/dev/vdb" and fstab.read_text() == FSTAB


def test_a_failure_after_the_metadata_removes_it_and_a_rerun_starts_afresh(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    small = {"blockdev --getsize64 /dev/drbd0": (0, "536813568\n", "")}
    node = fake_node(answers(mounted, fixture_text, **small))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["failed"] and result["step"] == "primary-force"
    assert "less than the 536817664 the ext4 on it takes" in result["msg"]
    assert node.calls[-5:] == ["drbdadm down r0", "drbdadm -- --force wipe-md r0", "systemctl daemon-reload",
                               "mount -t ext4 /dev/vdb /srv/services", "systemctl start nginx postfix"]
    assert fstab.read_text() == FSTAB
    # The metadata is gone: a second run plans the whole switch again.
    node = fake_node(answers(mounted, fixture_text))
    assert run_module(drbd_adopt, node, dict(PARAMS, room="free"))["steps"][:3] == ["stop", "umount", "fstab"]


def test_metadata_that_could_not_be_removed_is_named_and_stops_a_rerun(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    node = fake_node(answers(mounted, fixture_text, **{"mount -t ext4 /dev/drbd0 /srv/services": (32, "", "wrong fs type\n"),
                                                       "drbdadm -- --force wipe-md r0": (20, "", "Exclusive open failed\n")}))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["msg"].endswith("Left as this run made it: DRBD's metadata made by this run (drbdadm -- --force wipe-md r0 "
                                  "removes it; the filesystem is untouched).")
    # The next run finds the disk mounted with metadata on it, and says what to do.
    rerun = answers(mounted, fixture_text, **{"blkid -p -o export /dev/vdb": (0, "TYPE=drbd\n", "")})
    result = run_module(drbd_adopt, fake_node(rerun), dict(PARAMS, room="free"))
    assert result["failed"] and "carries DRBD metadata from a switch that did not finish" in result["msg"]
    assert result["msg"].endswith("Nothing was changed.")


def test_a_mount_that_fails_while_putting_back_leaves_the_services_stopped(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    node = fake_node(answers(mounted, fixture_text, **{"drbdadm up r0": (10, "", "Failure: (114) Lower device is already claimed\n"),
                                                       "mount -t ext4 /dev/vdb /srv/services": (32, "", "mount: /dev/vdb busy\n")}))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["failed"] and result["step"] == "up"
    assert "Putting the server back failed: /dev/vdb could not be mounted at /srv/services again (mount: /dev/vdb busy): " \
           "the services stay stopped." in result["msg"]
    assert "systemctl start nginx postfix" not in node.calls
    # up failed half way: it is taken down all the same.
    assert "drbdadm down r0" in node.calls


def test_a_busy_mountpoint_is_reported_with_its_users_and_nothing_changes(server, fake_node, run_module, fixture_text, monkeypatch):
    fstab, mounted = server
    monkeypatch.setattr(drbd_adopt.time, "sleep", lambda seconds: None)
    node = fake_node(answers(mounted, fixture_text, **{
        "umount /srv/services": (32, "", "umount: /srv/services: target is busy.\n"),
        "fuser -vm /srv/services": (0, "", "/srv/services: root 812 ..c.. bash\n")}))
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["failed"] and result["step"] == "umount"
    assert "target is busy" in result["msg"] and "812 ..c.. bash" in result["msg"]
    assert node.calls[-1] == "systemctl start nginx postfix" and "drbdadm create-md --force r0" not in node.calls
    assert node.calls.count("umount /srv/services") == 3
    assert fstab.read_text() == FSTAB


def test_a_mountpoint_let_go_a_moment_later_is_unmounted(server, fake_node, run_module, fixture_text, monkeypatch):
    fstab, mounted = server
    monkeypatch.setattr(drbd_adopt.time, "sleep", lambda seconds: None)

    tries = []

    def umount_second_time(args):
        tries.append(1)
        if len(tries) == 1:
            return 32, "", "umount: /srv/services: target is busy.\n"
        mounted["now"] = None
        return 0, "", ""
    node = fake_node(answers(mounted, fixture_text, **{"umount /srv/services": umount_second_time}))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert not result.get("failed") and mounted["now"] == "/dev/drbd0"


def test_a_disk_still_held_after_the_unmount_gets_no_metadata(server, fake_node, run_module, fixture_text, monkeypatch):
    fstab, mounted = server
    monkeypatch.setattr(drbd_adopt, "held_open", lambda path: True)
    node = fake_node(answers(mounted, fixture_text))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["failed"] and "/dev/vdb is still in use after the unmount" in result["msg"]
    assert "drbdadm create-md --force r0" not in node.calls and mounted["now"] == "/dev/vdb"


def test_an_adopted_server_is_left_alone_and_a_cut_short_switch_goes_on(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    fstab.write_text("UUID=1 / ext4 errors=remount-ro 0 1\n")
    mounted["now"] = "/dev/drbd0"
    done = answers(mounted, fixture_text, **{
        "drbdadm role r0": (0, "Primary/Secondary\n", ""), "drbdadm dstate r0": (0, "UpToDate/Inconsistent\n", ""),
        "drbdadm cstate r0": (0, "SyncSource\n", ""), "blkid -p -o export /dev/vdb": (0, "TYPE=drbd\n", ""),
        "systemctl is-enabled --quiet nginx": (1, "", ""), "systemctl is-enabled --quiet postfix": (1, "", ""),
        "systemctl is-active --quiet nginx": (0, "", ""), "systemctl is-active --quiet postfix": (0, "", "")})
    node = fake_node(done)
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["changed"] is False and result["steps"] == [] and result["downtime_seconds"] is None
    # Stopped after create-md (metadata never used): up, forced primary, mount.
    mounted["now"] = None
    cut = answers(mounted, fixture_text, **{"drbdadm dstate r0": (0, "Inconsistent/DUnknown\n", ""),
                                            "drbdadm get-gi r0": (0, FRESH_GI, "")})
    node = fake_node(cut)
    result = run_module(drbd_adopt, node, dict(PARAMS, room="resume"))
    assert result["steps"] == ["up", "primary-force", "mount", "start", "disable"]
    assert mounted["now"] == "/dev/drbd0"


def test_a_secondary_connected_to_a_primary_is_no_switch_to_finish(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    mounted["now"] = None
    after_failover = answers(mounted, fixture_text, **{
        "drbdadm role r0": (0, "Secondary/Primary\n", ""), "drbdadm dstate r0": (0, "UpToDate/UpToDate\n", ""),
        "drbdadm cstate r0": (0, "Connected\n", ""), "blkid -p -o export /dev/vdb": (0, "TYPE=ext4\n", "")})
    node = fake_node(after_failover)
    result = run_module(drbd_adopt, node, dict(PARAMS, room="resume"))
    assert result["failed"] and "the standby took part already" in result["msg"]
    assert node.calls == READS[:3] + ["drbdadm cstate r0"] + READS[3:]


def test_drbdmeta_asking_about_an_external_metadata_disk_is_a_refusal(server, fake_node, run_module, fixture_text):
    """Without --force drbdmeta answers its own question no when stdin is not a terminal (captured on the VM bed):
    on an external metadata disk any question means something is there, and the server is put back."""
    fstab, mounted = server
    asked = (1, fixture_text("drbdmeta_v08_create_md_stdin_not_tty.txt"), "")
    node = fake_node(answers(mounted, fixture_text, **{"blkid -p -o export /dev/vdd": (2, "", ""), "drbdadm create-md r0": asked}))
    result = run_module(drbd_adopt, node, dict(PARAMS, meta_disk="/dev/vdd"))
    assert result["failed"] and result["step"] == "create-md" and "stdin not a TTY" in result["msg"]
    assert mounted["now"] == "/dev/vdb" and "drbdadm up r0" not in node.calls
