"""The drbd_resource module against a fake DRBD 8.4 node (resource r0, minor 0, backing disk /dev/vdb, as on
the VM bed): the exact commands it runs, what they print (captured: /proc/drbd, blkid, get-gi, dstate), and
what it returns. The node's /proc/drbd, /proc/mounts and block devices are fakes too: nothing on this
machine is read."""
import io
import os
import types
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils import pacemaker_cli
from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import plan as cib_plan
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import storage_head
from ansible_collections.twonode.ha.plugins.modules import drbd_resource

DUMP = "drbdadm dump r0"
ROLE = "drbdadm role r0"
DSTATE = "drbdadm dstate r0"
CSTATE = "drbdadm cstate r0"
NAMES = ["drbdadm sh-resources", "drbdadm sh-minor r0"]
STATE = [ROLE, DSTATE, CSTATE] + NAMES  # the module's look at the resource (with /proc/drbd)
BLKID_DISK = "blkid -p -o export /dev/vdb"
BLKID_DEVICE = "blkid -p -o export /dev/drbd0"
CREATE_MD = "drbdadm create-md r0"
ADJUST = "drbdadm adjust r0"
DRY_ADJUST = "drbdadm -d adjust r0"
CIB_RESOURCES = "cibadmin --query --scope resources"
PRIMARY = "drbdadm primary --force r0"
SECONDARY = "drbdadm secondary r0"
MKFS = "mkfs.ext4 -q /dev/drbd0"

# drbdadm role fails on a resource that is down here; the module reads only its rc.
DOWN = (10, "", "")
# blkid -p exits 2 when it finds no signature.
NOTHING_FOUND = (2, "", "")
# drbdadm dstate of a resource that is down reads its metadata (captured on the VM bed, see test_drbd_plan).
NO_METADATA = (1, "", "No valid meta data found\n")
# drbdadm get-gi as captured on the VM bed: a just-created pair's, and one that held data.
FRESH_GI = "0000000000000004:0000000000000000:0000000000000000:0000000000000000:0:0:0:0:0:0:0\n"
USED_GI = "42E00B576D30A720:23E824B3FC884EA5:0000000000000004:0000000000000000:1:1:0:1:0:1:0\n"
# drbdmeta's check_for_existing_data (drbd-utils user/shared/drbdmeta.c) when the end of the disk is not
# zero: its report on stdout, the question on stderr; answered "no", it cancels and exits 1.
DRBDMETA_FOUND_DATA = (1, "md_offset 1073737728\nal_offset 1073704960\nbm_offset 1073672192\n\nFound some data\n\n"
                          " ==> This might destroy existing data! <==\nOperation canceled.\n",
                       "\nDo you want to proceed?\n[need to type 'yes' to confirm] \n")
MOUNTS = "/dev/vda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"


def proc_drbd(fixture_text, name, *replacements):
    """A captured /proc/drbd, with the given (old, new) replacements for a state that was not captured."""
    text = fixture_text(name)
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture
def drbd_node(monkeypatch, clock, fake_node):
    """make(answers, files): the node's commands, and its files ({path: text, or texts given in turn}).
    /dev/vdb and /dev/drbd0 exist, nothing holds /dev/vdb (LVM, RAID) unless `holders` says so."""
    monkeypatch.setattr(drbd_resource, "time", clock)

    def make(answers, files=None, holders=()):
        files = dict({"/proc/mounts": MOUNTS}, **(files or {}))
        given = {}

        def fake_open(path, *args, **kwargs):
            if path not in files:
                raise IOError(2, "No such file or directory", path)
            texts = files[path] if isinstance(files[path], list) else [files[path]]
            given[path] = given.get(path, -1) + 1
            return io.StringIO(texts[min(given[path], len(texts) - 1)])
        block = {"/sys/class/block/vdb/holders": list(holders), "/sys/class/block/drbd0/holders": []}
        fake_os = types.SimpleNamespace(
            path=types.SimpleNamespace(exists=lambda path: path in ("/dev/vdb", "/dev/drbd0"), realpath=lambda path: path,
                                       basename=os.path.basename, isdir=lambda path: path in block),
            listdir=lambda path: block[path])
        # Only the module's own os and open are replaced (AnsibleModule keeps the real ones).
        monkeypatch.setattr(drbd_resource, "os", fake_os)
        monkeypatch.setattr(drbd_resource, "open", fake_open, raising=False)
        # /proc/drbd is read by the node layer.
        monkeypatch.setattr(pacemaker_cli, "open", fake_open, raising=False)
        monkeypatch.setattr(pacemaker_cli.Node, "split_brain_dir", "/nonexistent/split-brain-marks")
        commands = {DUMP: (0, "", ""), "drbdadm sh-resources": (0, "r0\n", ""), "drbdadm sh-minor r0": (0, "0\n", "")}
        commands.update(answers)
        return fake_node(commands)
    return make


# --- state=up: metadata only where there is no data -------------------------------------------------------

def new_disk(**extra):
    """r0 down, on a disk where blkid finds nothing and drbdmeta finds no metadata; once up it waits for its peer."""
    answers = {ROLE: [DOWN, (0, "Secondary/Unknown\n", "")], BLKID_DISK: NOTHING_FOUND,
               DSTATE: [NO_METADATA, (0, "Inconsistent/DUnknown\n", "")], CSTATE: (0, "WFConnection\n", ""),
               CREATE_MD: (0, "", ""), ADJUST: (0, "", "")}
    answers.update(extra)
    return answers


def up_waiting_for_peer(fixture_text):
    """/proc/drbd of a resource up on new metadata whose peer has not connected yet (derived from the
    disconnected capture: Secondary and Inconsistent here instead of Primary and UpToDate)."""
    waiting = ("ro:Primary/Unknown ds:UpToDate/DUnknown", "ro:Secondary/Unknown ds:Inconsistent/DUnknown")
    return proc_drbd(fixture_text, "proc_drbd_84_disconnected.txt", waiting)


def test_an_empty_disk_gets_metadata_and_the_resource_comes_up(drbd_node, run_module, fixture_text):
    node = drbd_node(new_disk(), {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "_ansible_diff": True})
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE, CREATE_MD, ADJUST] + STATE
    # drbdmeta asks before it writes over anything it finds: the module answers no.
    # and to drbdmeta's question before it opens a disk in use, on the probe.
    assert node.stdin == {CREATE_MD: ["no\n"], DSTATE: ["no\n"]}
    assert result["changed"] is True and not result.get("failed")
    assert (result["metadata"], result["adjusted"]) == ("created", ["drbdadm up r0"])
    assert result["reason"] == "metadata created; configuration applied"
    assert result["status"] == {"name": "r0", "role": "Secondary/Unknown", "disk": "Inconsistent", "peer_disk": "DUnknown",
                                "connection": "WFConnection", "sync_percent": None, "sync_finish": None}
    assert "connection': 'down'" in result["diff"]["before"] and "WFConnection" in result["diff"]["after"]


def test_check_mode_says_metadata_would_be_created_and_runs_nothing(drbd_node, run_module):
    node = drbd_node(new_disk())
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "_ansible_check_mode": True})
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE]
    assert result["changed"] is True and result["metadata"] == "created" and result["adjusted"] == ["drbdadm up r0"]
    assert result["status"]["connection"] == "down"


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_disk_holding_a_filesystem_is_refused_with_nothing_changed(drbd_node, run_module, fixture_text, check_mode):
    node = drbd_node(new_disk(**{BLKID_DISK: (0, fixture_text("blkid_ext4.txt"), "")}))
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "_ansible_check_mode": check_mode})
    assert result["failed"] is True
    assert result["msg"] == ("/dev/vdb holds ext4 data (label precious) and no DRBD metadata. Refusing to put DRBD on it, "
                             "which would destroy that data. If the data is expendable, add /dev/vdb to drbd_wipe_disks. "
                             "Nothing was changed.")
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE]


def test_a_disk_in_the_wipe_list_is_erased_then_given_metadata(drbd_node, run_module, fixture_text):
    node = drbd_node(new_disk(**{BLKID_DISK: (0, fixture_text("blkid_ext4.txt"), ""), "wipefs --all /dev/vdb": (0, "", ""),
                                 "drbdadm create-md --force r0": (0, "", "")}),
                     {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "wipe": True})
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE, "wipefs --all /dev/vdb", "drbdadm create-md --force r0", ADJUST] + STATE
    assert result["changed"] is True and result["metadata"] == "wiped and created"


def test_an_empty_disk_in_the_wipe_list_is_not_wiped(drbd_node, run_module, fixture_text):
    # wipe allows erasing; it does not ask for it: nothing to erase, plain create-md.
    node = drbd_node(new_disk(), {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "wipe": True})
    assert "wipefs --all /dev/vdb" not in node.calls and CREATE_MD in node.calls
    assert result["metadata"] == "created"


@pytest.mark.parametrize("mounts, holders", [
    (MOUNTS + "/dev/vdb /srv ext4 rw,relatime 0 0\n", ()),  # mounted
    (MOUNTS, ("dm-0",)),                                    # an LVM physical volume in use
])
def test_a_disk_in_use_is_refused_even_in_the_wipe_list(drbd_node, run_module, fixture_text, mounts, holders):
    node = drbd_node(new_disk(**{BLKID_DISK: (0, fixture_text("blkid_ext4.txt"), "")}), {"/proc/mounts": mounts}, holders)
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "wipe": True})
    assert result["failed"] is True
    assert "/dev/vdb is mounted or in use; DRBD needs the whole disk to itself" in result["msg"]
    assert "Nothing was changed." in result["msg"]
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE]


def test_data_drbdmeta_finds_where_the_metadata_goes_is_refused(drbd_node, run_module):
    # blkid knows no signature there, but the end of the disk is not zero.
    node = drbd_node(new_disk(**{CREATE_MD: DRBDMETA_FOUND_DATA}))
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    assert result["failed"] is True
    assert result["msg"] == ("/dev/vdb holds data where DRBD keeps its metadata (drbdmeta found some at the end of the disk). "
                             "Refusing to overwrite it. If the data is expendable, add /dev/vdb to drbd_wipe_disks. "
                             "Nothing was changed.")
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE, CREATE_MD] and node.stdin == {CREATE_MD: ["no\n"], DSTATE: ["no\n"]}


def test_a_probe_that_cannot_tell_whether_there_is_metadata_changes_nothing(drbd_node, run_module):
    node = drbd_node(new_disk(**{DSTATE: (20, "", "")}))
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "wipe": True})
    assert result["failed"] is True
    assert result["msg"] == ("/dev/vdb: cannot tell whether the disk has DRBD metadata (drbdadm dstate: rc 20). "
                             "Nothing was changed.")
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE]


def managed_resources(fixture_text):
    """`cibadmin --query --scope resources` of the captured CIB with r0's promotable clone, as the roles
    configure it (resources_plan.storage_head through cib_plan)."""
    clones = storage_head({"name": "services", "storage": {"drbd": "r0", "mountpoint": "/srv"}}, [{"name": "r0", "minor": 0}])[1]
    candidate = cib_plan(fixture_text("cib_p2_services_running.xml"), {"clones": clones})["candidate"]
    return ET.tostring(ET.fromstring(candidate).find("configuration/resources"), encoding="unicode")


def stopped_with_metadata(fixture_text, **extra):
    """r0 down on this node, its disk holding DRBD metadata (blkid's DRBD signature, captured)."""
    answers = {ROLE: DOWN, BLKID_DISK: (0, fixture_text("blkid_drbd_metadata.txt"), ""), DSTATE: (0, "UpToDate\n", "")}
    answers.update(extra)
    return answers


def test_a_resource_pacemaker_stopped_here_is_left_to_pacemaker(drbd_node, run_module, fixture_text):
    # Standby or a stopped clone: bringing it up behind Pacemaker's back would be wrong.
    node = drbd_node(stopped_with_metadata(fixture_text, **{CIB_RESOURCES: (0, managed_resources(fixture_text), "")}))
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE, CIB_RESOURCES]
    assert result["changed"] is False and result["metadata"] == "kept" and result["adjusted"] == []
    assert result["reason"] == "metadata kept; stopped on this node by Pacemaker, which brings it up"


def test_a_stopped_resource_the_cluster_does_not_run_is_brought_up(drbd_node, run_module, fixture_text):
    cib = fixture_text("cib_p2_services_running.xml")
    resources = cib[cib.index("<resources>"):cib.index("</resources>") + len("</resources>")]
    node = drbd_node(stopped_with_metadata(fixture_text, **{
        CIB_RESOURCES: (0, resources, ""),
        # drbdadm -d prints what adjust would run (the module's documented sample), here: attach the disk.
        DRY_ADJUST: (0, "drbdsetup-84 attach 0 /dev/vdb /dev/vdb internal\n", ""), ADJUST: (0, "", "")}))
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    # (The fake's role stays "down" afterwards: the status after adjust is not the point here.)
    assert node.calls == [DUMP, ROLE, BLKID_DISK, DSTATE, CIB_RESOURCES, DRY_ADJUST, ADJUST, ROLE]
    assert result["changed"] is True and result["metadata"] == "kept"
    assert result["adjusted"] == ["drbdsetup-84 attach 0 /dev/vdb /dev/vdb internal"]


def running_pair(fixture_text, **extra):
    """r0 up and in step: this node Secondary, the peer Primary (the healthy capture seen from the peer)."""
    answers = {ROLE: (0, "Secondary/Primary\n", ""), DSTATE: (0, "UpToDate/UpToDate\n", ""), CSTATE: (0, "Connected\n", ""),
               BLKID_DISK: (0, fixture_text("blkid_drbd_metadata.txt"), ""), DRY_ADJUST: (0, "", "")}
    answers.update(extra)
    return answers


def healthy_here(fixture_text):
    return proc_drbd(fixture_text, "proc_drbd_84_healthy.txt", ("ro:Primary/Secondary", "ro:Secondary/Primary"))


def test_a_running_resource_that_matches_its_configuration_is_left_as_it_is(drbd_node, run_module, fixture_text):
    node = drbd_node(running_pair(fixture_text), {"/proc/drbd": healthy_here(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "wipe": True})
    assert node.calls == [DUMP] + STATE + [BLKID_DISK, DSTATE, DRY_ADJUST] + STATE
    assert result["changed"] is False and result["metadata"] == "kept" and result["adjusted"] == []
    assert result["reason"] == "metadata kept; configuration in effect"


def test_check_mode_shows_what_adjust_would_change_without_running_it(drbd_node, run_module, fixture_text):
    change = "drbdsetup-84 attach 0 /dev/vdb /dev/vdb internal"
    node = drbd_node(running_pair(fixture_text, **{DRY_ADJUST: (0, change + "\n", "")}), {"/proc/drbd": healthy_here(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "_ansible_check_mode": True})
    assert ADJUST not in node.calls and node.calls[-1] == DRY_ADJUST
    assert result["changed"] is True and result["adjusted"] == [change]


def test_a_resource_drbd_does_not_know_on_this_node_fails_first(drbd_node, run_module):
    # drbdadm's words (drbdadm_main.c), exit code E_USAGE.
    node = drbd_node({DUMP: (1, "", "'r0' not defined in your config (for this host).\n")})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    assert result["failed"] is True and result["msg"].startswith("DRBD resource r0 is not configured on this node: ")
    assert node.calls == [DUMP]


# --- state=first_sync: only a brand-new pair, from one node ------------------------------------------------

def brand_new_pair(fixture_text, **extra):
    """Both disks Inconsistent, connected, this node's generation id the just-created one; after the
    forced primary this node is the SyncSource."""
    answers = {ROLE: (0, "Secondary/Secondary\n", ""),
               DSTATE: [(0, "Inconsistent/Inconsistent\n", ""), (0, "UpToDate/Inconsistent\n", "")],
               CSTATE: [(0, "Connected\n", ""), (0, "SyncSource\n", "")],
               "drbdadm sh-dev r0": (0, "/dev/drbd0\n", ""), "drbdadm get-gi r0": (0, FRESH_GI, ""),
               PRIMARY: (0, "", ""), BLKID_DEVICE: NOTHING_FOUND, MKFS: (0, "", ""), SECONDARY: (0, "", "")}
    answers.update(extra)
    return answers


def first_sync_files(fixture_text):
    """/proc/drbd before (connected, both Inconsistent, derived from the healthy capture) and after (the
    syncing capture)."""
    new_pair = ("ro:Primary/Secondary ds:UpToDate/UpToDate", "ro:Secondary/Secondary ds:Inconsistent/Inconsistent")
    before = proc_drbd(fixture_text, "proc_drbd_84_healthy.txt", new_pair)
    return {"/proc/drbd": [before, fixture_text("proc_drbd_84_syncing.txt")]}


LOOK = [DUMP] + STATE + ["drbdadm sh-dev r0", "drbdadm get-gi r0"]


def test_first_sync_of_a_brand_new_pair_starts_the_mirror_from_here_with_a_filesystem(drbd_node, run_module, fixture_text):
    node = drbd_node(brand_new_pair(fixture_text), first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert node.calls == LOOK + [PRIMARY, BLKID_DEVICE, MKFS, SECONDARY] + STATE
    assert result["changed"] is True and result["steps"] == ["primary", "mkfs", "secondary"]
    assert result["reason"] == "a brand-new pair: this node becomes the first sync source"
    # It does not wait for the mirror: it reports how far it got.
    status = result["status"]
    assert (status["disk"], status["peer_disk"], status["connection"]) == ("UpToDate", "Inconsistent", "SyncSource")
    assert (status["sync_percent"], status["sync_finish"]) == (29.0, "0:00:09")


def test_first_sync_passes_the_filesystem_and_its_options_to_mkfs(drbd_node, run_module, fixture_text):
    mkfs = "mkfs.xfs -q -L data /dev/drbd0"
    answers = brand_new_pair(fixture_text, **{mkfs: (0, "", "")})
    del answers[MKFS]
    node = drbd_node(answers, first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync", "filesystem": "xfs", "mkfs_options": ["-L", "data"]})
    assert mkfs in node.calls and result["steps"] == ["primary", "mkfs", "secondary"]


def test_first_sync_keeps_a_filesystem_already_on_the_device(drbd_node, run_module, fixture_text):
    on_device = fixture_text("blkid_ext4.txt").replace("DEVNAME=/dev/vdb", "DEVNAME=/dev/drbd0")
    node = drbd_node(brand_new_pair(fixture_text, **{BLKID_DEVICE: (0, on_device, "")}), first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert MKFS not in node.calls and node.calls[len(LOOK):len(LOOK) + 3] == [PRIMARY, BLKID_DEVICE, SECONDARY]
    assert result["steps"] == ["primary", "secondary"]
    assert result["reason"].endswith("; /dev/drbd0 already holds ext4 data (label precious), no filesystem created")


@pytest.mark.parametrize("failing, message", [
    (MKFS, "mkfs.ext4 -q /dev/drbd0 failed (rc 1): mkfs.ext4: Device size reported to be zero."),
    (BLKID_DEVICE, "blkid could not read /dev/drbd0: error: /dev/drbd0: Wrong medium type"),
])
def test_a_failed_first_sync_leaves_the_node_secondary(drbd_node, run_module, fixture_text, failing, message):
    """Pacemaker decides where DRBD is primary: a node left primary outside it would refuse the promotion
    elsewhere. The error texts are those the tools print (mkfs.ext4 on a device it cannot size, blkid on a
    DRBD device it may not open)."""
    node = drbd_node(brand_new_pair(fixture_text, **{failing: (1, "", message.split(": ", 1)[1] + "\n")}),
                     first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert result["failed"] is True and result["msg"] == message
    assert node.calls[-1] == SECONDARY and result["steps"][-1] == "secondary"


def test_check_mode_lists_the_first_sync_steps_and_takes_none(drbd_node, run_module, fixture_text):
    node = drbd_node(brand_new_pair(fixture_text), first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync", "_ansible_check_mode": True})
    assert node.calls == LOOK
    assert result["changed"] is True and result["steps"] == ["primary", "mkfs", "secondary"]


@pytest.mark.parametrize("dstate, cstate, proc, reason", [
    ("UpToDate/UpToDate", "Connected", "proc_drbd_84_healthy.txt", "this node has a good copy (disk UpToDate)"),
    ("UpToDate/Inconsistent", "SyncSource", "proc_drbd_84_syncing.txt", "this node has a good copy (disk UpToDate)"),
    # this node is the one being synchronised (the syncing capture seen from the peer)
    ("Inconsistent/UpToDate", "SyncTarget", "proc_drbd_84_syncing.txt",
     "the peer has the good copy (disks Inconsistent/UpToDate, SyncTarget)"),
])
def test_a_pair_with_a_good_copy_is_left_alone(drbd_node, run_module, fixture_text, dstate, cstate, proc, reason):
    node = drbd_node(brand_new_pair(fixture_text, **{DSTATE: (0, dstate + "\n", ""), CSTATE: (0, cstate + "\n", ""),
                                                     "drbdadm get-gi r0": (0, USED_GI, "")}),
                     {"/proc/drbd": fixture_text(proc)})
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert node.calls == LOOK
    assert result["changed"] is False and result["steps"] == [] and result["reason"] == reason


def test_inconsistent_disks_with_history_are_left_to_the_administrator(drbd_node, run_module, fixture_text):
    node = drbd_node(brand_new_pair(fixture_text, **{"drbdadm get-gi r0": (0, USED_GI, "")}), first_sync_files(fixture_text))
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert result["failed"] is True
    assert result["msg"] == ("cannot start the first mirror of r0: both disks are Inconsistent but this node's data has "
                             "history (current UUID 42E00B576D30A720); decide by hand which node holds the good copy. "
                             "Nothing was changed.")
    assert PRIMARY not in node.calls


def test_first_sync_waits_for_the_peer_to_connect(drbd_node, run_module, fixture_text, clock):
    node = drbd_node(brand_new_pair(fixture_text, **{
        DSTATE: [(0, "Inconsistent/DUnknown\n", ""), (0, "Inconsistent/DUnknown\n", ""),
                 (0, "Inconsistent/Inconsistent\n", ""), (0, "UpToDate/Inconsistent\n", "")],
        CSTATE: [(0, "WFConnection\n", ""), (0, "WFConnection\n", ""), (0, "Connected\n", ""), (0, "SyncSource\n", "")]}),
        {"/proc/drbd": [up_waiting_for_peer(fixture_text)] * 2 + first_sync_files(fixture_text)["/proc/drbd"]})
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert node.calls.count(CSTATE) == 4 and clock.slept == 4
    assert result["steps"] == ["primary", "mkfs", "secondary"]


def test_a_brand_new_pair_whose_peer_never_connects_is_refused(drbd_node, run_module, fixture_text, clock):
    node = drbd_node(brand_new_pair(fixture_text, **{DSTATE: (0, "Inconsistent/DUnknown\n", ""), CSTATE: (0, "WFConnection\n", "")}),
                     {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync", "connect_timeout": 10})
    assert result["failed"] is True
    assert result["msg"] == ("cannot start the first mirror of r0: the nodes are not connected (WFConnection); the first "
                             "mirror needs both nodes. Nothing was changed.")
    assert clock.slept >= 10 and PRIMARY not in node.calls


def test_first_sync_of_a_resource_that_is_down_asks_for_state_up(drbd_node, run_module):
    node = drbd_node({ROLE: DOWN})
    result = run_module(drbd_resource, node, {"name": "r0", "state": "first_sync"})
    assert result["failed"] is True and result["msg"] == "resource r0 is not up on this node; run state=up first"
    assert node.calls == [DUMP, ROLE]


# --- external metadata: the metadata disk is checked as the data disk is ------------------------------------

BLKID_META = "blkid -p -o export /dev/vdd"


def with_meta_disk(monkeypatch):
    """/dev/vdd exists too (the fake node knows /dev/vdb and /dev/drbd0)."""
    monkeypatch.setattr(drbd_resource.os.path, "exists", lambda path: path in ("/dev/vdb", "/dev/vdd", "/dev/drbd0"))


def test_an_external_metadata_disk_holding_data_is_refused(drbd_node, run_module, fixture_text, monkeypatch):
    node = drbd_node(new_disk(**{BLKID_META: (0, fixture_text("blkid_ext4.txt").replace("/dev/vdb", "/dev/vdd"), "")}))
    with_meta_disk(monkeypatch)
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "meta_disk": "/dev/vdd"})
    assert result["failed"] is True
    assert result["msg"].startswith("/dev/vdd holds ext4 data (label precious) and no DRBD metadata. Refusing")
    assert node.calls == [DUMP, ROLE, BLKID_DISK, BLKID_META, DSTATE]
    # Listed: both disks are looked at, only the one holding data is wiped.
    node = drbd_node(new_disk(**{BLKID_META: (0, fixture_text("blkid_ext4.txt"), ""), "wipefs --all /dev/vdd": (0, "", ""),
                                 "drbdadm create-md --force r0": (0, "", "")}), {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    with_meta_disk(monkeypatch)
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "meta_disk": "/dev/vdd", "wipe_meta": True})
    assert node.calls[:7] == [DUMP, ROLE, BLKID_DISK, BLKID_META, DSTATE, "wipefs --all /dev/vdd", "drbdadm create-md --force r0"]
    assert "wipefs --all /dev/vdb" not in node.calls and result["metadata"] == "wiped and created"


def test_external_metadata_is_found_on_its_own_disk(drbd_node, run_module, fixture_text, monkeypatch):
    # An adopted server's data disk keeps its ext4 signature: DRBD's is on the metadata disk.
    node = drbd_node(new_disk(**{BLKID_DISK: (0, fixture_text("blkid_ext4.txt"), ""),
                                 BLKID_META: (0, fixture_text("blkid_drbd_metadata.txt"), ""),
                                 DSTATE: [(1, "", "some other failure\n"), (0, "Inconsistent/DUnknown\n", "")], CIB_RESOURCES: (0, "<resources/>", ""),
                                 DRY_ADJUST: (0, "drbdsetup-84 attach 0 /dev/vdb /dev/vdd flexible\n", "")}),
                     {"/proc/drbd": up_waiting_for_peer(fixture_text)})
    with_meta_disk(monkeypatch)
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb", "meta_disk": "/dev/vdd"})
    assert not result.get("failed") and result["metadata"] == "kept"
    assert CREATE_MD not in node.calls and ADJUST in node.calls


def test_the_cib_tells_which_drbd_resources_the_cluster_runs(fixture_text):
    """adopt.yml leaves a resource the cluster runs to the cluster (node_state's managed_drbd)."""
    from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import managed_drbd
    assert managed_drbd(managed_resources(fixture_text)) == ["r0"]
    assert managed_drbd(fixture_text("cib_p2_services_running.xml")) == []
    assert managed_drbd("Could not connect to the CIB") == []


def test_a_new_disk_under_a_diskless_resource_gets_metadata_and_is_attached(drbd_node, run_module, fixture_text):
    """A failed disk detached (on-io-error detach), a blank one in its place: dstate answers for the running resource
    (Diskless), so only DRBD's signature on the disk counts; drbdmeta makes metadata for a Diskless minor."""
    diskless = (0, "Secondary/Primary\n", "")
    node = drbd_node({ROLE: diskless, BLKID_DISK: NOTHING_FOUND, DSTATE: (0, "Diskless/UpToDate\n", ""),
                      CSTATE: (0, "Connected\n", ""), CREATE_MD: (0, "", ""), ADJUST: (0, "", "")},
                     {"/proc/drbd": fixture_text("proc_drbd_84_healthy.txt").replace("ds:UpToDate/UpToDate", "ds:Diskless/UpToDate")})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    assert not result.get("failed") and result["metadata"] == "created"
    assert node.calls[:node.calls.index(CREATE_MD) + 2] == [DUMP] + STATE + [BLKID_DISK, DSTATE, CREATE_MD, ADJUST]
    # A disk that holds data is refused there as anywhere.
    node = drbd_node({ROLE: diskless, BLKID_DISK: (0, fixture_text("blkid_ext4.txt"), ""), DSTATE: (0, "Diskless/UpToDate\n", ""),
                      CSTATE: (0, "Connected\n", "")}, {"/proc/drbd": fixture_text("proc_drbd_84_healthy.txt")})
    result = run_module(drbd_resource, node, {"name": "r0", "disk": "/dev/vdb"})
    assert result["failed"] and "holds ext4 data" in result["msg"] and CREATE_MD not in node.calls
