#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: drbd_resource
short_description: Bring up a DRBD resource safely, and start the first mirror of a brand-new pair
description:
  - With O(state=up), makes sure the resource's backing disk has DRBD metadata and the running
    resource matches its configuration file (C(drbdadm adjust)).
  - Metadata is created only on a disk that holds none and where C(blkid) finds no filesystem,
    partition table, RAID or LVM signature. A disk that holds data is refused unless O(wipe=true)
    (the user listed it in the wipe list); then its signatures are erased first.
  - With O(state=first_sync), on one node of a pair whose disks are both C(Inconsistent) and whose
    metadata was never used, forces this node primary to start the first mirror, creates the
    filesystem on the DRBD device if it has none, and makes the node secondary again so Pacemaker
    can take over. On a pair that already has a good copy it does nothing.
  - The first mirror runs in the background; the module reports its progress and does not wait for it.
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  name:
    description: The DRBD resource name, as in its configuration file.
    type: str
    required: true
  disk:
    description: The resource's backing disk on this node (needed for O(state=up)).
    type: path
  meta_disk:
    description:
      - The device of the resource's external metadata on this node, as its configuration file names it;
        leave it out for internal metadata. It is checked as O(disk) is before metadata goes on it.
    type: path
  wipe_meta:
    description: As O(wipe), for O(meta_disk).
    type: bool
    default: false
  state:
    description:
      - V(up) creates metadata if the disk is empty and applies the configuration.
      - V(first_sync) starts the first mirror from this node if the pair is brand new.
    type: str
    choices: [up, first_sync]
    default: up
  wipe:
    description:
      - The user listed O(disk) in the wipe list. Only then is a disk that holds data (and no DRBD
        metadata) erased and given DRBD metadata. Its data is lost.
    type: bool
    default: false
  filesystem:
    description: Filesystem created on a brand-new pair's device by O(state=first_sync); V(none) for none.
    type: str
    choices: [ext4, xfs, none]
    default: ext4
  mkfs_options:
    description: Extra options for C(mkfs).
    type: list
    elements: str
    default: []
  connect_timeout:
    description: Seconds O(state=first_sync) waits for the peer to connect.
    type: int
    default: 120
  new_pair:
    description:
      - For O(state=first_sync), the metadata was created on both nodes in this run. Needed where DRBD
        does not show the generation identifiers (DRBD 9); on DRBD 8.4 this node's must be the
        "just created" one anyway.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports what it would do (create metadata, adjust, first sync) and changes nothing.
  diff_mode:
    support: full
    description: Shows the resource's state before and after.
notes:
  - Works with the DRBD 8.4 kernel module and DRBD 9 through drbd-utils 9 (C(drbdadm)).
requirements:
  - drbd-utils, util-linux (blkid, wipefs), e2fsprogs or xfsprogs for the filesystem
"""

EXAMPLES = r"""
- name: Bring up r0 (metadata only on an empty disk)
  twonode.ha.drbd_resource:
    name: r0
    disk: /dev/vdb

- name: Start the first mirror from the first node and create the filesystem once
  twonode.ha.drbd_resource:
    name: r0
    state: first_sync
    filesystem: ext4
  run_once: true

- name: Reuse a disk that held an old filesystem (its data is erased)
  twonode.ha.drbd_resource:
    name: r1
    disk: /dev/sdc
    wipe: true
"""

RETURN = r"""
metadata:
  description: What happened to the metadata (V(kept), V(created), V(wiped and created)); O(state=up) only.
  returned: state is up
  type: str
  sample: created
adjusted:
  description: The C(drbdsetup) commands C(drbdadm adjust) ran (or would run) to match the configuration.
  returned: state is up
  type: list
  elements: str
  sample: ["drbdsetup-84 attach 0 /dev/vdb /dev/vdb internal"]
steps:
  description: The first-sync steps taken (V(primary), V(mkfs), V(secondary)); O(state=first_sync) only.
  returned: state is first_sync
  type: list
  elements: str
  sample: [primary, mkfs, secondary]
reason:
  description: Why the module did what it did, in plain words.
  returned: always
  type: str
  sample: a brand-new pair, this node becomes the first sync source
status:
  description: The resource after the change.
  returned: always
  type: dict
  contains:
    name:
      description: The resource name.
      type: str
    role:
      description: What C(drbdadm role) says, for example V(Secondary/Secondary) on DRBD 8.4; V(null) when the resource is down on this node.
      type: str
    disk:
      description: This node's disk state (C(drbdadm dstate)), V(null) when the resource is down.
      type: str
    peer_disk:
      description: The peer's disk state as this node sees it, V(null) when the resource is down.
      type: str
    connection:
      description: The connection state (C(drbdadm cstate)), V(down) when the resource is down on this node.
      type: str
    sync_percent:
      description: Percent of the resync done while one runs, else V(null).
      type: float
    sync_finish:
      description: Estimated time left for the resync while one runs (DRBD 8.4 only), else V(null).
      type: str
  sample: {name: r0, role: Secondary/Secondary, disk: UpToDate, peer_disk: Inconsistent, connection: SyncSource,
           sync_percent: 12.5, sync_finish: "0:01:10"}
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import (
    describe_signature,
    drbd_resource_in,
    LINKED,
    first_sync_action,
    metadata_action,
    metadata_present,
    parse_blkid_export,
    parse_get_gi,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, NodeError, run_with_node

# blkid -p exits 2 when it finds no signature.
BLKID_NOTHING = 2


class Drbd(object):
    """One DRBD resource on the node."""

    def __init__(self, node, name):
        self.node = node
        self.name = name

    def state(self):
        """{role, disk, peer_disk, connection, sync_percent, sync_finish}; role None when the resource is down."""
        rc, role, dummy = self.node.run(["drbdadm", "role", self.name])
        if rc != 0:
            return dict(name=self.name, role=None, disk=None, peer_disk=None, connection="down", sync_percent=None, sync_finish=None)
        dstate = self.node.must(["drbdadm", "dstate", self.name]).strip().split("/")
        cstate = self.node.must(["drbdadm", "cstate", self.name]).strip()
        result = dict(name=self.name, role=role.strip(), disk=dstate[0], peer_disk=dstate[1] if len(dstate) > 1 else None,
                      connection=cstate, sync_percent=None, sync_finish=None)
        # The resync's progress is a detail: without it the state is still right.
        try:
            volumes = self.node.drbd()
        except NodeError:
            volumes = []
        for volume in volumes:
            if volume["name"] == self.name:
                result.update(sync_percent=volume["sync_percent"], sync_finish=volume["sync_finish"])
        return result

    def current_uuid(self):
        """This node's current generation id, or None when there is no metadata (or DRBD 9 hides it)."""
        rc, out, dummy = self.node.run(["drbdadm", "get-gi", self.name])
        return parse_get_gi(out) if rc == 0 else None

    def managed_by_cluster(self):
        """Whether a Pacemaker resource (ocf:linbit:drbd) runs this DRBD resource."""
        try:
            return drbd_resource_in(self.node.cib_tree("resources"), self.name)
        except NodeError:
            return False

    def blkid(self, device, failure):
        """(blkid's rc, the signatures it found) for a device; failure words a blkid that cannot read it."""
        rc, out = self.node.ask(["blkid", "-p", "-o", "export", device], failure, ok=(0, BLKID_NOTHING))
        return rc, parse_blkid_export(out) if rc == 0 else {}


def disk_in_use(disk):
    """Whether the disk is mounted or held by another block device (LVM, RAID, crypt)."""
    real = os.path.realpath(disk)
    base = os.path.basename(real)
    holders = "/sys/class/block/%s/holders" % base
    if os.path.isdir(holders) and os.listdir(holders):
        return True
    with open("/proc/mounts") as handle:
        return any(os.path.realpath(line.split()[0]) == real for line in handle if line.startswith("/dev/"))


def bring_up(module, drbd):
    p = module.params
    node = drbd.node
    if not p["disk"]:
        module.fail_json(msg="disk is required with state=up")
    if not os.path.exists(p["disk"]):
        module.fail_json(msg="backing disk %s does not exist on this node. Nothing was changed." % p["disk"])
    before = drbd.state()
    changed = False
    metadata = "kept"
    dummy, found = drbd.blkid(p["disk"], "blkid could not read %s: {said}. Nothing was changed." % p["disk"])
    meta = p["meta_disk"]
    if meta and not os.path.exists(meta):
        module.fail_json(msg="metadata disk %s does not exist on this node. Nothing was changed." % meta)
    meta_found = drbd.blkid(meta, "blkid could not read %s: {said}. Nothing was changed." % meta)[1] if meta else {}
    probe_rc, probe_out, probe_err = node.run(["drbdadm", "dstate", drbd.name], data="no\n")
    if before["role"] is not None and before["disk"] == "Diskless":
        # Up without a disk (a failed one detached, or a new one in its place): dstate answers for the running
        # resource, not for the disk, so only DRBD's own signature on the disk says it has metadata. drbdmeta
        # creates metadata for a minor that is Diskless, and adjust then attaches the disk, which resyncs from the peer.
        present = (meta_found if meta else found).get("TYPE") == "drbd"
    else:
        try:
            # With external metadata, blkid finds DRBD's signature on the metadata disk, not on the data disk.
            present = metadata_present(probe_rc, probe_out + probe_err, before["disk"] not in (None, "Diskless"),
                                       meta_found if meta else found)
        except ValueError as exc:
            module.fail_json(msg="%s: %s. Nothing was changed." % (p["disk"], exc))
    if before["role"] is None and present and drbd.managed_by_cluster():
        # Pacemaker stopped it here (standby, a stopped clone): starting it is the cluster's call.
        return dict(changed=False, metadata=metadata, adjusted=[], status=before,
                    reason="metadata kept; stopped on this node by Pacemaker, which brings it up",
                    diff=dict(before="%s: %s\n" % (drbd.name, before), after="%s: %s\n" % (drbd.name, before)))
    if not present:
        checks = [(p["disk"], found, p["wipe"])] + ([(meta, meta_found, p["wipe_meta"])] if meta else [])
        actions = []
        for disk, signature, listed in checks:
            action, reason = metadata_action(False, describe_signature(signature), listed, disk, disk_in_use(disk))
            if action == "refuse":
                module.fail_json(msg=reason + " Nothing was changed.")
            actions.append((disk, action))
        changed = True
        wiped = [disk for disk, action in actions if action == "wipe"]
        metadata = "wiped and created" if wiped else "created"
        if not module.check_mode:
            for disk in wiped:
                node.must(["wipefs", "--all", disk])
            if wiped:
                node.must(["drbdadm", "create-md", "--force", drbd.name])
            else:
                # drbdmeta looks further than blkid (any non-zero bytes where the metadata goes);
                # it asks before overwriting them, and without a terminal the answer is no.
                try:
                    node.must(["drbdadm", "create-md", drbd.name], data="no\n")
                except CommandFailed as exc:
                    if "Found some data" in exc.out + exc.err:
                        where = meta or p["disk"]
                        module.fail_json(msg="%s holds data where DRBD keeps its metadata (drbdmeta found some%s). "
                                             "Refusing to overwrite it. If the data is expendable, add %s to drbd_wipe_disks. "
                                             "Nothing was changed." % (where, "" if meta else " at the end of the disk", where))
                    raise
    adjusted = [line for line in node.must(["drbdadm", "-d", "adjust", drbd.name]).splitlines() if line.strip()] \
        if metadata == "kept" else ["drbdadm up %s" % drbd.name]
    if adjusted:
        changed = True
        if not module.check_mode:
            node.must(["drbdadm", "adjust", drbd.name])
    after = drbd.state() if not module.check_mode else before
    return dict(changed=changed, metadata=metadata, adjusted=adjusted, status=after,
                reason="metadata %s; %s" % (metadata, "configuration applied" if adjusted else "configuration in effect"),
                diff=dict(before="%s: %s\n" % (drbd.name, before), after="%s: %s\n" % (drbd.name, after)))


def first_sync(module, drbd):
    p = module.params
    node = drbd.node
    deadline = time.time() + p["connect_timeout"]
    current = drbd.state()
    if current["role"] is None:
        module.fail_json(msg="resource %s is not up on this node; run state=up first" % drbd.name)
    # A brand-new pair connects a few seconds after both nodes brought the resource up.
    while current["connection"] not in LINKED and time.time() < deadline:
        time.sleep(2)
        current = drbd.state()
    device = node.must(["drbdadm", "sh-dev", drbd.name]).strip()
    try:
        # The filesystem check needs the device readable, so it is repeated once primary.
        steps, reason = first_sync_action(current["disk"], current["peer_disk"], current["connection"],
                                          drbd.current_uuid(), "", p["filesystem"], p["new_pair"])
    except ValueError as exc:
        module.fail_json(msg="cannot start the first mirror of %s: %s. Nothing was changed." % (drbd.name, exc),
                         status=current)
    done = []
    if steps and not module.check_mode:
        node.must(["drbdadm", "primary", "--force", drbd.name])
        done.append("primary")
        problem = None
        try:
            rc, found = drbd.blkid(device, "blkid could not read %s: {said}" % device)
            if "mkfs" in steps and rc == BLKID_NOTHING:
                node.must(["mkfs.%s" % p["filesystem"], "-q"] + list(p["mkfs_options"]) + [device])
                done.append("mkfs")
            elif "mkfs" in steps:
                reason += "; %s already holds %s, no filesystem created" % (device, describe_signature(found))
        except CommandFailed as exc:
            problem = str(exc)
        # Secondary again also after a failure: where DRBD is primary is Pacemaker's decision.
        node.must(["drbdadm", "secondary", drbd.name])
        done.append("secondary")
        if problem:
            module.fail_json(msg=problem, steps=done)
    after = drbd.state() if done else current
    return dict(changed=bool(steps), steps=done or steps, reason=reason, status=after,
                diff=dict(before="%s: %s\n" % (drbd.name, current), after="%s: %s\n" % (drbd.name, after)))


def converge(module, node):
    drbd = Drbd(node, module.params["name"])
    node.must(["drbdadm", "dump", drbd.name], "DRBD resource %s is not configured on this node: {said}" % drbd.name)
    return bring_up(module, drbd) if module.params["state"] == "up" else first_sync(module, drbd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            disk=dict(type="path"),
            state=dict(type="str", choices=["up", "first_sync"], default="up"),
            wipe=dict(type="bool", default=False),
            meta_disk=dict(type="path"),
            wipe_meta=dict(type="bool", default=False),
            filesystem=dict(type="str", choices=["ext4", "xfs", "none"], default="ext4"),
            mkfs_options=dict(type="list", elements="str", default=[]),
            connect_timeout=dict(type="int", default=120),
            new_pair=dict(type="bool", default=False),
        ),
        required_if=[("state", "up", ["disk"])],
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, converge))


if __name__ == "__main__":
    main()
