"""drbd_adopt: the switch on the server with the data, against a fake node; drbdmeta's refusal is the text it printed
on a 512 MiB ext4 that fills its disk (fixtures/adopt_captures.README)."""
import pytest

from ansible_collections.twonode.ha.plugins.modules import drbd_adopt

FSTAB = "UUID=1 / ext4 errors=remount-ro 0 1\n/dev/vdb /srv/services ext4 defaults 0 2\n# /dev/vdb /srv/services old\n"
NO_MD = (255, "", "No valid meta data found\n")


@pytest.fixture
def server(monkeypatch, tmp_path):
    """The server's fstab in a file of its own, and what is mounted at the mountpoint as the test says."""
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    monkeypatch.setattr(drbd_adopt, "FSTAB", str(fstab))
    mounted = {"now": "/dev/vdb"}
    monkeypatch.setattr(drbd_adopt, "mounted_at", lambda mountpoint: mounted["now"])
    return fstab, mounted


def answers(mounted, **override):
    """A server whose /dev/vdb holds the mounted ext4 and no DRBD metadata; each command moves `mounted` as it would."""
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
        "drbdadm get-gi r0": (255, "", ""),
        "systemctl stop nginx postfix": (0, "", ""),
        "umount /srv/services": umount,
        "drbdadm create-md --force r0": (0, "New drbd meta data block successfully created.\n", ""),
        "drbdadm up r0": (0, "", ""),
        "drbdadm primary --force r0": (0, "", ""),
        "blockdev --getsize64 /dev/drbd0": (0, "536817664\n", ""),
        "dumpe2fs -h /dev/drbd0": (0, "Block count:              131059\nBlock size:               4096\n", ""),
        "mount -t ext4 /dev/drbd0 /srv/services": mount,
        "mount -t ext4 /dev/vdb /srv/services": mount,
        "systemctl start nginx postfix": (0, "", ""),
        "drbdadm down r0": (0, "", ""),
    }
    found.update(override)
    return found


PARAMS = {"name": "r0", "disk": "/dev/vdb", "mountpoint": "/srv/services", "room": "external", "units": ["nginx", "postfix"]}
READS = ["drbdadm sh-dev r0", "drbdadm role r0", "drbdadm dstate r0", "blkid -p -o export /dev/vdb", "drbdadm get-gi r0"]


def test_the_switch_stops_moves_the_mount_to_drbd_and_starts_again(server, fake_node, run_module):
    fstab, mounted = server
    node = fake_node(answers(mounted))
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["changed"] and result["steps"] == ["stop", "umount", "create-md", "up", "primary-force", "mount", "fstab", "start"]
    assert node.calls == READS + ["systemctl stop nginx postfix", "umount /srv/services", "drbdadm create-md --force r0",
                                  "drbdadm up r0", "drbdadm primary --force r0", "blockdev --getsize64 /dev/drbd0",
                                  "dumpe2fs -h /dev/drbd0", "mount -t ext4 /dev/drbd0 /srv/services",
                                  "systemctl start nginx postfix"]
    assert mounted["now"] == "/dev/drbd0"
    assert result["downtime_seconds"] is not None and result["downtime_seconds"] < 5
    # The raw disk is never mounted at boot again; the other lines stay as they were.
    assert fstab.read_text() == ("UUID=1 / ext4 errors=remount-ro 0 1\n" + drbd_adopt.FSTAB_MARK
                                 + "/dev/vdb /srv/services ext4 defaults 0 2\n# /dev/vdb /srv/services old\n")


def test_check_mode_tells_the_steps_and_runs_only_reads(server, fake_node, run_module):
    fstab, mounted = server
    node = fake_node(answers(mounted))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="shrink", shrink_to_blocks=131059, _ansible_check_mode=True))
    assert result["steps"] == ["stop", "umount", "fsck", "shrink", "create-md", "up", "primary-force", "mount", "fstab", "start"]
    assert node.calls == READS and fstab.read_text() == FSTAB and mounted["now"] == "/dev/vdb"


def test_drbdmeta_refusing_puts_the_server_back(server, fake_node, run_module, fixture_text):
    fstab, mounted = server
    refused = (40, fixture_text("drbdmeta_v08_create_md_refused_fs_too_big.txt"), "")
    node = fake_node(answers(mounted, **{"drbdadm create-md --force r0": refused}))
    result = run_module(drbd_adopt, node, dict(PARAMS, room="free"))
    assert result["failed"] and result["step"] == "create-md"
    assert "Operation refused" in result["msg"] and "The server is back as it was" in result["msg"]
    # Mounted by type: the disk is mounted again as it was, the services started; fstab untouched.
    assert node.calls[-2:] == ["mount -t ext4 /dev/vdb /srv/services", "systemctl start nginx postfix"]
    assert "drbdadm up r0" not in node.calls and mounted["now"] == "/dev/vdb" and fstab.read_text() == FSTAB


def test_a_busy_mountpoint_is_reported_with_its_users_and_nothing_changes(server, fake_node, run_module):
    fstab, mounted = server
    node = fake_node(answers(mounted, **{
        "umount /srv/services": (32, "", "umount: /srv/services: target is busy.\n"),
        "fuser -vm /srv/services": (0, "", "/srv/services: root 812 ..c.. bash\n")}))
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["failed"] and result["step"] == "umount"
    assert "target is busy" in result["msg"] and "812 ..c.. bash" in result["msg"]
    assert node.calls[-1] == "systemctl start nginx postfix" and "drbdadm create-md --force r0" not in node.calls


def test_a_device_smaller_than_the_filesystem_is_never_mounted(server, fake_node, run_module):
    fstab, mounted = server
    node = fake_node(answers(mounted, **{"blockdev --getsize64 /dev/drbd0": (0, "536813568\n", "")}))
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["failed"] and result["step"] == "primary-force"
    assert "less than the 536817664 the ext4 on it takes" in result["msg"]
    assert node.calls[-3:] == ["drbdadm down r0", "mount -t ext4 /dev/vdb /srv/services", "systemctl start nginx postfix"]


def test_an_adopted_server_is_left_alone_and_a_cut_short_switch_goes_on(server, fake_node, run_module):
    fstab, mounted = server
    fstab.write_text("UUID=1 / ext4 errors=remount-ro 0 1\n")
    mounted["now"] = "/dev/drbd0"
    done = answers(mounted, **{"drbdadm role r0": (0, "Primary/Secondary\n", ""), "drbdadm dstate r0": (0, "UpToDate/Inconsistent\n", ""),
                               "blkid -p -o export /dev/vdb": (0, "TYPE=drbd\n", ""), "systemctl is-active --quiet nginx": (0, "", ""),
                               "systemctl is-active --quiet postfix": (0, "", "")})
    node = fake_node(done)
    result = run_module(drbd_adopt, node, PARAMS)
    assert result["changed"] is False and result["steps"] == [] and result["downtime_seconds"] is None
    # Stopped after create-md (metadata never used): up, forced primary, mount.
    mounted["now"] = None
    cut = answers(mounted, **{"drbdadm dstate r0": (0, "Inconsistent/DUnknown\n", ""), "drbdadm get-gi r0": (0, "0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0\n", "")})
    node = fake_node(cut)
    result = run_module(drbd_adopt, node, dict(PARAMS, room="resume"))
    assert result["steps"] == ["up", "primary-force", "mount", "start"]
    assert mounted["now"] == "/dev/drbd0"
