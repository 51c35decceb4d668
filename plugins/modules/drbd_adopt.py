#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: drbd_adopt
short_description: Put a running server's data filesystem under DRBD, keeping every byte and the mountpoint
description:
  - The switch at the heart of C(playbooks/adopt.yml), run on the server that has the data. Its data disk
    becomes the backing disk of a DRBD resource and this node its only sync source, so the blank standby can
    only ever receive the data.
  - Stops the services that use the filesystem, unmounts it, makes the room for DRBD's metadata if asked
    (O(room=shrink) runs C(e2fsck -f) and C(resize2fs) first), creates the metadata, brings the resource up,
    makes it primary, mounts the DRBD device where the filesystem was and starts the services again. The
    seconds between the stop and the start are returned in RV(downtime_seconds).
  - C(/etc/fstab)'s line for the mountpoint is commented out (marked), since from then on only the DRBD device
    may be mounted there and Pacemaker will mount it.
  - A step that fails before the DRBD device is mounted puts the server back as it was (DRBD down, the disk
    mounted, the services started) and fails with what the command said. C(drbdmeta) itself refuses to put
    internal metadata over the end of a filesystem.
  - A run cut short resumes where it stopped (the metadata made, DRBD down or secondary); a copy that may not
    be the newest is never forced primary. On a server adopted already it changes nothing.
  - The controller decides O(room) from both nodes' disks (M(twonode.ha.node_state)'s O(twonode.ha.node_state#module:disks));
    this module does not decide which node is the source.
version_added: "0.9.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  name:
    description: The DRBD resource, configured on this node already (its file names O(disk)).
    type: str
    required: true
  disk:
    description: The data disk, mounted at O(mountpoint) now.
    type: path
    required: true
  mountpoint:
    description: Where the services find their data; the DRBD device is mounted there.
    type: path
    required: true
  filesystem:
    description: The filesystem on O(disk) (for mounting it by type: once DRBD's metadata is on a disk, C(blkid) calls it C(drbd)).
    type: str
    choices: [ext4, xfs]
    default: ext4
  room:
    description:
      - How the disk makes room for DRBD's metadata. V(external) and V(free) need nothing, V(grow) grows the LVM
        volume by O(grow_bytes) (online, before the services stop), V(shrink) shrinks the ext4 to O(shrink_to_blocks).
      - V(resume) goes on with a switch that was cut short.
    type: str
    choices: [external, free, grow, shrink, resume]
    required: true
  shrink_to_blocks:
    description: The ext4's new size in its blocks, for O(room=shrink).
    type: int
  grow_bytes:
    description: Bytes to grow the LVM volume by, for O(room=grow).
    type: int
  units:
    description: The systemd units that use the filesystem (the group's services); stopped for the switch and started after.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Returns the steps it would take and changes nothing.
  diff_mode:
    support: full
    description: Shows what is mounted at O(mountpoint) before and after.
notes:
  - Works with the DRBD 8.4 kernel module and DRBD 9 through drbd-utils (C(drbdadm)).
requirements:
  - drbd-utils, util-linux, e2fsprogs (O(room=shrink)), lvm2 (O(room=grow))
"""

EXAMPLES = r"""
- name: Put the web server's data under DRBD (the metadata on a small disk of its own)
  twonode.ha.drbd_adopt:
    name: r0
    disk: /dev/vdb
    mountpoint: /srv/www
    room: external
    units: [nginx]

- name: The same with internal metadata, after shrinking the ext4 by the metadata's size
  twonode.ha.drbd_adopt:
    name: r0
    disk: /dev/vdb
    mountpoint: /srv/www
    room: shrink
    shrink_to_blocks: 131059
    units: [nginx, postfix]
"""

RETURN = r"""
steps:
  description: The steps taken (or that would be), in order, from V(grow), V(stop), V(umount), V(fsck), V(shrink),
    V(create-md), V(up), V(primary), V(primary-force), V(mount), V(fstab), V(start).
  returned: always
  type: list
  elements: str
  sample: [stop, umount, create-md, up, primary-force, mount, fstab, start]
downtime_seconds:
  description: Seconds from the services' stop to their start again; V(null) when they were not stopped.
  returned: always
  type: float
  sample: 2.4
device:
  description: The DRBD device now mounted at O(mountpoint).
  returned: always
  type: str
  sample: /dev/drbd0
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.adopt_plan import mounts, parse_dumpe2fs, switch_steps
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import JUST_CREATED_UUID, parse_blkid_export, parse_get_gi
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, run_with_node

FSTAB = "/etc/fstab"
FSTAB_MARK = "# twonode.ha adopt.yml: the DRBD device is mounted here by Pacemaker now: "


def fstab_lines(text, mountpoint):
    """The lines of fstab that mount something at mountpoint (comments left out)."""
    return [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and len(line.split()) > 1
            and line.split()[1].rstrip("/") == mountpoint.rstrip("/")]


def fstab_without(text, mountpoint):
    """fstab with the lines for mountpoint commented out and marked, so the raw disk is never mounted at boot."""
    out = []
    for line in text.splitlines():
        out.append(FSTAB_MARK + line if line in fstab_lines(line, mountpoint) else line)
    return "\n".join(out) + "\n"


def mounted_at(mountpoint):
    with open("/proc/self/mountinfo") as handle:
        found = [mount["source"] for mount in mounts(handle.read()) if mount["mountpoint"] == mountpoint.rstrip("/")]
    return found[-1] if found else None


class Switch(object):
    def __init__(self, module, node):
        self.module, self.node, self.p = module, node, module.params
        self.stopped_at = None

    def read(self):
        """What stands now: (mounted_from, has_metadata, role, local_disk, fresh, device)."""
        name, disk = self.p["name"], self.p["disk"]
        device = self.node.must(["drbdadm", "sh-dev", name], "DRBD resource %s is not configured here: {said}" % name).strip()
        rc, role, dummy = self.node.run(["drbdadm", "role", name])
        role = role.strip().split("/")[0] if rc == 0 else None
        probe_rc, dstate, dummy = self.node.run(["drbdadm", "dstate", name])
        local = dstate.strip().split("/")[0] if probe_rc == 0 else None
        rc, out = self.node.ask(["blkid", "-p", "-o", "export", disk], "blkid could not read %s: {said}" % disk, ok=(0, 2))
        has_metadata = probe_rc == 0 or (rc == 0 and parse_blkid_export(out).get("TYPE") == "drbd")
        rc, gi, dummy = self.node.run(["drbdadm", "get-gi", name])
        fresh = rc == 0 and (parse_get_gi(gi) or "").upper() == JUST_CREATED_UUID
        return mounted_at(self.p["mountpoint"]), has_metadata, role if role != "Unconfigured" else None, \
            local if local not in ("Diskless", "Unconfigured") else None, fresh, device

    def units(self, verb):
        if self.p["units"]:
            self.node.must(["systemctl", verb] + self.p["units"])

    def put_back(self, device_up):
        """The server as it was: DRBD down, the disk mounted where it was, the services running."""
        p = self.p
        if device_up:
            self.node.run(["drbdadm", "down", p["name"]])
        if mounted_at(p["mountpoint"]) is None:
            self.node.run(["mount", "-t", p["filesystem"], p["disk"], p["mountpoint"]])
        self.node.run(["systemctl", "start"] + p["units"]) if p["units"] else None

    def fail_back(self, step, exc, device_up):
        self.put_back(device_up)
        self.module.fail_json(msg="The switch stopped at %s: %s. The server is back as it was: %s mounted at %s, the services "
                                  "started; nothing else changed." % (step, exc, self.p["disk"], self.p["mountpoint"]), step=step)

    def run(self, steps, device):
        p, node = self.p, self.node
        started = None
        device_up = False
        for step in steps:
            try:
                if step == "grow":
                    node.must(["lvextend", "--size", "+%db" % p["grow_bytes"], p["disk"]])
                elif step == "stop":
                    started = time.time()
                    self.units("stop")
                elif step == "umount":
                    rc, out, err = node.run(["umount", p["mountpoint"]])
                    if rc != 0:
                        dummy, users, more = node.run(["fuser", "-vm", p["mountpoint"]])
                        raise CommandFailed("umount %s: %s; still using it: %s" % (
                            p["mountpoint"], (err or out).strip(), (users + more).strip() or "unknown"), ["umount"], rc, out, err)
                elif step == "fsck":
                    # 1: errors corrected; anything more needs a person.
                    node.ask(["e2fsck", "-f", "-p", p["disk"]], "e2fsck {said}", ok=(0, 1))
                elif step == "shrink":
                    node.must(["resize2fs", p["disk"], str(p["shrink_to_blocks"])])
                elif step == "create-md":
                    # drbdmeta refuses (whatever --force says) metadata over a filesystem's end; --force answers its
                    # "Do you want to proceed?" for a filesystem that ends before the metadata.
                    node.must(["drbdadm", "create-md", "--force", p["name"]])
                elif step == "up":
                    node.must(["drbdadm", "up", p["name"]])
                    device_up = True
                elif step in ("primary", "primary-force"):
                    node.must(["drbdadm", "primary"] + (["--force"] if step == "primary-force" else []) + [p["name"]])
                    device_up = True
                    self.check_size(device)
                elif step == "mount":
                    node.must(["mount", "-t", p["filesystem"], device, p["mountpoint"]])
                elif step == "fstab":
                    self.comment_out_fstab()
                elif step == "start":
                    self.units("start")
            except (CommandFailed, ValueError) as exc:
                if step in ("fstab", "start"):
                    self.module.fail_json(msg="%s now serves %s from %s, but %s failed: %s" % (
                        p["mountpoint"], p["name"], device, step, exc), step=step)
                self.fail_back(step, exc, device_up)
        return round(time.time() - started, 1) if started else None

    def check_size(self, device):
        """The DRBD device holds the whole filesystem (drbdmeta checks this too; a second look costs nothing)."""
        size = int(self.node.must(["blockdev", "--getsize64", device]).strip())
        if self.p["filesystem"] == "ext4":
            ext4 = parse_dumpe2fs(self.node.must(["dumpe2fs", "-h", device]))
            needed = ext4["block_count"] * ext4["block_size"]
            if size < needed:
                raise ValueError("%s has %d bytes, less than the %d the ext4 on it takes" % (device, size, needed))

    def comment_out_fstab(self):
        with open(FSTAB) as handle:
            text = handle.read()
        if fstab_lines(text, self.p["mountpoint"]):
            temp = FSTAB + ".twonode-adopt"
            with open(temp, "w") as handle:
                handle.write(fstab_without(text, self.p["mountpoint"]))
            self.module.atomic_move(temp, FSTAB)


def same_device(path, other):
    """Whether two paths name one device (mountinfo says /dev/mapper/vg-lv where the inventory says /dev/vg/lv)."""
    return bool(path) and bool(other) and os.path.realpath(path) == os.path.realpath(other)


def adopt(module, node):
    p = module.params
    switch = Switch(module, node)
    mounted_from, has_metadata, role, local_disk, fresh, device = switch.read()
    if same_device(mounted_from, p["disk"]):
        mounted_from = p["disk"]
    elif same_device(mounted_from, device):
        mounted_from = device
    try:
        steps = switch_steps(p["room"], mounted_from, p["disk"], device, has_metadata, role, local_disk, fresh)
    except ValueError as exc:
        module.fail_json(msg="%s on this node: %s. Nothing was changed." % (p["name"], exc))
    # A finished switch's last two steps, only where something is left to do.
    with open(FSTAB) as handle:
        if not fstab_lines(handle.read(), p["mountpoint"]):
            steps = [step for step in steps if step != "fstab"]
    if mounted_from == device and "start" in steps:
        if all(node.run(["systemctl", "is-active", "--quiet", unit])[0] == 0 for unit in p["units"]):
            steps.remove("start")
    before = "%s: %s\n" % (p["mountpoint"], mounted_from)
    downtime = None
    if steps and not module.check_mode:
        downtime = switch.run(steps, device)
    after = "%s: %s\n" % (p["mountpoint"], device if not module.check_mode else mounted_from)
    return dict(changed=bool(steps), steps=steps, downtime_seconds=downtime, device=device, diff=dict(before=before, after=after))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            disk=dict(type="path", required=True),
            mountpoint=dict(type="path", required=True),
            filesystem=dict(type="str", choices=["ext4", "xfs"], default="ext4"),
            room=dict(type="str", choices=["external", "free", "grow", "shrink", "resume"], required=True),
            shrink_to_blocks=dict(type="int"),
            grow_bytes=dict(type="int"),
            units=dict(type="list", elements="str", default=[]),
        ),
        required_if=[("room", "shrink", ["shrink_to_blocks"]), ("room", "grow", ["grow_bytes"])],
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, adopt))


if __name__ == "__main__":
    main()
