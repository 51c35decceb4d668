# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide whether and where groups can be moved, from a parsed crm_mon status."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import unsettled
from ansible_collections.twonode.ha.plugins.module_utils.health import describe_ban, groups_of


class FailoverRefused(ValueError):
    """The move cannot be made; the message says why."""


def movable_groups(status):
    """Groups and top-level primitives that run on one node (not clones, not fence devices)."""
    return dict((key, g) for key, g in groups_of(status).items() if g["kind"] != "clone")


def group_arrived(status, group_id, target):
    """The group runs whole on target and none of its members is still starting there: crm_mon counts
    a starting resource as active, and a start that then fails would have been reported as a move."""
    group = movable_groups(status).get(group_id)
    if not group or group["nodes"] != set([target]) or group["running"] != group["wanted"]:
        return False
    changing = set(rsc_id for rsc_id, _role, _nodes in unsettled(status))
    return not changing & set(group["members"])


def plan_failover(status, requested, target=None, drbd=None):
    """Return [{group, from, to, move}] or raise FailoverRefused with every reason.

    requested: list of group ids, or ["all"]; target: node name, or None for the peer.
    """
    if not status["quorate"]:
        raise FailoverRefused("this node's partition has no quorum")
    groups = movable_groups(status)
    if requested == ["all"]:
        requested = sorted(groups)
        if not requested:
            raise FailoverRefused("there are no groups to move")
    unknown = [g for g in requested if g not in groups]
    if unknown:
        raise FailoverRefused("unknown group(s) %s; the cluster has: %s"
                              % (", ".join(unknown), ", ".join(sorted(groups)) or "none"))
    nodes = status["nodes"]
    if target is not None and target not in nodes:
        raise FailoverRefused("unknown node %s; the cluster has: %s" % (target, ", ".join(sorted(nodes))))
    problems, plan = [], []
    for group_id in requested:
        group = groups[group_id]
        running_on = sorted(group["nodes"])
        if group["running"] < group["wanted"] or len(running_on) != 1:
            problems.append("%s is not running on exactly one node (%s)" % (group_id, ", ".join(running_on) or "stopped"))
            continue
        source = running_on[0]
        destination = target or next((n for n in sorted(nodes) if n != source), None)
        if destination == source:
            plan.append({"group": group_id, "from": source, "to": destination, "move": False})
            continue
        node = nodes.get(destination)
        if node is None:
            problems.append("%s: there is no other node to move it to" % group_id)
        elif not node["online"]:
            problems.append("%s: %s is offline" % (group_id, destination))
        elif node["standby"]:
            problems.append("%s: %s is in standby" % (group_id, destination))
        elif node["maintenance"]:
            problems.append("%s: %s is in maintenance" % (group_id, destination))
        else:
            blocked = [fc["resource"] for fc in status["fail_counts"]
                       if fc["node"] == destination and fc["resource"] in group["members"]
                       and str(fc.get("migration_threshold") or "").isdigit()
                       and int(fc["fail_count"]) >= int(fc["migration_threshold"])]
            # The group, its members, and the DRBD clone it needs promoted there (resources_plan's naming).
            needs = {group_id, group_id + "-drbd-clone"} | set(group["members"])
            bans = [describe_ban(ban) for ban in status.get("bans", []) if ban["node"] == destination and ban["resource"] in needs]
            if blocked:
                problems.append("%s: %s may not run %s any more (fail count reached the migration threshold; "
                                "clean it up with crm_resource --cleanup)" % (group_id, destination, ", ".join(blocked)))
            elif bans:
                problems.append("%s: %s" % (group_id, "; ".join(bans)))
            else:
                plan.append({"group": group_id, "from": source, "to": destination, "move": True})
    for volume in drbd or []:
        if volume["connection"] != "Connected" or volume["peer_disk"] != "UpToDate" or volume["disk"] != "UpToDate":
            problems.append("DRBD %s is not UpToDate on both nodes (%s, local %s, peer %s): the peer may not have "
                            "every write" % (volume["name"], volume["connection"], volume["disk"], volume["peer_disk"]))
    if problems:
        raise FailoverRefused("; ".join(problems))
    return plan


def move_constraints_left(constraints, group_ids):
    """The groups that still have a constraint crm_resource --move or --ban made (cli-prefer-GROUP,
    cli-ban-GROUP-on-NODE), in the parsed CIB or its constraints section."""
    ids = set(elem.get("id") for elem in constraints.iter() if elem.get("id"))
    return [g for g in group_ids
            if "cli-prefer-%s" % g in ids or any(i.startswith("cli-ban-%s-" % g) for i in ids)]
