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
