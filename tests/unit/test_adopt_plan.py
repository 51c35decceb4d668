"""Adopting a server that runs (issue 18): the room for DRBD's metadata and the choice of the sync source,
on dumpe2fs, resize2fs -P, drbdmeta, blkid and vgs output captured on 512 MiB disks (fixtures/adopt_captures.README)."""
import pytest

from ansible_collections.twonode.ha.plugins.module_utils import adopt_plan as adopt
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import parse_blkid_export

MIB = 1024 * 1024
SIZE = 512 * MIB


def test_the_metadata_size_is_what_drbdmeta_leaves(fixture_text):
    # drbdmeta on the 512 MiB disk: "524236 kB left usable by current configuration".
    assert "524236 kB left usable" in fixture_text("drbdmeta_v08_create_md_refused_fs_too_big.txt")
    assert adopt.usable_bytes(SIZE) == 524236 * 1024
    assert adopt.metadata_bytes(SIZE) == 52 * 1024
    # One more 4 KiB bitmap block for each 128 MiB begun; DRBD 9 keeps a bitmap per peer slot.
    assert adopt.metadata_bytes(SIZE + 1) == 56 * 1024
    assert adopt.metadata_bytes(SIZE, drbd_major=9, peers=2) == 68 * 1024
    assert adopt.metadata_bytes(SIZE, drbd_major=8, peers=2) == 52 * 1024


def test_the_parsers_read_the_captured_output(fixture_text):
    assert adopt.parse_dumpe2fs(fixture_text("dumpe2fs_h_ext4_512m_bookworm.txt")) == {
        "block_count": 131072, "block_size": 4096, "state": "clean"}
    with pytest.raises(ValueError):
        adopt.parse_dumpe2fs("dumpe2fs: Bad magic number in super-block")
    assert adopt.parse_resize2fs_minimum(fixture_text("resize2fs_P_ext4_512m_bookworm.txt")) == 32041
    assert adopt.parse_resize2fs_minimum("resize2fs: Bad magic number") is None
    assert adopt.parse_vgs(fixture_text("vgs_json_bookworm.json")) == {"capvg": {"free": 624951296, "extent": 4194304}}
    assert adopt.lvm_names("data-srv") == ("data", "srv")
    assert adopt.lvm_names("my--vg-web--data") == ("my-vg", "web-data")
    assert adopt.lvm_names("sda1") is None


def test_mountinfo_gives_each_mount_its_source_and_type():
    text = ("22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
            "64 22 254:16 / /srv/my\\040data rw,relatime shared:30 - xfs /dev/vdb rw,attr2\n")
    assert adopt.mounts(text) == [
        {"majmin": "254:0", "mountpoint": "/", "fstype": "ext4", "source": "/dev/vda"},
        {"majmin": "254:16", "mountpoint": "/srv/my data", "fstype": "xfs", "source": "/dev/vdb"}]


def ext4_disk(fixture_text, path="/dev/vdb", size=SIZE, mountpoints=("/srv/services",), lvm=None):
    return {"path": path, "kind": "block", "size": size, "mountpoints": list(mountpoints), "holders": [],
            "fstype": "ext4", "signature": parse_blkid_export(fixture_text("blkid_ext4.txt")), "lvm": lvm,
            "ext4": dict(adopt.parse_dumpe2fs(fixture_text("dumpe2fs_h_ext4_512m_bookworm.txt")),
                         minimum_blocks=adopt.parse_resize2fs_minimum(fixture_text("resize2fs_P_ext4_512m_bookworm.txt")))}


def blank_disk(path="/dev/vdb", size=SIZE):
    return {"path": path, "kind": "block", "size": size, "mountpoints": [], "holders": [], "fstype": None,
            "signature": {}, "lvm": None, "ext4": None}


def request(source_disk, standby_disk, **extra):
    found = {"resource": "r0", "source": "vm1", "standby": "vm2", "mountpoint": "/srv/services", "drbd_major": 8,
             "peers": 1, "allow_shrink": False, "disks": {"vm1": source_disk, "vm2": standby_disk},
             "meta_disks": {"vm1": None, "vm2": None}, "wipe": {}, "drbd_device": "/dev/drbd0"}
    found.update(extra)
    return found


def test_an_ext4_filling_its_disk_is_refused_with_the_ways_out(fixture_text):
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk()))
    assert plan["refused"] == [
        "r0: /dev/vdb's filesystem fills the disk and internal metadata needs 52 KiB at its end: /dev/vdb is not an LVM "
        "volume that could grow; shrinking the ext4 by 52 KiB (offline: e2fsck and resize2fs while the services are "
        "stopped) needs drbd_adopt_shrink: true; or give the resource a meta_disk (external metadata, the filesystem untouched)"]
    assert plan["lines"] == []


def test_a_shrink_allowed_goes_to_the_size_drbdmeta_accepted(fixture_text):
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk(), allow_shrink=True))
    assert plan["refused"] == []
    # 131059 blocks: drbdmeta accepted exactly that, and refused 131060 (fixtures).
    assert "524236 kB data area apparently used" in fixture_text("drbdmeta_v08_create_md_fs_shrunk_fits.txt")
    assert plan["room"] == "shrink" and plan["shrink_to_blocks"] == 131059
    assert plan["usable"] == 524236 * 1024
    assert "e2fsck -f and resize2fs" in plan["downtime"]
    assert plan["lines"][1] == "r0: metadata (52 KiB) at the end of /dev/vdb (internal); the ext4 is shrunk to 131059 blocks first"


def test_a_full_ext4_is_not_shrunk_below_its_minimum(fixture_text):
    disk = ext4_disk(fixture_text)
    disk["ext4"]["minimum_blocks"] = 131070
    plan = adopt.resource_plan(request(disk, blank_disk(), allow_shrink=True))
    assert "the ext4 cannot shrink to 131059 blocks (resize2fs -P: at least 131070)" in plan["refused"][0]


def test_xfs_is_never_shrunk_but_external_metadata_takes_it(fixture_text):
    disk = dict(blank_disk(), fstype="xfs", mountpoints=["/srv/services"],
                signature=parse_blkid_export(fixture_text("blkid_xfs.txt")))
    plan = adopt.resource_plan(request(disk, blank_disk(), allow_shrink=True))
    assert "xfs cannot shrink (only ext4 is shrunk, offline)" in plan["refused"][0]
    metas = {"vm1": blank_disk("/dev/vdd", 8 * MIB), "vm2": blank_disk("/dev/vdd", 8 * MIB)}
    plan = adopt.resource_plan(request(disk, blank_disk(), meta_disks=metas))
    assert plan["refused"] == []
    assert plan["room"] == "external" and plan["usable"] == SIZE
    assert plan["downtime"] == adopt.SWITCH
    # With external metadata on both, the standby's disk needs only the data's size.
    assert plan["lines"][1] == "r0: metadata (52 KiB) on /dev/vdd (external); the filesystem is not touched"


def test_a_metadata_disk_too_small_or_holding_data_is_refused(fixture_text):
    metas = {"vm1": blank_disk("/dev/vdd", 32 * 1024), "vm2": dict(blank_disk("/dev/vdd", 8 * MIB), signature={"TYPE": "ext4"})}
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk(), meta_disks=metas))
    assert plan["refused"] == ["r0: the metadata disk /dev/vdd has 32 KiB; DRBD's metadata for /dev/vdb (512 MiB) needs 52 KiB"]
    metas["vm1"] = blank_disk("/dev/vdd", 8 * MIB)
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk(), meta_disks=metas))
    assert plan["refused"] == ["r0: vm2's metadata disk /dev/vdd holds ext4 data. The standby's disks must be blank: it gets "
                               "its data from the server. If that data is expendable, add /dev/vdd to drbd_wipe_disks"]


def test_a_filesystem_that_leaves_room_needs_nothing_more(fixture_text):
    disk = ext4_disk(fixture_text, size=SIZE + MIB)
    plan = adopt.resource_plan(request(disk, blank_disk(size=SIZE + MIB)))
    assert plan["refused"] == [] and plan["room"] == "free"
    assert "the filesystem already leaves that room free" in plan["lines"][1]


def test_an_lvm_volume_grows_by_whole_extents(fixture_text):
    group = adopt.parse_vgs(fixture_text("vgs_json_bookworm.json"))["capvg"]
    lvm = {"vg": "capvg", "lv": "data", "vg_free": group["free"], "extent": group["extent"]}
    disk = ext4_disk(fixture_text, path="/dev/capvg/data", lvm=lvm)
    plan = adopt.resource_plan(request(disk, blank_disk(size=SIZE + 8 * MIB)))
    assert plan["refused"] == [] and plan["room"] == "grow"
    assert plan["grow_bytes"] == 4 * MIB
    assert plan["usable"] >= SIZE
    # The grown source offers more than a standby disk of the data's own size can.
    plan = adopt.resource_plan(request(disk, blank_disk()))
    assert plan["refused"][0].startswith(
        "r0: vm2's /dev/vdb offers 524236 KiB to DRBD, less than the 528328 KiB the data takes on vm1; the standby's disk "
        "must be at least 516 MiB")
    lvm["vg_free"] = 0
    plan = adopt.resource_plan(request(disk, blank_disk(size=SIZE + 8 * MIB)))
    assert "volume group capvg has 0 MiB free; growing /dev/capvg/data by 4 MiB would make the room" in plan["refused"][0]


def test_the_standby_must_be_blank_and_large_enough(fixture_text):
    small = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk(size=256 * MIB), allow_shrink=True))
    assert small["refused"] == ["r0: vm2's /dev/vdb offers 262100 KiB to DRBD, less than the 524236 KiB the data takes on vm1; "
                                "the standby's disk must be at least 512 MiB"]
    busy = dict(blank_disk(), signature={"TYPE": "xfs"}, fstype="xfs")
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), busy, allow_shrink=True))
    assert plan["refused"] == ["r0: vm2's disk /dev/vdb holds xfs data. The standby's disks must be blank: it gets its "
                               "data from the server. If that data is expendable, add /dev/vdb to drbd_wipe_disks"]
    listed = adopt.resource_plan(request(ext4_disk(fixture_text), busy, allow_shrink=True, wipe={"vm2": ["/dev/vdb"]}))
    assert listed["refused"] == []
    mounted = adopt.resource_plan(request(ext4_disk(fixture_text), dict(blank_disk(), mountpoints=["/mnt"]), allow_shrink=True))
    assert mounted["refused"] == ["r0: vm2's disk /dev/vdb is mounted at /mnt"]


def test_the_blank_server_is_never_the_source(fixture_text):
    # adopt_from names the blank node: its empty disk would be mirrored over the data.
    plan = adopt.resource_plan(request(blank_disk(), ext4_disk(fixture_text), allow_shrink=True))
    assert plan["refused"] == ["r0: vm2's /dev/vdb holds ext4 data and vm1's /dev/vdb is blank: the server with the data "
                               "is vm2. Adopting from vm1 would mirror the blank disk over it; run with adopt_from=vm2"]
    # The data is not where the group mounts it: the services would not find their files.
    plan = adopt.resource_plan(request(ext4_disk(fixture_text, mountpoints=["/var/www"]), blank_disk()))
    assert plan["refused"] == ["r0: /dev/vdb on vm1 is not the data filesystem mounted at /srv/services (it is mounted "
                               "/var/www, ext4); the group's mountpoint must be where the server has its data now"]


def test_an_adopted_server_is_left_as_it_is(fixture_text):
    disk = dict(ext4_disk(fixture_text, mountpoints=[]), signature={"TYPE": "drbd"}, fstype=None, holders=["drbd0"])
    plan = adopt.resource_plan(request(disk, blank_disk(), mounted_from="/dev/drbd0"))
    assert plan["done"] and plan["refused"] == []
    assert plan["lines"] == ["r0: vm1 serves /srv/services from /dev/drbd0 already"]
    # Once the cluster runs it, wherever it is served now (after a failover the old server is the standby).
    plan = adopt.resource_plan(request(dict(disk, mountpoints=[]), blank_disk(), mounted_from=None, managed=True))
    assert plan["done"] and plan["lines"] == ["r0: the cluster runs it already; nothing to switch"]


def test_the_filesystem_pacemaker_mounts_must_be_the_servers(fixture_text):
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), blank_disk(), allow_shrink=True, filesystem="xfs"))
    assert plan["refused"] == ["r0: the server's filesystem is ext4 but drbd_resources gives filesystem xfs, which Pacemaker "
                               "mounts it as; set filesystem: ext4 for r0"]


def test_a_standby_with_an_earlier_pairs_metadata_is_refused(fixture_text):
    old = dict(blank_disk(), signature={"TYPE": "drbd", "VERSION": "v08"})
    plan = adopt.resource_plan(request(ext4_disk(fixture_text), old, allow_shrink=True, wipe={"vm2": ["/dev/vdb"]}))
    assert plan["refused"] == ["r0: vm2's disk /dev/vdb holds DRBD metadata of an earlier pair. The standby's disks must be "
                               "blank: if what it holds is expendable, remove the signature on that node (wipefs -a /dev/vdb) "
                               "and run again"]


def test_an_xfs_tells_its_size_and_may_leave_room(fixture_text):
    xfs = adopt.parse_xfs_info(fixture_text("xfs_info_512m_bookworm.txt"))
    assert xfs == {"block_count": 131072, "block_size": 4096}
    with pytest.raises(ValueError):
        adopt.parse_xfs_info("xfs_info: /srv is not a mounted XFS filesystem")
    disk = dict(blank_disk(size=SIZE + 4 * MIB), fstype="xfs", mountpoints=["/srv/services"], signature={"TYPE": "xfs"}, xfs=xfs)
    plan = adopt.resource_plan(request(disk, blank_disk(size=SIZE + 4 * MIB), filesystem="xfs"))
    assert plan["refused"] == [] and plan["room"] == "free"


def test_the_standby_size_asked_for_is_the_least_that_fits():
    usable = adopt.usable_bytes(SIZE)
    assert adopt.disk_for(usable) == SIZE
    assert adopt.usable_bytes(adopt.disk_for(usable + 1)) >= usable + 1
    # A disk that is no whole number of 4 KiB blocks: DRBD uses the whole blocks.
    assert adopt.usable_bytes(SIZE + 3584) == adopt.usable_bytes(SIZE)


def test_the_switch_takes_every_step_once_and_resumes_where_it_stopped():
    steps = adopt.switch_steps("shrink", "/dev/vdb", "/dev/vdb", "/dev/drbd0", False, None, None, False)
    # fstab right after the unmount: from then on a boot never mounts the raw disk.
    assert steps == ["stop", "umount", "fstab", "fsck", "shrink", "create-md", "up", "primary-force", "mount", "start", "disable"]
    assert adopt.switch_steps("grow", "/dev/vdb", "/dev/vdb", "/dev/drbd0", False, None, None, False)[:3] == ["grow", "stop", "umount"]
    assert adopt.switch_steps("external", "/dev/vdb", "/dev/vdb", "/dev/drbd0", False, None, None, False)[:4] == [
        "stop", "umount", "fstab", "create-md"]
    # Cut short after the metadata was made: up, forced primary only on metadata never used, mount.
    assert adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, None, "UpToDate", False) == [
        "up", "primary", "mount", "fstab", "start", "disable"]
    assert adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, "Secondary/Unknown", "Inconsistent", True,
                              "WFConnection") == ["primary-force", "mount", "fstab", "start", "disable"]
    assert adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, "Primary/Unknown", "UpToDate", False,
                              "WFConnection") == ["mount", "fstab", "start", "disable"]
    assert adopt.switch_steps("free", "/dev/drbd0", "/dev/vdb", "/dev/drbd0", True, "Primary/Secondary", "UpToDate", False,
                              "Connected") == ["fstab", "start", "disable"]
    # After a reboot DRBD calls the forced primary's disk Consistent: only the controller's word that the
    # standby never took part (room resume) lets it be forced again.
    assert adopt.switch_steps("resume", None, "/dev/vdb", "/dev/drbd0", True, None, "Consistent", False)[:2] == ["up", "primary-force"]
    with pytest.raises(ValueError, match="disk is Consistent"):
        adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, None, "Consistent", False)
    # A copy that may be old is never forced primary, nor one whose state is unknown.
    with pytest.raises(ValueError, match="disk is Outdated"):
        adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, "Secondary/Unknown", "Outdated", False, "StandAlone")
    with pytest.raises(ValueError, match="disk is Inconsistent"):
        adopt.switch_steps("resume", None, "/dev/vdb", "/dev/drbd0", True, "Secondary/Unknown", "Inconsistent", False, "StandAlone")
    with pytest.raises(ValueError, match="disk is unknown"):
        adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", True, None, None, False)
    # The standby took part (connected, or primary after a failover): nothing here to finish.
    with pytest.raises(ValueError, match="the standby took part already"):
        adopt.switch_steps("resume", None, "/dev/vdb", "/dev/drbd0", True, "Secondary/Primary", "UpToDate", False, "Connected")
    with pytest.raises(ValueError, match="the standby took part already"):
        adopt.switch_steps("resume", None, "/dev/vdb", "/dev/drbd0", True, "Secondary/Primary", "UpToDate", False, "StandAlone")
    with pytest.raises(ValueError, match="not mounted and has no DRBD metadata"):
        adopt.switch_steps("free", None, "/dev/vdb", "/dev/drbd0", False, None, None, False)
    with pytest.raises(ValueError, match="has /dev/vdc mounted"):
        adopt.switch_steps("free", "/dev/vdc", "/dev/vdb", "/dev/drbd0", False, None, None, False)
    # Mounted again after a rollback that could not remove the metadata it made.
    with pytest.raises(ValueError, match="wipe-md RESOURCE leaves the filesystem as it is"):
        adopt.switch_steps("free", "/dev/vdb", "/dev/vdb", "/dev/drbd0", True, None, None, False)


def test_a_switch_cut_short_goes_on_only_while_the_standby_took_no_part(fixture_text):
    disk = dict(ext4_disk(fixture_text, mountpoints=[]), signature={"TYPE": "drbd"}, fstype=None)
    plan = adopt.resource_plan(request(disk, blank_disk(), mounted_from=None))
    assert plan["refused"] == [] and plan["room"] == "resume"
    assert plan["lines"] == ["r0: the switch on vm1 stopped after DRBD's metadata was made; it goes on: DRBD up, primary, "
                             "/srv/services mounted from /dev/drbd0, the services started"]
    plan = adopt.resource_plan(request(disk, dict(blank_disk(), signature={"TYPE": "drbd"}), mounted_from=None))
    assert plan["refused"] == ["r0: /dev/vdb already holds DRBD metadata but /srv/services is not mounted from /dev/drbd0 and "
                               "vm2's disk has DRBD metadata too; bring the resource up by hand (the README's adoption section)"]
    # External metadata: the data disk keeps its ext4 signature, the metadata disk tells.
    metas = {"vm1": dict(blank_disk("/dev/vdd", 8 * MIB), signature={"TYPE": "drbd"}), "vm2": blank_disk("/dev/vdd", 8 * MIB)}
    plan = adopt.resource_plan(request(ext4_disk(fixture_text, mountpoints=[]), blank_disk(), meta_disks=metas, mounted_from=None))
    assert plan["room"] == "resume"


def members(source_disks, standby_disks, mounted_from="/dev/vdb", wipe=()):
    return [{"host": "vm1", "node_name": "vm1", "disks": source_disks, "wipe": [],
             "mount_sources": {"/srv/services": {"source": mounted_from, "fstype": "ext4"}} if mounted_from else {}},
            {"host": "vm2", "node_name": "vm2", "disks": standby_disks, "wipe": list(wipe), "mount_sources": {}}]


R0 = {"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdb"}
GROUPS = [{"name": "services", "storage": {"drbd": "r0", "mountpoint": "/srv/services/"}, "vips": ["10.213.30.100"],
           "services": ["nginx", "postfix"], "mail_domain": "example.net"}]


def test_the_pair_plan_names_the_source_and_what_drbd_adopt_gets(fixture_text):
    from ansible_collections.twonode.ha.plugins.plugin_utils.adoption import adoption_plan
    plan = adoption_plan(members({"/dev/vdb": ext4_disk(fixture_text)}, {"/dev/vdb": blank_disk()}), "vm1", [R0], GROUPS, True)
    assert plan["refused"] == [] and (plan["source"], plan["standby"]) == ("vm1", "vm2")
    assert plan["resources"] == [{"name": "r0", "disk": "/dev/vdb", "mountpoint": "/srv/services", "done": False, "managed": False,
                                  "filesystem": "ext4",
                                  "room": "shrink", "shrink_to_blocks": 131059, "grow_bytes": 0, "units": ["nginx", "postfix"],
                                  "downtime": plan["resources"][0]["downtime"], "meta_disk": None}]
    assert len(plan["lines"]) == 4
    # External metadata named per node: the filesystem is not touched.
    metas = dict(R0, meta_disk="/dev/vdd")
    plan = adoption_plan(members({"/dev/vdb": ext4_disk(fixture_text), "/dev/vdd": blank_disk("/dev/vdd", 8 * MIB)},
                                 {"/dev/vdb": blank_disk(), "/dev/vdd": blank_disk("/dev/vdd", 8 * MIB)}), "vm1", [metas], GROUPS)
    assert plan["refused"] == [] and plan["resources"][0]["room"] == "external"
    assert plan["resources"][0]["meta_disk"] == "/dev/vdd"
    # A resource the cluster runs (its CIB on either node says so) is not switched again.
    pair = members({"/dev/vdb": dict(ext4_disk(fixture_text, mountpoints=[]), signature={"TYPE": "drbd"}, fstype="drbd")},
                   {"/dev/vdb": dict(blank_disk(), signature={"TYPE": "drbd"})}, mounted_from=None)
    pair[1]["managed_drbd"] = ["r0"]
    plan = adoption_plan(pair, "vm1", [R0], GROUPS)
    assert plan["refused"] == [] and plan["resources"][0]["done"] is True and plan["resources"][0]["managed"] is True
    # blkid's "drbd" is never the filesystem drbd_adopt mounts.
    assert plan["resources"][0]["filesystem"] == "ext4"


def test_the_pair_plan_refuses_before_anything_is_planned(fixture_text):
    from ansible_collections.twonode.ha.plugins.plugin_utils.adoption import adoption_plan
    pair = members({"/dev/vdb": ext4_disk(fixture_text)}, {"/dev/vdb": blank_disk()})
    assert adoption_plan(pair, "vm3", [R0], GROUPS)["refused"] == [
        "adopt_from=vm3 is not a host of this pair: name the server that has the data and serves now (vm1, vm2)"]
    assert adoption_plan(pair, "vm1", [R0], [])["refused"] == [
        "r0: no group of resources_groups has it as storage; adoption mounts it where the group's storage.mountpoint says, "
        "which must be where the server has its data now"]
    # The blank node named as the source.
    swapped = members({"/dev/vdb": blank_disk()}, {"/dev/vdb": ext4_disk(fixture_text)}, mounted_from=None)
    plan = adoption_plan(swapped, "vm1", [R0], GROUPS, True)
    assert plan["resources"] == [] and "the server with the data is vm2" in plan["refused"][0]
    # A disk the inventory names that the node does not have.
    plan = adoption_plan(members({"/dev/vdb": ext4_disk(fixture_text)}, {}), "vm1", [R0], GROUPS, True)
    assert plan["refused"] == ["r0: vm2's disk /dev/vdb is not a block device (missing)"]


def test_pacemaker_mounts_the_filesystem_as_the_server_did(fixture_text):
    from ansible_collections.twonode.ha.plugins.plugin_utils.adoption import adoption_plan
    fstab = "UUID=1 / ext4 errors=remount-ro 0 1\n/dev/vdb /srv/services ext4 defaults,noatime,usrquota,nofail 0 2\n"
    assert adopt.fstab_options(fstab, "/srv/services/") == ["noatime", "usrquota"]
    assert adopt.fstab_options(fstab, "/srv") is None
    # A credential never leaves the node.
    assert adopt.fstab_options("//nas/x /srv cifs credentials=/root/c,password=s3cret,uid=33 0 0\n", "/srv") == ["uid=33"]
    pair = members({"/dev/vdb": ext4_disk(fixture_text)}, {"/dev/vdb": blank_disk()})
    pair[0]["fstab_options"] = {"/srv/services": adopt.fstab_options(fstab, "/srv/services")}
    plan = adoption_plan(pair, "vm1", [R0], GROUPS, True)
    assert plan["refused"] == ["r0: the server mounts /srv/services with noatime,usrquota, the group's storage.options give "
                               "none; set storage.options: noatime,usrquota so that Pacemaker mounts it as the server did, "
                               "on either node"]
    groups = [dict(GROUPS[0], storage=dict(GROUPS[0]["storage"], options="usrquota,noatime"))]
    assert adoption_plan(pair, "vm1", [R0], groups, True)["refused"] == []
    # Only boot options (or no line at all): nothing to carry over.
    plain = fstab.replace("defaults,noatime,usrquota,nofail", "defaults")
    pair[0]["fstab_options"] = {"/srv/services": adopt.fstab_options(plain, "/srv/services")}
    assert adoption_plan(pair, "vm1", [R0], GROUPS, True)["refused"] == []
