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
  - C(/etc/fstab)'s line for the mountpoint is commented out (marked) right after the unmount, since from then on
    only the DRBD device may be mounted there and Pacemaker will mount it; the services no longer start at boot.
  - A step that fails before the DRBD device is mounted puts the server back as it was (DRBD down, the metadata
    this run made removed, fstab as it was, the disk mounted, the services started), checking each step, and
    fails with what the command said and what stays changed (a grown volume, a shrunk filesystem). C(drbdmeta)
    itself refuses to put internal metadata over the end of a filesystem.
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
    description: The filesystem on O(disk), which is mounted by its type (once DRBD's metadata is on a disk, C(blkid) calls it C(drbd)).
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
    description:
      - The systemd units that use the filesystem (the group's services); stopped for the switch and started after,
        and no longer started at boot (Pacemaker starts them where the data is).
    type: list
    elements: str
    default: []
  meta_disk:
    description: The resource's external metadata disk, as its configuration file names it; leave it out for internal metadata.
    type: path
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
  description: The steps taken (or that would be), in order, from V(grow), V(stop), V(umount), V(fstab), V(fsck),
    V(shrink), V(create-md), V(up), V(primary), V(primary-force), V(mount), V(start), V(disable).
  returned: always
  type: list
  elements: str
  sample: [stop, umount, fstab, create-md, up, primary-force, mount, start, disable]
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

import errno
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.adopt_plan import fstab_lines, mounts, parse_dumpe2fs, switch_steps
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import JUST_CREATED_UUID, parse_blkid_export, parse_get_gi
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, run_with_node

FSTAB = "/etc/fstab"
FSTAB_MARK = "# twonode.ha adopt.yml: the DRBD device is mounted here by Pacemaker now: "
# drbdadm's reads of a resource that is down go to drbdmeta, which asks before it opens a disk in use (mounted):
# the answer is no, and the read says nothing.
NO = "no\n"
UMOUNT_TRIES = 3


def fstab_without(text, mountpoint):
    """fstab with the lines for mountpoint commented out and marked, so the raw disk is never mounted at boot."""
    ours = fstab_lines(text, mountpoint)
    return "\n".join(FSTAB_MARK + line if line in ours else line for line in text.splitlines()) + "\n"


def mounted_at(mountpoint):
    with open("/proc/self/mountinfo") as handle:
        found = [mount["source"] for mount in mounts(handle.read()) if mount["mountpoint"] == (mountpoint.rstrip("/") or "/")]
    return found[-1] if found else None


def held_open(path):
    """Whether something still holds the device (a mount in another namespace, a process): an exclusive open fails."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_EXCL))
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return True
        raise
    return False


class Switch(object):
    """The switch on the server, with what it changed so far, so that a failure can put the server back."""

    def __init__(self, module, node):
        self.module, self.node, self.p = module, node, module.params
        self.fstab_before = None
        self.brought_up = False
        self.metadata_made = False
        self.kept = []  # what a failure leaves changed (harmless, said in the message)

    def read(self):
        """What stands now: (mounted_from, has_metadata, role, local_disk, connection, fresh, device)."""
        p = self.p
        name = p["name"]
        device = self.node.must(["drbdadm", "sh-dev", name], "DRBD resource %s is not configured here: {said}" % name).strip()
        rc, role, dummy = self.node.run(["drbdadm", "role", name], data=NO)
        role = role.strip() if rc == 0 and not role.strip().startswith("Unconfigured") else None
        probe_rc, dstate, dummy = self.node.run(["drbdadm", "dstate", name], data=NO)
        local = dstate.strip().split("/")[0] if probe_rc == 0 else None
        connection = self.node.run(["drbdadm", "cstate", name], data=NO)[1].strip() or None if role else None
        signature_disk = p["meta_disk"] or p["disk"]
        rc, out = self.node.ask(["blkid", "-p", "-o", "export", signature_disk], "blkid could not read %s: {said}" % signature_disk,
                                ok=(0, 2))
        has_metadata = probe_rc == 0 or (rc == 0 and parse_blkid_export(out).get("TYPE") == "drbd")
        rc, gi, dummy = self.node.run(["drbdadm", "get-gi", name], data=NO)
        fresh = rc == 0 and (parse_get_gi(gi) or "").upper() == JUST_CREATED_UUID
        return (mounted_at(p["mountpoint"]), has_metadata, role, local if local not in ("Diskless", "Unconfigured") else None,
                connection, fresh, device)

    def units(self, verb):
        if self.p["units"]:
            self.node.must(["systemctl", verb] + self.p["units"])

    def put_back(self):
        """The server as it was (DRBD down, the metadata this run made removed, fstab as it was, the disk mounted, the
        services running), each step checked; returns what could not be done."""
        p, node = self.p, self.node
        problems = []
        if self.brought_up:
            rc, out, err = node.run(["drbdadm", "down", p["name"]])
            if rc != 0:
                return ["DRBD %s could not be taken down (%s): the disk stays unmounted and the services stopped"
                        % (p["name"], (err or out).strip())]
        if self.metadata_made:
            rc, out, err = node.run(["drbdadm", "--", "--force", "wipe-md", p["name"]])
            if rc != 0:
                self.kept.append("DRBD's metadata made by this run (drbdadm -- --force wipe-md %s removes it; the filesystem "
                                 "is untouched)" % p["name"])
        if self.fstab_before is not None:
            self.write_fstab(self.fstab_before)
        if mounted_at(p["mountpoint"]) is None:
            rc, out, err = node.run(["mount", "-t", p["filesystem"], p["disk"], p["mountpoint"]])
            if rc != 0 or not same_device(mounted_at(p["mountpoint"]), p["disk"]):
                return problems + ["%s could not be mounted at %s again (%s): the services stay stopped"
                                   % (p["disk"], p["mountpoint"], (err or out).strip())]
        if p["units"]:
            rc, out, err = node.run(["systemctl", "start"] + p["units"])
            if rc != 0:
                problems.append("the services did not start again: %s" % (err or out).strip())
        return problems

    def fail_back(self, step, exc):
        problems = self.put_back()
        p = self.p
        if problems:
            self.module.fail_json(msg="The switch stopped at %s: %s. Putting the server back failed: %s." % (
                step, exc, "; ".join(problems)), step=step)
        kept = " Left as this run made it: %s." % "; ".join(self.kept) if self.kept else ""
        self.module.fail_json(msg="The switch stopped at %s: %s. The server is back as it was: %s mounted at %s, the services "
                                  "started.%s" % (step, exc, p["disk"], p["mountpoint"], kept), step=step)

    def run(self, steps, device):
        p, node = self.p, self.node
        started = ended = None
        for step in steps:
            try:
                if step == "grow":
                    node.must(["lvextend", "--size", "+%db" % p["grow_bytes"], p["disk"]])
                    self.kept.append("%s grown by %d bytes" % (p["disk"], p["grow_bytes"]))
                elif step == "stop":
                    started = time.time()
                    self.units("stop")
                elif step == "umount":
                    # A process that had a file open (a cron job, a shell) may let go a moment later.
                    for attempt in range(UMOUNT_TRIES):
                        rc, out, err = node.run(["umount", p["mountpoint"]])
                        if rc == 0 or attempt == UMOUNT_TRIES - 1:
                            break
                        time.sleep(1)
                    if rc != 0:
                        dummy, users, more = node.run(["fuser", "-vm", p["mountpoint"]])
                        raise CommandFailed("umount %s: %s; still using it: %s" % (
                            p["mountpoint"], (err or out).strip(), (users + more).strip() or "unknown"), ["umount"], rc, out, err)
                elif step == "fstab":
                    self.comment_out_fstab()
                elif step == "fsck":
                    # 1: errors corrected; anything more needs a person.
                    node.ask(["e2fsck", "-f", "-p", p["disk"]], "e2fsck {said}", ok=(0, 1))
                elif step == "shrink":
                    node.must(["resize2fs", p["disk"], str(p["shrink_to_blocks"])])
                    self.kept.append("the ext4 on %s shrunk to %d blocks" % (p["disk"], p["shrink_to_blocks"]))
                elif step == "create-md":
                    self.create_metadata()
                elif step == "up":
                    self.brought_up = True
                    node.must(["drbdadm", "up", p["name"]])
                elif step in ("primary", "primary-force"):
                    node.must(["drbdadm", "primary"] + (["--force"] if step == "primary-force" else []) + [p["name"]])
                    self.check_size(device)
                elif step == "mount":
                    node.must(["mount", "-t", p["filesystem"], device, p["mountpoint"]])
                elif step == "disable":
                    # After the start, out of the downtime: systemd forgets the mount units of the lines commented
                    # out, and the services no longer start at boot (Pacemaker starts them where the data is).
                    if self.fstab_before is not None:
                        node.must(["systemctl", "daemon-reload"])
                    if p["units"]:
                        node.must(["systemctl", "disable", "--quiet"] + p["units"])
                elif step == "start":
                    self.units("start")
                    ended = time.time()
            except (CommandFailed, ValueError, OSError) as exc:
                if step in ("start", "disable") or (step == "fstab" and mounted_at(p["mountpoint"]) == device):
                    self.module.fail_json(msg="%s now serves %s from %s, but %s failed: %s" % (
                        p["mountpoint"], p["name"], device, step, exc), step=step)
                self.fail_back(step, exc)
        return round((ended or time.time()) - started, 1) if started else None

    def create_metadata(self):
        p, node = self.p, self.node
        for path in [p["disk"]] + ([p["meta_disk"]] if p["meta_disk"] else []):
            if held_open(path):
                raise ValueError("%s is still in use after the unmount (mounted in another namespace, or open)" % path)
        # drbdmeta refuses metadata over a filesystem's end whatever it is told (exit 40, --force or not). For a
        # filesystem that ends before the metadata it asks to be sure, and takes no answer from a stdin that is not a
        # terminal: --force gives it, after the checks above (the disk held by nothing, the plan's sizes). An
        # external metadata disk must give it nothing to ask about: any question there is a refusal.
        force = [] if p["meta_disk"] else ["--force"]
        rc, out, err = node.run(["drbdadm", "create-md"] + force + [p["name"]], data=NO)
        if rc != 0 or "successfully created" not in out + err:
            raise CommandFailed("drbdadm create-md %s refused (rc %d): %s" % (p["name"], rc, (out + err).strip()),
                                ["drbdadm", "create-md"], rc, out, err)
        self.metadata_made = True

    def check_size(self, device):
        """The DRBD device holds the whole filesystem (drbdmeta checks this too; a second look costs nothing)."""
        size = int(self.node.must(["blockdev", "--getsize64", device]).strip())
        if self.p["filesystem"] == "ext4":
            ext4 = parse_dumpe2fs(self.node.must(["dumpe2fs", "-h", device]))
            needed = ext4["block_count"] * ext4["block_size"]
            if size < needed:
                raise ValueError("%s has %d bytes, less than the %d the ext4 on it takes" % (device, size, needed))

    def write_fstab(self, text, reload=True):
        temp = FSTAB + ".twonode-adopt"
        with open(temp, "w") as handle:
            handle.write(text)
        self.module.atomic_move(temp, FSTAB)
        # systemd made mount units of the old lines; it forgets them only when told.
        if reload:
            self.node.run(["systemctl", "daemon-reload"])

    def comment_out_fstab(self):
        with open(FSTAB) as handle:
            text = handle.read()
        if fstab_lines(text, self.p["mountpoint"]):
            self.fstab_before = text
            # systemd is told in the disable step, after the services run again: a boot reads the file itself.
            self.write_fstab(fstab_without(text, self.p["mountpoint"]), reload=False)


def same_device(path, other):
    """Whether two paths name one device (mountinfo says /dev/mapper/vg-lv where the inventory says /dev/vg/lv)."""
    return bool(path) and bool(other) and os.path.realpath(path) == os.path.realpath(other)


def adopt(module, node):
    p = module.params
    switch = Switch(module, node)
    mounted_from, has_metadata, role, local_disk, connection, fresh, device = switch.read()
    if same_device(mounted_from, p["disk"]):
        mounted_from = p["disk"]
    elif same_device(mounted_from, device):
        mounted_from = device
    try:
        steps = switch_steps(p["room"], mounted_from, p["disk"], device, has_metadata, role, local_disk, fresh, connection)
    except ValueError as exc:
        module.fail_json(msg="%s on this node: %s. Nothing was changed." % (p["name"], exc))
    # A finished switch's last steps, only where something is left to do.
    with open(FSTAB) as handle:
        if not fstab_lines(handle.read(), p["mountpoint"]):
            steps = [step for step in steps if step != "fstab"]
    if mounted_from == device:
        if all(node.run(["systemctl", "is-enabled", "--quiet", unit])[0] != 0 for unit in p["units"]):
            steps = [step for step in steps if step != "disable"]
        if all(node.run(["systemctl", "is-active", "--quiet", unit])[0] == 0 for unit in p["units"]):
            steps = [step for step in steps if step != "start"]
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
            meta_disk=dict(type="path"),
        ),
        required_if=[("room", "shrink", ["shrink_to_blocks"]), ("room", "grow", ["grow_bytes"])],
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, adopt))


if __name__ == "__main__":
    main()
