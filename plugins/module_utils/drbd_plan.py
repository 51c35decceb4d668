# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks and decisions for DRBD resources; no commands are run here.

- resource_errors: what is wrong with the inventory's drbd_resources, before anything changes.
- metadata_action: whether a backing disk may get DRBD metadata (never over data, unless the
  user named the disk in the wipe list).
- first_sync_action: whether a pair is brand new, so one node may be forced primary to start
  the first mirror, and whether a filesystem may be created on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.twonode.ha.plugins.module_utils.drbd import CONNECTED_84

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_RATE = re.compile(r"^[1-9][0-9]*[KMG]?$")
PROTOCOLS = ("A", "B", "C")
FILESYSTEMS = ("ext4", "xfs", "none")
# DRBD 8.4's "just created" current generation identifier (nothing was ever written).
JUST_CREATED_UUID = "0000000000000004"
# Connection states in which the peer is connected: DRBD 8.4's, and DRBD 9's replication state.
LINKED = CONNECTED_84 + ("Established",)


def resource_disk(resource, node):
    """The backing disk of a resource on one node: `disk` is a path, or {node: path}."""
    disk = resource.get("disk")
    if isinstance(disk, dict):
        return disk.get(node)
    return disk


def resource_meta_disk(resource, node):
    """Where a resource keeps its metadata on one node: "internal" (the end of the backing disk) or a device."""
    meta = resource.get("meta_disk") or "internal"
    if isinstance(meta, dict):
        return meta.get(node) or "internal"
    return meta


def disk_change_error(name, node, probe):
    """Why a running resource's backing disk (or metadata disk) may not change, or None.

    probe: what the node reported, one item per line: the disk the current configuration gives (resolved), the
    local disk state (`drbdadm dstate`, "UpToDate/UpToDate" or "UpToDate"), the disk drbd_resources gives now
    (resolved), and optionally the metadata disk the configuration gives and the one wanted (the data disk for
    internal metadata). `drbdadm adjust` would detach the disk the resource runs on and attach the other one: the
    data this node serves would be gone from under it.
    """
    lines = [line.strip() for line in (probe or "").splitlines()]
    if len(lines) < 3:
        return None
    configured, dstate, wanted = lines[:3]
    local = dstate.split("/")[0]
    if not configured or local in ("", "Diskless", "Unconfigured", "DUnknown"):
        return None
    how = ("To move it to another disk, take it down on this node (drbdadm down %s, after its groups left the node) "
           "and run again: the new disk gets its data from the peer" % name)
    if configured != wanted:
        return ("DRBD resource %s runs on %s's disk %s (%s); drbd_resources now gives %s. Changing the backing "
                "disk of a running resource would detach the disk it runs on. %s" % (name, node, configured, local, wanted, how))
    if len(lines) >= 5 and lines[3] and lines[4] and lines[3] != lines[4]:
        return ("DRBD resource %s keeps its metadata on %s's %s (%s); drbd_resources now gives %s. Moving the metadata of a "
                "running resource would detach the disk it runs on. %s" % (name, node, lines[3], local, lines[4], how))
    return None


def resource_errors(resources, nodes):
    """Problems with drbd_resources. nodes: [{name, address}] (the replication address per node)."""
    errors = []
    names, minors, ports = set(), {}, {}
    node_names = [n["name"] for n in nodes]
    if len(nodes) != 2:
        errors.append("DRBD here mirrors between exactly two nodes (got %d)" % len(nodes))
    for node in nodes:
        if not node.get("address"):
            errors.append("node %s has no replication address (drbd_address or cluster_ring1_addr)" % node["name"])
    for index, res in enumerate(resources or []):
        name = res.get("name") if isinstance(res, dict) else None
        if not name or not _NAME.match(str(name)):
            errors.append("drbd_resources[%d]: name %r is not a valid DRBD resource name" % (index, name))
            continue
        where = "DRBD resource %r" % name
        if name in names:
            errors.append("%s is defined twice" % where)
        names.add(name)
        minor = res.get("minor")
        if isinstance(minor, bool) or not isinstance(minor, int) or not 0 <= minor <= 1048575:
            errors.append("%s: minor must be a whole number 0-1048575 (the device is /dev/drbd<minor>)" % where)
        elif minor in minors:
            errors.append("%s: minor %d is already used by %r" % (where, minor, minors[minor]))
        else:
            minors[minor] = name
        port = res.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
            errors.append("%s: port must be a TCP port 1024-65535 (got %r)" % (where, port))
        elif port in ports:
            errors.append("%s: port %d is already used by %r" % (where, port, ports[port]))
        else:
            ports[port] = name
        for node in node_names:
            disk = resource_disk(res, node)
            if not disk or not str(disk).startswith("/dev/"):
                errors.append("%s: no backing disk for node %s (disk: a /dev path, or {node: path})" % (where, node))
        for key in ("disk", "meta_disk"):
            if isinstance(res.get(key), dict):
                unknown = sorted(set(res[key]) - set(node_names))
                if unknown:
                    errors.append("%s: %s names nodes that are not in this pair: %s" % (where, key, ", ".join(unknown)))
        for node in node_names:
            meta = resource_meta_disk(res, node)
            if meta != "internal" and not str(meta).startswith("/dev/"):
                errors.append("%s: meta_disk for node %s must be internal or a /dev path (got %r)" % (where, node, meta))
            elif meta != "internal" and meta == resource_disk(res, node):
                errors.append("%s: meta_disk for node %s is its backing disk %s; leave meta_disk out for internal metadata"
                              % (where, node, meta))
            elif meta != "internal":
                used = [other for other in resources or [] if isinstance(other, dict) and other is not res
                        and meta in (resource_disk(other, node), resource_meta_disk(other, node))]
                if used:
                    errors.append("%s: meta_disk %s on node %s is also used by %r (one external metadata disk per resource)"
                                  % (where, meta, node, used[0].get("name")))
        if res.get("protocol", "C") not in PROTOCOLS:
            errors.append("%s: protocol must be A (asynchronous, for a distant or slow link), B or C "
                          "(synchronous, the default)" % where)
        rate = res.get("resync_rate")
        if rate is not None and not _RATE.match(str(rate)):
            errors.append("%s: resync_rate %r is not a rate like 100M or 40960K" % (where, rate))
        if res.get("filesystem", "ext4") not in FILESYSTEMS:
            errors.append("%s: filesystem must be one of %s" % (where, ", ".join(FILESYSTEMS)))
    return errors


def parse_blkid_export(text):
    """`blkid -p -o export DEV` -> {KEY: value}."""
    found = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def describe_signature(found):
    """Plain words for what blkid found on a disk, or '' when it found nothing."""
    if found.get("TYPE"):
        return "%s data%s" % (found["TYPE"], " (label %s)" % found["LABEL"] if found.get("LABEL") else "")
    if found.get("PTTYPE"):
        return "a %s partition table" % found["PTTYPE"]
    if found:
        return "a signature (%s)" % ", ".join("%s=%s" % kv for kv in sorted(found.items()))
    return ""


def metadata_present(probe_rc, probe_output, attached, blkid_found):
    """Whether a backing disk already has DRBD metadata. Raises ValueError when it cannot tell.

    probe_rc/probe_output: `drbdadm dstate RES`, which reads the metadata of a resource that is
    down ("No valid meta data found" when there is none); attached: the resource runs with this
    disk; blkid_found: `blkid -p`'s findings on the disk. blkid's own DRBD signature counts as
    metadata, so no failure of the probe can ever lead to new metadata, or a wipe, over a live
    DRBD disk.
    """
    if probe_rc == 0 or attached or blkid_found.get("TYPE") == "drbd":
        return True
    if "No valid meta data found" in probe_output:
        return False
    raise ValueError("cannot tell whether the disk has DRBD metadata (drbdadm dstate: %s)"
                     % (probe_output.strip() or "rc %d" % probe_rc))


def metadata_action(has_metadata, signature, in_wipe_list, disk, mounted=False):
    """What to do about DRBD metadata on a backing disk: (action, reason).

    action: "keep" (metadata is there), "create" (an empty disk), "wipe" (the user listed this
    disk in the wipe list: erase its signatures, then create), or "refuse".
    """
    if has_metadata:
        return "keep", "%s already has DRBD metadata" % disk
    if mounted:
        return "refuse", "%s is mounted or in use; DRBD needs the whole disk to itself" % disk
    if not signature:
        return "create", "%s holds no data" % disk
    if in_wipe_list:
        return "wipe", "%s holds %s and is in the wipe list: its data is erased" % (disk, signature)
    return "refuse", ("%s holds %s and no DRBD metadata. Refusing to put DRBD on it, which would destroy "
                      "that data. If the data is expendable, add %s to drbd_wipe_disks."
                      % (disk, signature, disk))


def first_sync_action(local, peer_disk, connection, current_uuid, fs_signature, filesystem,
                      created_everywhere=False):
    """Whether to start the first mirror of a brand-new pair from this node: (steps, reason).

    local: this node's disk state; peer_disk: the peer's as this node sees it; connection: the
    connection state; current_uuid: this node's current generation id (None when unreadable, as
    on DRBD 9); created_everywhere: this run created the metadata on both nodes.
    steps: [] (nothing to do), or a subset of ["primary", "mkfs", "secondary"] in that order.
    Raises ValueError when a brand-new pair is not ready for it, or the disks' history is unclear.
    """
    if local != "Inconsistent":
        return [], "this node has a good copy (disk %s)" % local
    if current_uuid is None:
        fresh = bool(created_everywhere)
    else:
        fresh = current_uuid.upper() == JUST_CREATED_UUID
    if connection not in LINKED:
        if fresh:
            raise ValueError("the nodes are not connected (%s); the first mirror needs both nodes" % connection)
        return [], "this node's copy is behind and its peer is not connected (%s)" % connection
    if peer_disk != "Inconsistent":
        return [], "the peer has the good copy (disks %s/%s, %s)" % (local, peer_disk, connection)
    if not fresh and current_uuid is None:
        raise ValueError("both disks are Inconsistent and this node's generation id cannot be read, so it is "
                         "unknown whether they ever held data; start the first sync by hand "
                         "(drbdadm primary --force) on the node with the good copy")
    if not fresh:
        raise ValueError("both disks are Inconsistent but this node's data has history (current UUID %s); "
                         "decide by hand which node holds the good copy" % current_uuid)
    steps = ["primary"]
    if filesystem != "none" and not fs_signature:
        steps.append("mkfs")
    steps.append("secondary")
    return steps, "a brand-new pair: this node becomes the first sync source"


def parse_get_gi(text):
    """`drbdadm get-gi RES` (8.4) -> the current generation id, or None."""
    first = (text or "").strip().split(":", 1)[0]
    return first if re.match(r"^[0-9A-Fa-f]{16}$", first) else None


def split_brain_plan(volumes_by_node, resource, discard):
    """How playbooks/splitbrain.yml resolves a split brain of `resource` by dropping `discard`'s writes.

    volumes_by_node: {node: cluster_status's drbd list on that node}. Returns
    {"needed", "refused": [reasons], "survivor", "victim_commands", "survivor_commands"}; nothing is
    planned while any reason stands. The victim's writes since the split are lost, so it must not be
    the node that serves the data, and the survivor must hold a good copy.
    """
    plan = {"needed": False, "refused": [], "survivor": None, "victim_commands": [], "survivor_commands": []}
    nodes = sorted(volumes_by_node)
    if discard not in nodes:
        plan["refused"].append("discard=%s is not a node of this pair (%s)" % (discard, ", ".join(nodes)))
        return plan
    survivor = [node for node in nodes if node != discard][0]
    plan["survivor"] = survivor
    states = {}
    for node in nodes:
        found = [vol for vol in volumes_by_node[node] or [] if vol.get("name") == resource]
        if not found:
            plan["refused"].append("node %s does not report DRBD resource %s (is the node up and the resource configured?)"
                                   % (node, resource))
        else:
            states[node] = found[0]
    if plan["refused"]:
        return plan
    victim, keep = states[discard], states[survivor]
    if victim["connection"] == "Connected" and keep["connection"] == "Connected":
        return plan  # in step again (or never apart): nothing to resolve
    plan["needed"] = True
    if victim["role"] == "Primary":
        plan["refused"].append("%s is primary for %s (it serves the data): its writes would be dropped under the "
                               "service; move the groups to %s first (playbooks/failover.yml) or discard the other side"
                               % (discard, resource, survivor))
    if keep["disk"] != "UpToDate":
        plan["refused"].append("%s's disk for %s is %s, not UpToDate: dropping %s's writes would leave no good copy"
                               % (survivor, resource, keep["disk"], discard))
    if plan["refused"]:
        return plan
    if victim["connection"] != "StandAlone":
        plan["victim_commands"].append(["drbdadm", "disconnect", resource])
    plan["victim_commands"] += [["drbdadm", "secondary", resource], ["drbdadm", "connect", "--discard-my-data", resource]]
    if keep["connection"] == "StandAlone":
        plan["survivor_commands"].append(["drbdadm", "connect", resource])
    return plan


def drbd_resource_in(resources, name):
    """Whether the parsed CIB (or its resources section) has a Pacemaker resource for DRBD resource name
    (ocf:linbit:drbd's drbd_resource parameter)."""
    return any(nvpair.get("name") == "drbd_resource" and nvpair.get("value") == name
               for nvpair in resources.iter("nvpair"))
