# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adopting a server that runs: its data filesystem becomes a DRBD backing disk; no commands run here.

- metadata_bytes: the room DRBD's metadata takes for a backing disk (LINBIT's formula, which is exact).
- The parsers read what the node tells about its disks (dumpe2fs, resize2fs -P, vgs, mountinfo).
- room_plan: where the server's disk finds room for the metadata (an external disk, space the
  filesystem leaves free, a grown LVM volume, or an ext4 shrunk offline), or why it cannot.
- resource_plan: the whole decision for one resource from both nodes' disk facts: which node is the
  source (only the one with the data, ever), what the standby's disk must be, and what stops for how long.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import describe_signature
from ansible_collections.twonode.ha.plugins.module_utils.node_state import unescape_mountinfo

SECTOR = 512
KIB = 1024
MIB = 1024 * KIB
FILESYSTEMS = ("ext4", "xfs")
# The few seconds a switch takes: stop the services, unmount, create the metadata, bring DRBD up
# (primary), mount the DRBD device, start the services.
SWITCH = "the services stop, the filesystem is unmounted and mounted again from the DRBD device (seconds)"


def metadata_bytes(data_bytes, drbd_major=8, peers=1):
    """Bytes DRBD's metadata takes for a backing disk of data_bytes (internal, or flexible external).

    A 4 KiB superblock, a 32 KiB activity log, and a bitmap of one bit per 4 KiB in 4 KiB blocks
    (one per peer on DRBD 9): LINBIT's ceil(Cs / 2^18) * 8 * N + 72 sectors. drbdmeta (v08) leaves
    exactly the rest usable: 512 MiB -> 52 KiB, so an ext4 shrunk by 13 blocks fits and by 12 does not.
    """
    sectors = -(-int(data_bytes) // SECTOR)
    slots = max(1, int(peers)) if int(drbd_major) >= 9 else 1
    return (-(-sectors // 2 ** 18) * 8 * slots + 72) * SECTOR


def usable_bytes(disk_bytes, drbd_major=8, peers=1):
    """What a DRBD device offers on a backing disk with internal metadata (DRBD places it on whole 4 KiB blocks)."""
    whole = int(disk_bytes) // 4096 * 4096
    return whole - metadata_bytes(whole, drbd_major, peers)


def disk_for(usable, drbd_major=8, peers=1):
    """The smallest disk (in 4 KiB blocks) whose DRBD device, with internal metadata, offers usable bytes."""
    size = -(-(int(usable) + metadata_bytes(usable, drbd_major, peers)) // 4096) * 4096
    while usable_bytes(size, drbd_major, peers) < usable:
        size += 4096
    return size


def parse_dumpe2fs(text):
    """`dumpe2fs -h DEV` -> {block_count, block_size, state}; raises ValueError without the two numbers."""
    values = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    try:
        return {"block_count": int(values["Block count"]), "block_size": int(values["Block size"]),
                "state": values.get("Filesystem state", "")}
    except (KeyError, ValueError):
        raise ValueError("dumpe2fs -h gave no block count and size")


def parse_xfs_info(text):
    """`xfs_info MOUNTPOINT` -> {block_count, block_size} of its data section; raises ValueError without them."""
    found = re.search(r"^data\s+=.*?bsize=(\d+)\s+blocks=(\d+)", text or "", re.MULTILINE)
    if not found:
        raise ValueError("xfs_info gave no data block size and count")
    return {"block_count": int(found.group(2)), "block_size": int(found.group(1))}


def parse_resize2fs_minimum(text):
    """`resize2fs -P DEV` -> the estimated minimum size in blocks, or None."""
    found = re.search(r"Estimated minimum size of the filesystem:\s*(\d+)", text or "")
    return int(found.group(1)) if found else None


def parse_vgs(text):
    """`vgs --reportformat json --units b --nosuffix -o vg_name,vg_free,vg_extent_size` -> {vg: {free, extent}}."""
    try:
        report = json.loads(text or "{}").get("report", [])
    except ValueError as exc:
        raise ValueError("vgs did not print JSON: %s" % exc)
    groups = {}
    for part in report:
        for vg in part.get("vg", []):
            groups[vg["vg_name"]] = {"free": int(vg.get("vg_free") or 0), "extent": int(vg.get("vg_extent_size") or 0)}
    return groups


def lvm_names(dm_name):
    """Device mapper's name of a logical volume ("vg-lv", a dash in a name doubled) -> (vg, lv)."""
    parts = re.split(r"(?<!-)-(?!-)", dm_name or "", maxsplit=1)
    if len(parts) != 2 or not all(parts):
        return None
    return tuple(part.replace("--", "-") for part in parts)


def mounts(mountinfo_text):
    """/proc/self/mountinfo -> [{majmin, mountpoint, fstype, source}] in its order."""
    found = []
    for line in (mountinfo_text or "").splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 5:
            continue
        after = line.split(" - ", 1)[1].split(" ")
        found.append({"majmin": fields[2], "mountpoint": unescape_mountinfo(fields[4]),
                      "fstype": after[0], "source": unescape_mountinfo(after[1]) if len(after) > 1 else ""})
    return found


# fstab options that only say how a boot mounts it: Pacemaker mounts it, so they do not carry over.
BOOT_ONLY_OPTIONS = ("defaults", "auto", "noauto", "nofail", "_netdev", "rw")
# A network filesystem's line may carry a password: such options never leave the node.
SECRET_OPTION = re.compile(r"pass|cred|secret|user(name)?=", re.IGNORECASE)


def fstab_lines(fstab_text, mountpoint):
    """The lines of /etc/fstab that mount something at mountpoint (comments left out; fstab writes a space as \\040)."""
    wanted = mountpoint.rstrip("/") or "/"
    return [line for line in (fstab_text or "").splitlines()
            if len(line.split()) > 1 and not line.lstrip().startswith("#")
            and (unescape_mountinfo(line.split()[1]).rstrip("/") or "/") == wanted]


def fstab_options(fstab_text, mountpoint):
    """The options /etc/fstab mounts mountpoint with, less those that only matter at boot; None without a line."""
    for line in fstab_lines(fstab_text, mountpoint):
        fields = line.split()
        if len(fields) > 3:
            return [o for o in fields[3].split(",") if o not in BOOT_ONLY_OPTIONS and not o.startswith(("x-systemd.", "comment="))
                    and not SECRET_OPTION.search(o)]
    return None


def options_problem(name, kept, mountpoint, storage_options):
    """Why Pacemaker would mount the adopted filesystem otherwise than the server does (kept: fstab_options'), or None."""
    given = [o for o in str(storage_options or "").split(",") if o and o not in BOOT_ONLY_OPTIONS]
    if kept is None or sorted(kept) == sorted(given):
        return None
    words = (name, mountpoint, ",".join(kept) or "the defaults", ",".join(given) or "none", ",".join(kept) or "''")
    return ("%s: the server mounts %s with %s, the group's storage.options give %s; set storage.options: %s so that "
            "Pacemaker mounts it as the server did, on either node" % words)


def _mib(value):
    """A size as an administrator reads it: whole MiB, else KiB (drbdmeta and df speak KiB too)."""
    return "%d MiB" % (value // MIB) if value % MIB == 0 else "%d KiB" % -(-value // KIB)


def filesystem_bytes(disk):
    """How much of the disk the filesystem uses, as an ext4 (dumpe2fs) or xfs (xfs_info) tells; else the whole disk."""
    known = disk.get("ext4") or disk.get("xfs")
    if known:
        return known["block_count"] * known["block_size"]
    return disk["size"]


def room_plan(disk, meta_disk, drbd_major, peers, allow_shrink):
    """Where the server's data disk finds room for DRBD's metadata: (plan, None) or (None, why not).

    disk: the data disk's facts (size, fstype, ext4, lvm); meta_disk: the external metadata disk's facts,
    or None for internal metadata (an LVM volume's lvm gives its group's vg_free and extent). plan: {room, metadata, usable,
    shrink_to_blocks, grow_bytes}: usable is the DRBD device's size, which the standby must match.
    """
    size, path = disk["size"], disk["path"]
    fs_bytes = filesystem_bytes(disk)
    plan = {"room": None, "metadata": 0, "usable": size, "shrink_to_blocks": None, "grow_bytes": 0}
    if meta_disk is not None:
        needed = metadata_bytes(size, drbd_major, peers)
        if meta_disk["size"] < needed:
            return None, ("the metadata disk %s has %s; DRBD's metadata for %s (%s) needs %s"
                          % (meta_disk["path"], _mib(meta_disk["size"]), path, _mib(size), _mib(needed)))
        plan.update(room="external", metadata=needed)
        return plan, None
    metadata = metadata_bytes(size, drbd_major, peers)
    if usable_bytes(size, drbd_major, peers) >= fs_bytes and (disk.get("ext4") or disk.get("xfs")):
        plan.update(room="free", metadata=metadata, usable=usable_bytes(size, drbd_major, peers))
        return plan, None
    options = []
    lvm = disk.get("lvm")
    if lvm:
        extent = lvm.get("extent") or MIB
        grow = -(-metadata // extent) * extent
        while usable_bytes(size + grow, drbd_major, peers) < fs_bytes:
            grow += extent
        if lvm.get("vg_free", 0) >= grow:
            plan.update(room="grow", metadata=metadata_bytes(size + grow, drbd_major, peers), grow_bytes=grow,
                        usable=usable_bytes(size + grow, drbd_major, peers))
            return plan, None
        options.append("volume group %s has %s free; growing %s by %s would make the room"
                       % (lvm["vg"], _mib(lvm.get("vg_free", 0)), path, _mib(grow)))
    else:
        options.append("%s is not an LVM volume that could grow" % path)
    if disk.get("fstype") != "ext4":
        options.append("%s cannot shrink (only ext4 is shrunk, offline)" % (disk.get("fstype") or "this filesystem"))
    elif not allow_shrink:
        options.append("shrinking the ext4 by %s (offline: e2fsck and resize2fs while the services are stopped) "
                       "needs drbd_adopt_shrink: true" % _mib(metadata))
    else:
        ext4 = disk["ext4"]
        target = usable_bytes(size, drbd_major, peers) // ext4["block_size"]
        minimum = ext4.get("minimum_blocks")
        if minimum is None or target < minimum:
            options.append("the ext4 cannot shrink to %d blocks (resize2fs -P: at least %s)"
                           % (target, minimum if minimum is not None else "unknown"))
        else:
            plan.update(room="shrink", metadata=metadata, usable=usable_bytes(size, drbd_major, peers), shrink_to_blocks=target)
            return plan, None
    return None, ("%s's filesystem fills the disk and internal metadata needs %s at its end: %s; or give the "
                  "resource a meta_disk (external metadata, the filesystem untouched)" % (path, _mib(metadata), "; ".join(options)))


def blank_disk_problem(disk, in_wipe_list, role):
    """Why a disk the standby gives DRBD (its data disk or a metadata disk) may not be used, or None."""
    path = disk["path"]
    if disk.get("kind") != "block":
        return "%s %s is not a block device (%s)" % (role, path, disk.get("kind", "missing"))
    if disk.get("mountpoints"):
        return "%s %s is mounted at %s" % (role, path, ", ".join(disk["mountpoints"]))
    if disk.get("holders"):
        return "%s %s is in use by %s" % (role, path, ", ".join(disk["holders"]))
    signature = disk.get("signature") or {}
    if signature.get("TYPE") == "drbd":
        # Before the server serves from DRBD, metadata on the standby is an earlier pair's: it would not connect.
        return ("%s %s holds DRBD metadata of an earlier pair. The standby's disks must be blank: if what it holds is "
                "expendable, remove the signature on that node (wipefs -a %s) and run again" % (role, path, path))
    if signature and not in_wipe_list:
        return ("%s %s holds %s. The standby's disks must be blank: it gets its data from the server. "
                "If that data is expendable, add %s to drbd_wipe_disks" % (role, path, describe_signature(signature), path))
    return None


def resource_plan(request):
    """The adoption of one DRBD resource, decided from both nodes' facts; nothing is planned while any reason stands.

    request: {resource, source, standby, mountpoint, drbd_major, peers, allow_shrink, disks: {node: facts of the data
    disk}, meta_disks: {node: facts or None}, wipe: {node: [paths]}, drbd_device, mounted_from: what the source
    has mounted at the mountpoint now}. Returns {refused: [...], done, room, metadata, usable, shrink_to_blocks, grow_bytes, downtime, lines}.
    """
    name, source, standby = request["resource"], request["source"], request["standby"]
    mountpoint = request["mountpoint"]
    disk, other = request["disks"][source], request["disks"][standby]
    plan = {"resource": name, "source": source, "standby": standby, "refused": [], "done": False, "room": None,
            "metadata": 0, "usable": 0, "shrink_to_blocks": None, "grow_bytes": 0, "downtime": "", "lines": []}
    refused = plan["refused"]
    if disk.get("kind") != "block":
        refused.append("%s: %s on %s is not a block device (%s)" % (name, disk["path"], source, disk.get("kind", "missing")))
        return plan
    if request.get("managed"):
        plan["done"] = True
        plan["lines"].append("%s: the cluster runs it already; nothing to switch" % name)
        return plan
    if request.get("drbd_device") and request.get("mounted_from") == request["drbd_device"]:
        plan["done"] = True
        plan["lines"].append("%s: %s serves %s from %s already" % (name, source, mountpoint, request["drbd_device"]))
        return plan
    source_data = disk.get("fstype") in FILESYSTEMS and mountpoint in disk.get("mountpoints", [])
    source_meta = request["meta_disks"].get(source)
    source_metadata = (disk.get("signature") or {}).get("TYPE") == "drbd" or (
        source_meta is not None and (source_meta.get("signature") or {}).get("TYPE") == "drbd")
    standby_signature = (other.get("signature") or {}).get("TYPE")
    if not source_data:
        if standby_signature in FILESYSTEMS and not (disk.get("signature") or {}).get("TYPE"):
            refused.append("%s: %s's %s holds %s data and %s's %s is blank: the server with the data is %s. Adopting from %s "
                           "would mirror the blank disk over it; run with adopt_from=%s"
                           % (name, standby, other["path"], standby_signature, source, disk["path"], standby, source, standby))
        elif source_metadata and request.get("mounted_from") is None and standby_signature != "drbd":
            # A switch cut short after the metadata was made, before the standby took part: it goes on.
            plan.update(room="resume", downtime="the services are down until the switch goes on (seconds)")
            plan["lines"].append("%s: the switch on %s stopped after DRBD's metadata was made; it goes on: DRBD up, "
                                 "primary, %s mounted from %s, the services started" % (name, source, mountpoint, request.get("drbd_device")))
        elif source_metadata:
            also = " and %s's disk has DRBD metadata too" % standby if standby_signature == "drbd" else ""
            refused.append("%s: %s already holds DRBD metadata but %s is not mounted from %s%s; bring the resource up by hand "
                           "(the README's adoption section)" % (name, disk["path"], mountpoint, request.get("drbd_device"), also))
        else:
            where = ", ".join(disk.get("mountpoints", [])) or "nowhere"
            refused.append("%s: %s on %s is not the data filesystem mounted at %s (it is mounted %s, %s); the group's "
                           "mountpoint must be where the server has its data now"
                           % (name, disk["path"], source, mountpoint, where,
                              disk.get("fstype") or describe_signature(disk.get("signature") or {}) or "blank"))
        return plan
    if disk.get("holders"):
        refused.append("%s: %s on %s is in use by %s" % (name, disk["path"], source, ", ".join(disk["holders"])))
    if request.get("filesystem") and request["filesystem"] != disk["fstype"]:
        refused.append("%s: the server's filesystem is %s but drbd_resources gives filesystem %s, which Pacemaker mounts it as; "
                       "set filesystem: %s for %s" % (name, disk["fstype"], request["filesystem"], disk["fstype"], name))
    if request["meta_disks"].get(source) is not None:
        meta_problem = blank_disk_problem(request["meta_disks"][source], request["meta_disks"][source]["path"]
                                          in request["wipe"].get(source, []), "%s's metadata disk" % source)
        if meta_problem:
            refused.append("%s: %s" % (name, meta_problem))
    room, why = room_plan(disk, request["meta_disks"].get(source), request["drbd_major"], request["peers"],
                          request["allow_shrink"])
    if why:
        refused.append("%s: %s" % (name, why))
        return plan
    plan.update(room)
    for problem in (blank_disk_problem(other, other["path"] in request["wipe"].get(standby, []), "%s's disk" % standby),
                    blank_disk_problem(request["meta_disks"][standby], request["meta_disks"][standby]["path"]
                                       in request["wipe"].get(standby, []), "%s's metadata disk" % standby)
                    if request["meta_disks"].get(standby) is not None else None):
        if problem:
            refused.append("%s: %s" % (name, problem))
    if other.get("kind") == "block":
        if request["meta_disks"].get(standby) is not None:
            standby_usable = other["size"]
            needed = metadata_bytes(other["size"], request["drbd_major"], request["peers"])
            if request["meta_disks"][standby].get("size", 0) < needed:
                refused.append("%s: %s's metadata disk %s has %s; it needs %s"
                               % (name, standby, request["meta_disks"][standby]["path"],
                                  _mib(request["meta_disks"][standby].get("size", 0)), _mib(needed)))
        else:
            standby_usable = usable_bytes(other["size"], request["drbd_major"], request["peers"])
        if standby_usable < room["usable"]:
            least = room["usable"] if request["meta_disks"].get(standby) is not None else disk_for(
                room["usable"], request["drbd_major"], request["peers"])
            refused.append("%s: %s's %s offers %s to DRBD, less than the %s the data takes on %s; the standby's disk must be "
                           "at least %s" % (name, standby, other["path"], _mib(standby_usable), _mib(room["usable"]), source,
                                            _mib(least)))
    if refused:
        return plan
    where = ("on %s (external)" % request["meta_disks"][source]["path"] if room["room"] == "external"
             else "at the end of %s (internal)" % disk["path"])
    how = {"external": "the filesystem is not touched",
           "free": "the filesystem already leaves that room free",
           "grow": "the LVM volume grows by %s first, online" % _mib(room["grow_bytes"]),
           "shrink": "the ext4 is shrunk to %d blocks first" % (room["shrink_to_blocks"] or 0)}[room["room"]]
    plan["downtime"] = SWITCH if room["room"] != "shrink" else (
        SWITCH[:-len(" (seconds)")] + ", after e2fsck -f and resize2fs of the %s filesystem: minutes on a large one"
        % _mib(filesystem_bytes(disk)))
    plan["lines"] += [
        "%s: %s's %s (%s, mounted at %s) becomes %s; the data stays where it is" % (
            name, source, disk["path"], disk["fstype"], mountpoint, request.get("drbd_device") or "the DRBD device"),
        "%s: metadata (%s) %s; %s" % (name, _mib(room["metadata"]), where, how),
        "%s: %s's %s gets its metadata after %s serves from DRBD, then the first mirror copies %s from %s to it"
        % (name, standby, other["path"], source, _mib(room["usable"]), source),
        "%s: downtime: %s" % (name, plan["downtime"]),
    ]
    return plan


def sysfs_block(sys_dir):
    """What sysfs tells of one block device (its /sys/dev/block/MAJ:MIN directory): {size, holders, partitions, lvm}.

    size in bytes (sysfs counts 512-byte sectors whatever the device's block size); holders: what sits on it
    (device mapper, md); partitions: its partitions' names; lvm: {vg, lv} when it is a logical volume."""
    def text(name):
        try:
            with open(os.path.join(sys_dir, name)) as handle:
                return handle.read().strip()
        except (IOError, OSError):
            return ""

    holders_dir = os.path.join(sys_dir, "holders")
    holders = sorted(os.listdir(holders_dir)) if os.path.isdir(holders_dir) else []
    partitions = sorted(entry for entry in (os.listdir(sys_dir) if os.path.isdir(sys_dir) else [])
                        if os.path.isfile(os.path.join(sys_dir, entry, "partition")))
    lvm = None
    if text("dm/uuid").startswith("LVM-"):
        names = lvm_names(text("dm/name"))
        lvm = {"vg": names[0], "lv": names[1]} if names else None
    size = text("size")
    return {"size": int(size) * SECTOR if size.isdigit() else 0, "holders": holders, "partitions": partitions, "lvm": lvm}


def switch_steps(room, mounted_from, disk, drbd_device, has_metadata, role, local_disk, fresh_metadata, connection=None):
    """The steps of the switch on the server, from where it stands (a run cut short resumes where it stopped).

    room: room_plan's (grow and shrink only when this run makes the room); mounted_from: what is mounted at the
    mountpoint now (None: nothing); role ("Primary/Secondary" as drbdadm says it), local_disk and connection: the
    resource's on this node (None when down); fresh_metadata: its metadata was just created and never used (DRBD 8.4's
    current UUID). room "resume" carries the controller's word that the standby never took part (no DRBD signature
    on its disks, no cluster running the resource): this node's copy is then the only one, and a disk DRBD calls
    Consistent or Outdated after a reboot may be forced primary. Returns the steps in order, from grow, stop,
    umount, fstab, fsck, shrink, create-md, up, primary, primary-force, mount, start, disable; raises ValueError
    where going on could lose data.
    """
    if mounted_from == drbd_device:
        return ["fstab", "start", "disable"]
    if mounted_from == disk and not has_metadata:
        steps = ["grow"] if room == "grow" else []
        steps += ["stop", "umount", "fstab"]
        steps += ["fsck", "shrink"] if room == "shrink" else []
        return steps + ["create-md", "up", "primary-force", "mount", "start", "disable"]
    if mounted_from == disk:
        raise ValueError("%s is mounted and carries DRBD metadata from a switch that did not finish; if no cluster "
                         "runs it, remove that metadata (drbdadm -- --force wipe-md RESOURCE leaves the filesystem as it "
                         "is) and run again" % disk)
    if mounted_from is not None:
        raise ValueError("the mountpoint has %s mounted, neither %s nor %s" % (mounted_from, disk, drbd_device))
    if not has_metadata:
        raise ValueError("%s is not mounted and has no DRBD metadata: mount it where the services find their data "
                         "and run again" % disk)
    roles = (role or "").split("/")
    if connection not in (None, "StandAlone", "WFConnection", "Connecting", "Unconnected") or roles[1:] == ["Primary"]:
        raise ValueError("DRBD is %s here and the peer is %s: the standby took part already, so this is no switch to "
                         "finish; the cluster decides where the data is served" % (connection, roles[1] if len(roles) > 1 else "unknown"))
    steps = ["up"] if role is None else []
    if roles[0] != "Primary":
        if local_disk == "Inconsistent" and fresh_metadata:
            steps.append("primary-force")
        elif room == "resume" and local_disk in ("UpToDate", "Consistent", "Outdated"):
            steps.append("primary-force")
        elif local_disk == "UpToDate":
            steps.append("primary")
        else:
            raise ValueError("%s's disk is %s: it may not hold the newest data, so it is not made primary here; see the "
                             "README's adoption section to finish by hand" % (disk, local_disk or "unknown"))
    return steps + ["mount", "fstab", "start", "disable"]
