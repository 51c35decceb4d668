# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Taking a pair apart (playbooks/remove.yml): whether the request may go ahead, and what the node that
keeps the data gets so that its services run without the cluster (their addresses, mounts and units).

Pure: the playbook hands in what it read on the nodes and the inventory's groups; the checks come back as
plain words, before anything on a node changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import resource_disk
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import boot_units

ADDRESS_UNIT = "twonode-ha-addresses.service"
HA_BIN = "/usr/libexec/heartbeat"
_CLUSTER_NAME = re.compile(r"^\s*cluster_name\s*:\s*(\S+)\s*$", re.MULTILINE)


def conf_cluster_name(text):
    """The cluster_name of a corosync.conf's text; None without one."""
    match = _CLUSTER_NAME.search(text or "")
    return match.group(1) if match else None


def _volume(status, name):
    for volume in (status or {}).get("drbd") or []:
        if volume.get("name") == name:
            return volume
    return None


def request_errors(keep, confirm, members, drbd_names, inventory_cluster_name, force=False, recorded_keeps=None):
    """Why the pair may not be taken apart as asked (empty: it may).

    members: [{host, node_name, conf (its corosync.conf text, None when gone), status (cluster_status)}].
    The name to confirm is the one the nodes' corosync.conf carries (the inventory's when a rerun after a
    removal has removed it). The node that keeps the data must hold an up-to-date copy of every DRBD
    resource: its peer's copy is never the one thrown away when it may be newer. recorded_keeps: the node an
    earlier run of the removal named on each node (a rerun after its checks can no longer read DRBD must keep
    the same node)."""
    names = sorted(set(name for name in (conf_cluster_name(m.get("conf")) for m in members) if name))
    cluster_name = names[0] if names else inventory_cluster_name
    errors = []
    if len(names) > 1:
        errors.append("the nodes' corosync.conf name different clusters (%s): remove.yml takes apart one pair" % ", ".join(names))
    if str(confirm or "") != cluster_name:
        errors.append("confirm=%s does not name this cluster: pass -e confirm=%s to take the pair apart (its groups stop: "
                      "an outage)" % (confirm or "", cluster_name))
    keeper = [m for m in members if keep in (m["host"], m["node_name"])]
    if not keep or not keeper:
        errors.append("keep=%s is not a node of this pair: name the node that keeps the data and runs the services "
                      "afterwards (%s)" % (keep or "", ", ".join(m["node_name"] for m in members)))
        return errors
    keeper = keeper[0]
    # Only once corosync.conf is gone (a rerun of a removal that stopped half-way): a pair built again since has one.
    earlier = sorted(set(k for k in recorded_keeps or [] if k)) if not any(m.get("conf") for m in members) else []
    if earlier and earlier != [keeper["node_name"]]:
        errors.append("an earlier run of remove.yml kept the data on %s: finish it with keep=%s (the other copy may be older)"
                      % (" and ".join(earlier), earlier[0]))
        return errors
    peers = [m for m in members if m is not keeper]
    peer = peers[0] if peers else {"node_name": "the peer", "status": {}}
    for name in drbd_names:
        mine, theirs = _volume(keeper.get("status"), name), _volume(peer.get("status"), name)
        if mine and mine.get("split_brain"):
            errors.append("DRBD %s is in split brain: resolve it first (playbooks/splitbrain.yml), then take the pair apart" % name)
        elif mine and mine.get("disk") != "UpToDate":
            errors.append("%s's copy of DRBD %s is %s, not UpToDate: name %s as keep, or let the sync finish"
                          % (keeper["node_name"], name, mine.get("disk"), peer["node_name"]))
        elif mine and mine.get("connection") != "Connected" and (theirs or {}).get("role") == "Primary":
            errors.append("DRBD %s is not connected and %s writes to it (Primary): %s's copy may be older; name %s as "
                          "keep, or reconnect the resource first" % (name, peer["node_name"], keeper["node_name"], peer["node_name"]))
        elif mine and mine.get("connection") != "Connected" and mine.get("role") != "Primary" and not force:
            # A disk keeps calling itself UpToDate after its link went; the peer may have written since.
            errors.append("DRBD %s is not connected and %s's copy is not the one in use (Secondary): it may be older than "
                          "%s's; name %s as keep, reconnect the resource, or pass -e force=true to keep %s's copy as it is"
                          % (name, keeper["node_name"], peer["node_name"], peer["node_name"], keeper["node_name"]))
        elif not mine and theirs:
            errors.append("DRBD %s runs on %s only: %s's copy may be older; name %s as keep, or bring %s up on %s and let "
                          "it sync" % (name, peer["node_name"], keeper["node_name"], peer["node_name"], name, keeper["node_name"]))
        elif not mine and not force and any(m.get("conf") for m in members):
            errors.append("neither node runs DRBD %s, so which copy is newer cannot be read: start the cluster, or pass "
                          "-e force=true to keep %s's copy as it is" % (name, keeper["node_name"]))
    return errors


def _interfaces(ip_json):
    try:
        return json.loads(ip_json) if isinstance(ip_json, str) else list(ip_json or [])
    except ValueError:
        return []


def vip_place(address, ip_json, nic=None):
    """(interface, prefix length) a virtual IP goes on: the interface whose own address's network holds it
    (as IPaddr2 picks it), or the group's nic; None when no interface's network holds it."""
    vip = ipaddress.ip_address(str(address))
    for interface in _interfaces(ip_json):
        if nic and interface.get("ifname") != nic:
            continue
        for info in interface.get("addr_info") or []:
            try:
                network = ipaddress.ip_interface("%s/%s" % (info["local"], info["prefixlen"])).network
            except (KeyError, ValueError):
                continue
            if vip.version == network.version and vip in network and str(vip) != info["local"] and network.prefixlen < network.max_prefixlen:
                return interface["ifname"], network.prefixlen
    return None


def keep_plan(groups, drbd_resources, keep_node, ip_json):
    """What the node that keeps the data gets: the groups' virtual IPs on its interfaces, each group's DRBD
    backing disk mounted where the group had it (the filesystem is at the start of the disk, DRBD's internal
    metadata at its end), and the services' units started at boot; errors when a VIP finds no interface."""
    plan = {"vips": [], "mounts": [], "units": boot_units(groups), "errors": []}
    by_name = dict((r.get("name"), r) for r in drbd_resources or [] if isinstance(r, dict))
    for group in groups or []:
        for address in group.get("vips") or []:
            place = vip_place(address, ip_json, group.get("nic"))
            if place is None:
                plan["errors"].append("%s: no interface of %s is in the network of group %s's virtual IP %s"
                                      % (keep_node, keep_node, group.get("name"), address))
                continue
            plan["vips"].append({"address": str(address), "prefix": place[1], "nic": place[0], "group": group.get("name")})
        storage = group.get("storage") or {}
        resource = by_name.get(storage.get("drbd"))
        if resource and resource.get("filesystem", "ext4") != "none":
            plan["mounts"].append({"resource": resource["name"], "disk": resource_disk(resource, keep_node),
                                   "mountpoint": storage["mountpoint"], "fstype": resource.get("filesystem", "ext4"),
                                   "options": storage.get("options") or "defaults", "group": group.get("name")})
    return plan


def address_unit(vips, cluster_name, units):
    """The systemd unit that puts the former cluster's virtual IPs on the node at boot, before its services."""
    after = " ".join("%s.service" % unit for unit in units)
    lines = ["[Unit]",
             "Description=Virtual IPs of the former cluster %s (kept by twonode.ha remove.yml)" % cluster_name,
             "Wants=network-online.target", "After=network-online.target"]
    if after:
        lines.append("Before=%s" % after)
    lines += ["", "[Service]", "Type=oneshot", "RemainAfterExit=yes"]
    lines += ["ExecStart=/usr/sbin/ip address replace %s/%s dev %s" % (v["address"], v["prefix"], v["nic"]) for v in vips]
    # Announced as IPaddr2 does (the resource-agents package's tools): the address moved from another machine,
    # and the network's neighbour caches still point there.
    lines += [("ExecStartPost=-%s/send_ua -i 200 -c 5 %s %s %s" % (HA_BIN, v["address"], v["prefix"], v["nic"])) if ":" in v["address"]
              else ("ExecStartPost=-%s/send_arp -i 200 -r 5 %s %s auto not_used not_used" % (HA_BIN, v["nic"], v["address"]))
              for v in vips]
    lines += ["ExecStop=-/usr/sbin/ip address del %s/%s dev %s" % (v["address"], v["prefix"], v["nic"]) for v in vips]
    lines += ["", "[Install]", "WantedBy=multi-user.target"]
    return "\n".join(lines) + "\n"


def fstab_line(mount):
    return "%s %s %s %s 0 2" % (mount["disk"], mount["mountpoint"], mount["fstype"], mount["options"])
