# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/adopt.yml's plan: which server gives its data, and for each DRBD resource how its filesystem becomes
the DRBD backing disk (module_utils.adopt_plan decides that per resource, from both nodes' disks)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.adopt_plan import FILESYSTEMS, options_problem, resource_plan
from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import resource_disk, resource_meta_disk
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import boot_units

# Two nodes: one peer, and DRBD 9's create-md then sizes its bitmap area as DRBD 8.4's.
PEERS = 1


def _group_of(groups, resource_name):
    for group in groups or []:
        storage = group.get("storage") if isinstance(group, dict) else None
        if isinstance(storage, dict) and storage.get("drbd") == resource_name:
            return group
    return None


def adoption_plan(members, adopt_from, drbd_resources, groups, allow_shrink=False):
    """The whole adoption, decided before any node changes: {refused, source, standby, resources, lines}.

    members: each node's {host, node_name, disks (node_state's disks), mount_sources, wipe (its drbd_wipe_disks),
    managed_drbd (the DRBD resources its CIB runs), fstab_options (node_state's)};
    adopt_from: the server with the data (inventory host or node name). resources: for each DRBD resource, what
    drbd_adopt needs on the source (name, disk, meta_disk, mountpoint, filesystem, room, shrink_to_blocks,
    grow_bytes, units) and whether it is done already.
    """
    plan = {"refused": [], "source": None, "standby": None, "resources": [], "lines": []}
    by_host = dict((m["host"], m) for m in members)
    by_name = dict((m["node_name"], m) for m in members)
    source = by_host.get(adopt_from) or by_name.get(adopt_from)
    if len(members) != 2:
        plan["refused"].append("adoption needs the pair's two hosts in the play (got %d)" % len(members))
        return plan
    if source is None:
        plan["refused"].append("adopt_from=%s is not a host of this pair: name the server that has the data and serves now (%s)"
                               % (adopt_from or "", ", ".join(sorted(by_host))))
        return plan
    standby = [m for m in members if m is not source][0]
    plan.update(source=source["host"], standby=standby["host"])
    if not drbd_resources:
        plan["refused"].append("drbd_resources is empty: name the DRBD resource whose backing disk is the server's data disk")
    for resource in drbd_resources or []:
        name = resource.get("name")
        group = _group_of(groups, name)
        if group is None:
            plan["refused"].append("%s: no group of resources_groups has it as storage; adoption mounts it where the group's "
                                   "storage.mountpoint says, which must be where the server has its data now" % name)
            continue
        mountpoint = str(group["storage"].get("mountpoint", "")).rstrip("/") or "/"
        disks, metas, wipe = {}, {}, {}
        for member in (source, standby):
            node = member["node_name"]
            disks[node] = member["disks"].get(resource_disk(resource, node)) or {"path": resource_disk(resource, node), "kind": "missing"}
            meta = resource_meta_disk(resource, node)
            metas[node] = None if meta == "internal" else (member["disks"].get(meta) or {"path": meta, "kind": "missing"})
            wipe[node] = list(member.get("wipe") or [])
        minor = resource.get("minor")
        mounted = source.get("mount_sources", {}).get(mountpoint) or {}
        managed = any(name in (member.get("managed_drbd") or []) for member in members)
        one = resource_plan({
            "resource": name, "source": source["node_name"], "standby": standby["node_name"], "mountpoint": mountpoint,
            "drbd_major": 8, "peers": PEERS, "allow_shrink": bool(allow_shrink), "disks": disks, "meta_disks": metas,
            "wipe": wipe, "drbd_device": "/dev/drbd%s" % minor, "mounted_from": mounted.get("source"),
            "managed": managed,
            "filesystem": resource.get("filesystem") or "ext4"})
        if not one["done"]:
            problem = options_problem(name, (source.get("fstab_options") or {}).get(mountpoint), mountpoint,
                                      group["storage"].get("options"))
            if problem:
                one["refused"].append(problem)
        plan["refused"].extend(one["refused"])
        plan["lines"].extend(one["lines"])
        if not one["refused"]:
            plan["resources"].append({
                "name": name, "disk": disks[source["node_name"]]["path"], "mountpoint": mountpoint, "done": one["done"],
                "managed": managed,
                # Never blkid's "drbd": the type the filesystem is mounted as, else the inventory's.
                "filesystem": mounted.get("fstype") if mounted.get("fstype") in FILESYSTEMS else resource.get("filesystem") or "ext4",
                "room": one["room"], "shrink_to_blocks": one["shrink_to_blocks"], "grow_bytes": one["grow_bytes"],
                "units": boot_units([group]), "downtime": one["downtime"],
                "meta_disk": None if metas[source["node_name"]] is None else metas[source["node_name"]]["path"]})
    if plan["refused"]:
        plan["resources"] = []
    return plan
