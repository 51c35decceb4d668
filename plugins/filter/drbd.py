# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the drbd role uses: input checks and the per-node view of a resource."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.drbd_plan import disk_change_error, resource_disk, resource_errors, \
    resource_meta_disk, split_brain_plan


def drbd_input_errors(resources, nodes):
    """Problems with drbd_resources; nodes: [{name, address, addresses}] per node of the pair."""
    errors = resource_errors(resources, nodes)
    for node in nodes:
        address = str(node.get("address") or "")
        if address and address not in [str(a) for a in node.get("addresses") or []]:
            errors.append("node %s: replication address %s is not an address of that node" % (node["name"], address))
    return errors


def drbd_disk_change_errors(probes, node):
    """Refusals for running resources whose backing disk would change; probes: the registered loop."""
    errors = []
    for result in (probes or {}).get("results", []):
        error = disk_change_error(result["item"]["name"], node, result.get("stdout", ""))
        if error:
            errors.append(error)
    return errors


def drbd_split_brain_plan(statuses, resource, discard):
    """splitbrain.yml's plan; statuses: {node: its cluster_status result}."""
    return split_brain_plan(dict((node, (status or {}).get("drbd") or []) for node, status in statuses.items()),
                            resource, discard)


def drbd_disk(resource, node):
    """The backing disk of a resource on one node."""
    return resource_disk(resource, node)


def drbd_meta_disk(resource, node):
    """Where a DRBD resource keeps its metadata on one node: internal, or a device."""
    return resource_meta_disk(resource, node)


def drbd_address(address, port):
    """DRBD's address syntax: `ipv4 a.b.c.d:port` or `ipv6 [a::b]:port`."""
    address = str(address)
    return "ipv6 [%s]:%s" % (address, port) if ":" in address else "ipv4 %s:%s" % (address, port)


def drbd_created_everywhere(registered, name):
    """Whether this run created resource `name`'s metadata on every node.

    registered: each node's registered result of the role's bring-up loop.
    """
    created = []
    for per_node in registered:
        for result in (per_node or {}).get("results", []):
            if (result.get("item") or {}).get("name") == name:
                created.append(str(result.get("metadata", "")).endswith("created"))
    return bool(created) and len(created) == len(registered) and all(created)


def drbd_progress(status):
    """One line about a resource's mirror, from the drbd_resource module's status."""
    line = "%s: %s, disks %s/%s" % (
        status.get("name", "DRBD"), status.get("connection"), status.get("disk"), status.get("peer_disk"))
    if status.get("sync_percent") is not None:
        line += ", first mirror %.1f%% done" % status["sync_percent"]
        if status.get("sync_finish"):
            line += ", about %s left" % status["sync_finish"]
    return line


class FilterModule(object):
    def filters(self):
        return {
            "drbd_input_errors": drbd_input_errors,
            "drbd_disk": drbd_disk,
            "drbd_meta_disk": drbd_meta_disk,
            "drbd_disk_change_errors": drbd_disk_change_errors,
            "drbd_address": drbd_address,
            "drbd_progress": drbd_progress,
            "drbd_created_everywhere": drbd_created_everywhere,
            "drbd_split_brain_plan": drbd_split_brain_plan,
        }
