# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse corosync 3 tool output (knet links) into plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_LOCAL = re.compile(r"^Local node ID (\d+), transport (\S+)")
_LINK = re.compile(r"^LINK ID (\d+)(?:\s+(\S+))?")
_ADDR = re.compile(r"^\s*addr\s*=\s*(\S+)")
_PEER = re.compile(r"^\s*nodeid:?\s+(\d+):\s*(.+?)\s*$")


def parse_cfgtool_status(text):
    """Parse `corosync-cfgtool -s` (corosync 3.x, knet).

    Returns {"local_nodeid": int, "transport": str, "links": [{"link": int, "addr": str,
    "peers": {nodeid: status}}]} where status is "connected", "disconnected", "localhost"
    or what corosync printed. Raises ValueError when the text is not that output.
    """
    result = {"local_nodeid": None, "transport": None, "links": []}
    link = None
    for line in text.splitlines():
        match = _LOCAL.match(line)
        if match:
            result["local_nodeid"] = int(match.group(1))
            result["transport"] = match.group(2)
            continue
        match = _LINK.match(line)
        if match:
            link = {"link": int(match.group(1)), "addr": None, "peers": {}}
            result["links"].append(link)
            continue
        if link is None:
            continue
        match = _ADDR.match(line)
        if match:
            link["addr"] = match.group(1)
            continue
        match = _PEER.match(line)
        if match:
            link["peers"][int(match.group(1))] = match.group(2)
    if result["local_nodeid"] is None:
        raise ValueError("not the output of corosync-cfgtool -s (no 'Local node ID' line)")
    return result


def links_down(status):
    """Links on which a peer is not connected, as (link, nodeid, state) tuples."""
    down = []
    for link in status["links"]:
        for nodeid, state in sorted(link["peers"].items()):
            if state not in ("localhost", "connected"):
                down.append((link["link"], nodeid, state))
    return down


_QUORUM_FIELD = re.compile(r"^([A-Za-z ]+):\s+(.*?)\s*$")
# "    Nodeid      Votes    Qdevice Name" then "1   1   A,V,NMW node1 (local)" or, without a device, "1   1 node1".
_MEMBER_WITH_DEVICE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(\s+\(local\))?\s*$")
_MEMBER = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)(\s+\(local\))?\s*$")
# The quorum device's own line: "0   1   Qdevice", or "0   0   Qdevice (votes 1)" while it casts none.
_DEVICE = re.compile(r"^\s*0\s+(\d+)\s+Qdevice(?:\s+\(votes (\d+)\))?\s*$")


def parse_quorumtool_status(text):
    """Parse `corosync-quorumtool -s` (corosync 3.x, votequorum).

    Returns {"quorate": bool, "expected_votes": int, "total_votes": int, "quorum": int, "flags": [str],
    "members": [{"nodeid": int, "votes": int, "name": str, "local": bool, "qdevice": [str] or None}],
    "device": None or {"votes": int, "configured_votes": int}}. A member's qdevice flags are corosync's
    (A alive / NA not alive, V voting / NV not voting, MW / NMW master wins); device is None when no
    quorum device ever registered. Raises ValueError when the text is not that output.
    """
    fields = {}
    members, device, in_members, has_device_column = [], None, False, False
    for line in text.splitlines():
        if line.strip().startswith("Nodeid"):
            in_members, has_device_column = True, "Qdevice" in line
            continue
        if not in_members:
            match = _QUORUM_FIELD.match(line)
            if match:
                fields[match.group(1).strip()] = match.group(2)
            continue
        match = _DEVICE.match(line)
        if match:
            votes = int(match.group(1))
            device = {"votes": votes, "configured_votes": int(match.group(2)) if match.group(2) else votes}
            continue
        match = (_MEMBER_WITH_DEVICE if has_device_column else _MEMBER).match(line)
        if match:
            groups = match.groups()
            members.append({"nodeid": int(groups[0]), "votes": int(groups[1]),
                            "qdevice": groups[2].split(",") if has_device_column else None,
                            "name": groups[-2], "local": bool(groups[-1])})
    if "Quorate" not in fields or "Expected votes" not in fields:
        raise ValueError("not the output of corosync-quorumtool -s (no 'Quorate' and 'Expected votes' lines)")
    try:
        return {"quorate": fields["Quorate"] == "Yes", "expected_votes": int(fields["Expected votes"]),
                "total_votes": int(fields.get("Total votes", "0")), "quorum": int(fields.get("Quorum", "0")),
                "flags": fields.get("Flags", "").split(), "members": members, "device": device}
    except ValueError:
        raise ValueError("corosync-quorumtool -s printed votes that are not numbers")


def arbitrator_state(quorum):
    """The arbitrator (quorum device) as the pair sees it, from parse_quorumtool_status's shape:
    {"configured": bool, "voting": bool, "votes": int, "nodes": {name: {"alive": bool, "voting": bool}}}.

    configured is false when no device is in corosync's configuration (a device that left keeps a line
    with 0 configured votes); voting is whether the device's vote counts now."""
    device = (quorum or {}).get("device")
    configured = bool(device and device["configured_votes"] > 0)
    nodes = {}
    for member in (quorum or {}).get("members", []):
        flags = member["qdevice"] or []
        nodes[member["name"]] = {"alive": "A" in flags, "voting": "V" in flags}
    return {"configured": configured, "voting": bool(configured and device["votes"] > 0),
            "votes": device["votes"] if configured else 0, "nodes": nodes if configured else {}}


def arbitrator_problems(arbitrator):
    """Why the arbitrator does not back this pair, as sentences; [] when it votes or none is configured."""
    if not arbitrator["configured"]:
        return []
    problems = []
    if not arbitrator["voting"]:
        problems.append("the arbitrator casts no vote (unreachable, or it refused this node): a split or the loss "
                        "of either node now stops the service")
    for name, node in sorted(arbitrator["nodes"].items()):
        if not node["alive"]:
            problems.append("corosync-qdevice does not run on node %s" % name)
        elif arbitrator["voting"] and not node["voting"]:
            problems.append("the arbitrator does not vote for node %s" % name)
    return problems
