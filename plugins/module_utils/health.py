# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One verdict for a pair: available, degraded (with reasons in plain words) or down."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.corosync import arbitrator_problems, links_down
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import stonith_resources, unsettled
from ansible_collections.twonode.ha.plugins.module_utils.drbd import drbd_problems

AVAILABLE, DEGRADED, DOWN = "available", "degraded", "down"


def groups_of(status):
    """{group or top-level resource id: {members, nodes, running, wanted}} for non-fencing resources."""
    groups = {}
    for rsc in status["resources"]:
        if (rsc["agent"] or "").startswith("stonith:"):
            continue
        key = rsc["clone"] or rsc["group"] or rsc["id"]
        entry = groups.setdefault(key, {"members": [], "nodes": set(), "running": 0, "wanted": 0,
                                        "kind": "clone" if rsc["clone"] else "group" if rsc["group"] else "primitive"})
        entry["members"].append(rsc["id"])
        entry["nodes"].update(rsc["nodes"])
        if rsc["target_role"] != "Stopped":
            entry["wanted"] += 1
            if rsc["active"]:
                entry["running"] += 1
    return groups


def settle_problems(status, group_ids):
    """What keeps the cluster from being settled: each of these groups running whole on one node,
    and no resource (fence devices, DRBD clones included) with an operation still going. [] when settled.

    crm_mon counts a resource that is still starting as active, so "active" alone is not enough:
    a drill or a failover started at that moment would be refused.
    """
    problems = []
    groups = groups_of(status)
    for group_id in group_ids:
        group = groups.get(group_id)
        if group is None:
            problems.append("group %s is not in the cluster's status yet" % group_id)
        elif group["running"] < group["wanted"]:
            problems.append("group %s: %d of %d resources run" % (group_id, group["running"], group["wanted"]))
        elif len(group["nodes"]) != 1:
            problems.append("group %s runs on %s" % (group_id, ", ".join(sorted(group["nodes"])) or "no node"))
    for rsc_id, role, nodes in unsettled(status):
        problems.append("resource %s is %s on %s" % (rsc_id, (role or "changing").lower(), ", ".join(nodes)))
    return problems


def pair_problems(status, nodes=2):
    """What keeps the pair from being whole: a partition without quorum, fewer than `nodes` nodes online.
    [] when whole."""
    problems = [] if status["quorate"] else ["this partition has no quorum"]
    online = sorted(name for name, node in status["nodes"].items() if node["online"])
    if len(online) < nodes:
        offline = sorted(name for name, node in status["nodes"].items() if not node["online"])
        problems.append("%d of %d nodes online%s" % (len(online), nodes,
                                                     " (offline: %s)" % ", ".join(offline) if offline else ""))
    return problems


def describe_ban(ban):
    """A ban (parse_crm_mon()'s bans) in plain words, with where it comes from."""
    what = "being promoted" if ban["promoted_only"] else "running"
    if ban["id"].startswith("drbd-fence-by-handler-"):
        why = "DRBD's fence-peer handler set it while %s's data was behind; it is removed after a resync" % ban["node"]
    elif ban["id"].startswith("cli-ban-"):
        why = "left by crm_resource --ban or --move; crm_resource --clear removes it"
    else:
        why = "a location constraint in the configuration"
    return "constraint %s keeps %s from %s on %s (%s)" % (ban["id"], ban["resource"], what, ban["node"], why)


def ban_problems(status):
    """Bans that keep a service off a node (fence devices kept off their own target are by design)."""
    fence_devices = {device["id"] for device in stonith_resources(status)}
    return [describe_ban(ban) for ban in status.get("bans", []) if ban["resource"] not in fence_devices]


def verdict(status, links=None, drbd=None, node_id_names=None, unfenceable=None, arbitrator=None):
    """status: parse_crm_mon() output or None when the local stack does not answer.

    links: parse_cfgtool_status() output or None; drbd: parsed DRBD volumes;
    node_id_names: {corosync node id: node name} to name links; unfenceable: nodes that no started
    fence device can fence (fence_check.unfenceable_nodes), None when not known; arbitrator:
    corosync.arbitrator_state()'s shape, None when not known.
    """
    if status is None:
        return DOWN, ["the cluster stack is not running on this node; it cannot tell whether the "
                      "service runs on the other node (ask that node)"]
    reasons, fatal = [], []
    if not status["quorate"]:
        fatal.append("this node's partition has no quorum: it runs no resources")
    for name, node in sorted(status["nodes"].items()):
        if not node["online"]:
            reasons.append("node %s is offline%s" % (name, " and unclean (waiting to be fenced)"
                                                     if node["unclean"] else ""))
        elif node["standby"]:
            reasons.append("node %s is in standby: it runs no resources" % name)
        if node["maintenance"]:
            reasons.append("node %s is in maintenance: the cluster does not manage its resources" % name)
    if status["maintenance_mode"]:
        reasons.append("the cluster is in maintenance mode: it does not start, stop or recover resources")
    if not status["stonith_enabled"]:
        reasons.append("fencing is disabled: after a split both nodes may run the service")
    elif not stonith_resources(status):
        reasons.append("no fence device is configured")
    for device in stonith_resources(status):
        if not device["active"]:
            reasons.append("fence device %s is not running" % device["id"])
    if status["stonith_enabled"] and stonith_resources(status):
        for node in unfenceable or []:
            reasons.append("no started fence device can fence node %s: if it hangs, the cluster cannot take over "
                           "its resources" % node)
    for link, nodeid, state in links_down(links) if links else []:
        peer = (node_id_names or {}).get(nodeid, "node id %s" % nodeid)
        reasons.append("corosync link %s to %s is %s" % (link, peer, state))
    if arbitrator:
        reasons.extend(arbitrator_problems(arbitrator))
    reasons.extend(drbd_problems(drbd or []))
    for failure in status["failures"]:
        reasons.append("failed action %s on %s%s" % (failure["operation"], failure["node"],
                                                     ": " + failure["exit_reason"] if failure["exit_reason"] else ""))
    for rsc in status["resources"]:
        if not rsc["managed"] and not status["maintenance_mode"]:
            reasons.append("resource %s is unmanaged: the cluster does not recover it" % rsc["id"])
    reasons.extend(ban_problems(status))
    # crm_mon counts a resource that is still starting as active; the pair is whole only once it has started
    for rsc_id, role, nodes in unsettled(status):
        reasons.append("resource %s is %s on %s (the operation has not finished)" % (rsc_id, (role or "changing").lower(), ", ".join(nodes)))
    groups = groups_of(status)
    for key, group in sorted(groups.items()):
        if group["wanted"] and group["running"] < group["wanted"]:
            stopped = group["wanted"] - group["running"]
            if group["running"] == 0:
                fatal.append("%s %s is not running anywhere" % (group["kind"], key))
            else:
                reasons.append("%s %s: %d of its resources that should run are stopped" % (group["kind"], key, stopped))
    if fatal:
        return DOWN, fatal + reasons
    return (DEGRADED, reasons) if reasons else (AVAILABLE, [])


# Two clocks further apart than this make the pair degraded: maintenance that ends by itself and the logs
# assume they agree. status.yml reads both nodes at once, but Ansible may start one read seconds after
# the other on slow or loaded nodes (emulated ones: several), so the threshold leaves room for that; an
# unsynchronised clock drifts by up to a few seconds a day, so a week without sync still shows.
CLOCK_SKEW_MAX = 30.0


def with_clocks(view, results, max_skew=CLOCK_SKEW_MAX):
    """The status `view` (one node's cluster_status) with every node's clock added as `clocks`
    ({node: {synchronized, ahead}}, ahead: seconds ahead of the slowest clock), and degraded, with the
    reason, when the clocks differ by more than max_skew seconds (only an available pair is degraded:
    down stays down)."""
    clocks = {}
    for result in results or []:
        clock = (result or {}).get("clock") or {}
        if clock.get("now") is not None:
            clocks[result.get("local_node") or "?"] = clock
    view = dict(view)
    if not clocks:
        return view
    slowest = min(clock["now"] for clock in clocks.values())
    view["clocks"] = dict((name, {"synchronized": clock.get("synchronized"), "ahead": round(clock["now"] - slowest, 1)})
                          for name, clock in clocks.items())
    skew = max(clock["now"] for clock in clocks.values()) - slowest
    if len(clocks) > 1 and skew > max_skew:
        ahead = max(clocks, key=lambda name: clocks[name]["now"])
        view["reasons"] = list(view.get("reasons") or []) + [
            "the nodes' clocks differ by about %.0f s (%s is ahead): check their time service" % (skew, ahead)]
        if view.get("verdict") == "available":
            view["verdict"] = "degraded"
    return view


def status_lines(status):
    """A short human table of a cluster_status result (its returned dict)."""
    lines = ["verdict: %s (seen from %s)" % (status["verdict"], status["local_node"])]
    lines += ["  - %s" % reason for reason in status["reasons"]]
    lines.append("nodes:")
    for name, node in sorted(status["nodes"].items()):
        flags = [flag for flag in ("standby", "maintenance", "dc") if node.get(flag)]
        lines.append("  %-12s %s%s" % (name, "online" if node["online"] else "OFFLINE",
                                       " (%s)" % ", ".join(flags) if flags else ""))
    lines.append("groups:")
    for name, group in sorted(status["groups"].items()):
        where = ", ".join(group["nodes"]) or "nowhere"
        lines.append("  %-12s %s on %s (%d/%d running)" % (name, group["kind"], where, group["running"], group["wanted"]))
    lines.append("corosync links (from %s):" % status["local_node"])
    for link in status["links"]:
        peers = ", ".join("%s %s" % item for item in sorted(link["peers"].items()) if item[1] != "localhost")
        lines.append("  link %s %-15s %s" % (link["link"], link["address"], peers))
    arbitrator = status.get("arbitrator") or {}
    if arbitrator.get("configured"):
        lines.append("arbitrator: %s" % ("votes for this partition" if arbitrator["voting"] else "CASTS NO VOTE"))
    lines.append("drbd:" + ("" if status["drbd"] else " none"))
    for vol in status["drbd"]:
        sync = " %.1f%%" % vol["sync_percent"] if vol.get("sync_percent") is not None else ""
        state = vol["replication"] or vol["connection"]
        fields = (vol["name"] or vol["minor"], vol["role"], vol["peer_role"], vol["disk"], vol["peer_disk"], state, sync)
        lines.append("  %-12s %s/%s %s/%s %s%s" % fields)
    lines.append("fence devices:" + ("" if status["fence_devices"] else " none"))
    for device in status["fence_devices"]:
        lines.append("  %-12s %s" % (device["id"], "started on " + ", ".join(device["nodes"]) if device["active"] else "STOPPED"))
    if status.get("clocks"):
        lines.append("clocks:")
        for name, clock in sorted(status["clocks"].items()):
            synced = {True: "synchronised", False: "NOT synchronised"}.get(clock["synchronized"], "sync unknown")
            lines.append("  %-12s %s, %+.1f s" % (name, synced, clock["ahead"]))
    return lines
