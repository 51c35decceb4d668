# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replacing a dead node (playbooks/replace.yml): whether the request may go ahead.

The survivor keeps serving and is the only source of the data: the new node's disks get fresh DRBD metadata
and a full resync from it, never the other way. So the survivor must be the cluster's whole quorate membership,
hold an up-to-date copy of every DRBD resource and not be connected to the node it replaces; the new node must be
new (no cluster configuration of its own left). Pure: the playbook hands in what it read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_identity import conf_identity
from ansible_collections.twonode.ha.plugins.plugin_utils.removal_plan import conf_cluster_name


def request_errors(node, confirm, members, drbd_names, survivor_conf, survivor_status, new_node_conf):
    """Why `node` may not be replaced now (empty: it may).

    members: the pair's [{host, node_name}]; survivor_conf: the other node's corosync.conf text (the name to
    confirm is the one it carries); survivor_status: cluster_status read on the other node;
    new_node_conf: the replacement's corosync.conf text (None when it has none). A freshly installed Debian server
    runs corosync and pacemaker with the package's own one-node configuration (cluster "debian"): that is new; a
    corosync.conf this collection wrote is the old node come back."""
    errors = []
    names = dict((m["host"], m["node_name"]) for m in members)
    by_name = dict((m["node_name"], m["host"]) for m in members)
    name = names.get(node) or (node if node in by_name else None)
    if not name:
        return ["node=%s is not a node of this pair (%s): name the node to replace" % (node or "", ", ".join(sorted(by_name)))]
    survivor = [n for n in by_name if n != name]
    survivor = survivor[0] if survivor else "the survivor"
    cluster_name = conf_cluster_name(survivor_conf)
    if not cluster_name:
        return ["%s has no corosync.conf: there is no cluster to bring %s back into" % (survivor, name)]
    if str(confirm or "") != cluster_name:
        errors.append("confirm=%s does not name this cluster: pass -e confirm=%s to replace %s (its new disks get the "
                      "data from %s)" % (confirm or "", cluster_name, name, survivor))
    status = survivor_status or {}
    if not status.get("stack_running"):
        return errors + ["the cluster does not run on %s: the survivor must serve while %s is replaced" % (survivor, name)]
    if not status.get("quorate"):
        errors.append("%s is not quorate: it cannot take %s back in (start it as the only node first)" % (survivor, name))
    peer = (status.get("nodes") or {}).get(name) or {}
    if peer.get("online"):
        errors.append("%s is a member of the cluster (online): it is not dead; replace.yml is for a node that is gone" % name)
    elif peer.get("unclean"):
        errors.append("%s was never fenced (unclean): confirm it is off (stonith_admin --confirm %s) before replacing it"
                      % (name, name))
    volumes = dict((v.get("name"), v) for v in status.get("drbd") or [])
    for resource in drbd_names:
        volume = volumes.get(resource)
        if volume is None:
            errors.append("DRBD %s does not run on %s: the survivor must hold the copy the new node gets" % (resource, survivor))
        elif volume.get("disk") != "UpToDate":
            errors.append("%s's copy of DRBD %s is %s, not UpToDate: there is no good copy to give the new node"
                          % (survivor, resource, volume.get("disk")))
        elif volume.get("connection") == "Connected":
            errors.append("DRBD %s is connected to %s: that node still runs it and is not gone" % (resource, name))
    if conf_identity(new_node_conf):
        errors.append("%s still has the corosync.conf this collection wrote (cluster %s): it is the old node come back, "
                      "not a new one; start its cluster (systemctl start corosync pacemaker) or reinstall it"
                      % (name, conf_cluster_name(new_node_conf) or "?"))
    return errors


def disk_request_errors(node, confirm, cluster_name, members, drbd_names, statuses):
    """Why `node`'s failed DRBD disks may not be replaced now (empty: they may); the names of the resources to mend.

    cluster_name: the name the pair's corosync.conf carries; members: the pair's [{host, node_name}]; drbd_names: the
    resources asked for (every one by default); statuses: {node name: cluster_status read on that node}. A resource
    whose disk failed on `node` runs Diskless there and UpToDate on the peer; its new disk gets fresh metadata and a
    full resync from the peer only. Returns (errors, resources to mend)."""
    names = dict((m["host"], m["node_name"]) for m in members)
    by_name = dict((m["node_name"], m["host"]) for m in members)
    name = names.get(node) or (node if node in by_name else None)
    if not name:
        known = ", ".join(sorted(by_name))
        return ["node=%s is not a node of this pair (%s): name the node whose disk failed" % (node or "", known)], []
    peer = [n for n in by_name if n != name][0] if len(by_name) == 2 else None
    errors, mend = [], []
    status, peer_status = statuses.get(name) or {}, statuses.get(peer) or {}
    if str(confirm or "") != str(cluster_name or ""):
        errors.append("confirm=%s does not name this cluster: pass -e confirm=%s to give %s's new disk the data of %s"
                      % (confirm or "", cluster_name or "CLUSTER", name, peer))
    if not status.get("stack_running"):
        errors.append("the cluster does not run on %s: a failed disk is replaced while the node runs (Diskless); for a node "
                      "that is gone, see replace.yml" % name)
        return errors, []
    mine = dict((v.get("name"), v) for v in status.get("drbd") or [])
    theirs = dict((v.get("name"), v) for v in peer_status.get("drbd") or [])
    for resource in drbd_names:
        here, there = mine.get(resource), theirs.get(resource)
        if here is None:
            errors.append("DRBD %s does not run on %s" % (resource, name))
        elif here.get("disk") != "Diskless":
            if here.get("disk") != "UpToDate" or len(drbd_names) == 1:
                errors.append("DRBD %s on %s has its disk (%s): nothing to replace%s" % (
                    resource, name, here.get("disk"), "" if here.get("disk") == "UpToDate" else "; wait for its resync"))
        elif there is None or there.get("disk") != "UpToDate" or there.get("connection") != "Connected":
            errors.append("DRBD %s: %s's copy is %s (%s), not an UpToDate copy connected to %s; the new disk could get no "
                          "good data" % (resource, peer, (there or {}).get("disk"), (there or {}).get("connection"), name))
        else:
            mend.append(resource)
    if not errors and not mend:
        errors.append("no DRBD resource runs Diskless on %s: no disk to replace" % name)
    return errors, mend
