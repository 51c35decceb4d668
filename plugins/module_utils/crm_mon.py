# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse `crm_mon --one-shot --output-as=xml` (Pacemaker 2.1 and 3.0) into plain data.

Both releases write the same elements this reads; 3.0 adds attributes (maintenance on every
resource, pacemakerd-state on the stack) and drops the pacemakerd element, none of which is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET


# Roles crm_mon shows once an operation is done; while one runs it says Starting, Stopping, Promoting...
SETTLED_ROLES = ("Started", "Promoted", "Unpromoted", "Master", "Slave")


def unsettled(status):
    """Active resources with an operation still running: [(id, role, nodes)]."""
    return [(rsc["id"], rsc["role"], rsc["nodes"]) for rsc in status["resources"]
            if rsc["active"] and rsc["role"] not in SETTLED_ROLES]


def _bool(value):
    return str(value).lower() == "true"


def _resource(elem, group=None, clone=None):
    nodes = [n.get("name") for n in elem.findall("node")]
    return {
        "id": elem.get("id"),
        "agent": elem.get("resource_agent"),
        "role": elem.get("role"),
        "active": _bool(elem.get("active")),
        "failed": _bool(elem.get("failed")),
        "managed": _bool(elem.get("managed", "true")),
        "target_role": elem.get("target_role"),
        "blocked": _bool(elem.get("blocked")),
        "nodes": nodes,
        "group": group,
        "clone": clone,
    }


def _walk_resources(parent, group=None, clone=None):
    found = []
    for child in parent:
        if child.tag == "resource":
            found.append(_resource(child, group, clone))
        elif child.tag == "group":
            found.extend(_walk_resources(child, group=child.get("id"), clone=clone))
        elif child.tag in ("clone", "bundle"):
            found.extend(_walk_resources(child, group=group, clone=child.get("id")))
    return found


def parse_crm_mon(xml_text):
    """Return nodes, quorum, resources and failures from crm_mon's XML output.

    Raises ValueError when the text is not crm_mon XML.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError("crm_mon output is not XML: %s" % exc)
    if root.tag != "pacemaker-result":
        raise ValueError("crm_mon output has no pacemaker-result element")

    summary = root.find("summary")
    dc_elem = summary.find("current_dc") if summary is not None else None
    quorate = dc_elem is not None and _bool(dc_elem.get("with_quorum"))
    dc = dc_elem.get("name") if dc_elem is not None and _bool(dc_elem.get("present")) else None
    # "2.1.5-a3f44794f94", "3.0.0-3.0.0": the DC's release, and whether the members differ (an upgrade).
    dc_version = dc_elem.get("version") if dc is not None else None
    mixed_version = dc_elem is not None and _bool(dc_elem.get("mixed_version"))

    nodes = {}
    for node in root.findall("nodes/node"):
        nodes[node.get("name")] = {
            "id": node.get("id"),
            "online": _bool(node.get("online")),
            "standby": _bool(node.get("standby")),
            "standby_onfail": _bool(node.get("standby_onfail")),
            "maintenance": _bool(node.get("maintenance")),
            "pending": _bool(node.get("pending")),
            "unclean": _bool(node.get("unclean")),
            "shutdown": _bool(node.get("shutdown")),
            "dc": _bool(node.get("is_dc")),
            "resources_running": int(node.get("resources_running", "0")),
        }

    resources_elem = root.find("resources")
    resources = _walk_resources(resources_elem) if resources_elem is not None else []

    failures = []
    for failure in root.findall("failures/failure"):
        failures.append({
            "operation": failure.get("op_key"),
            "node": failure.get("node"),
            "exit_reason": failure.get("exitreason", ""),
            "status": failure.get("status"),
            "last_rc_change": failure.get("last-rc-change"),
        })

    fail_counts = []
    for node in root.findall("node_history/node"):
        for history in node.findall("resource_history"):
            count = history.get("fail-count")
            if count and count != "0":
                fail_counts.append({"node": node.get("name"), "resource": history.get("id"),
                                    "fail_count": int(count) if count.isdigit() else count,
                                    "migration_threshold": history.get("migration-threshold")})

    fence_history = []
    for event in root.findall("fence_history/fence_event"):
        fence_history.append({
            "action": event.get("action"), "target": event.get("target"), "status": event.get("status"),
            "delegate": event.get("delegate"), "origin": event.get("origin"),
            "completed": event.get("completed") or event.get("last-pending"),
        })

    # Negative location constraints as Pacemaker applies them (rules evaluated): fence devices kept off
    # their own target, DRBD's fence-peer constraint, bans left by crm_resource --ban/--move.
    bans = [{"id": ban.get("id"), "resource": ban.get("resource"), "node": ban.get("node"),
             "weight": ban.get("weight"), "promoted_only": _bool(ban.get("promoted-only", ban.get("master_only")))}
            for ban in root.findall("bans/ban")]

    options = root.find("summary/cluster_options")
    return {
        "dc": dc,
        "dc_version": dc_version,
        "mixed_version": mixed_version,
        "quorate": quorate,
        "stonith_enabled": options is not None and _bool(options.get("stonith-enabled")),
        "maintenance_mode": options is not None and _bool(options.get("maintenance-mode")),
        "nodes": nodes,
        "resources": resources,
        "failures": failures,
        "fail_counts": fail_counts,
        "fence_history": fence_history,
        "bans": bans,
    }


def stonith_resources(status):
    """The fence devices (class stonith) of a parsed status."""
    return [r for r in status["resources"] if (r["agent"] or "").startswith("stonith:")]
