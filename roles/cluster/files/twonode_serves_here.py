# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arbitrator's heuristic: exit 0 when this node serves (runs a resource of a group, or the promoted
instance of a clone), 1 when it does not or cannot tell.

corosync-qdevice runs it on each node when the membership changes; in a split, qnetd (ffsplit) gives its
vote to the side whose heuristics pass, so the node that serves keeps the service and the other is fenced.
When neither side serves, qnetd falls back to the lower node id."""

import subprocess
import sys
import xml.etree.ElementTree as ET

# The heuristic runs while the membership settles: an answer later than this counts as "does not serve".
TIMEOUT = 2


def serves(crm_mon_xml, node):
    """Whether `node` runs, by crm_mon's XML, a resource that is not a fence device and not a clone's
    unpromoted instance (which runs on both nodes)."""
    root = ET.fromstring(crm_mon_xml)
    resources = root.find("resources")
    if resources is None:
        return False
    for element in resources.iter():
        if element.tag == "clone":
            instances = list(element.iter("resource"))
            if any(r.get("role") == "Promoted" and r.get("active") == "true" and _on(r, node) for r in instances):
                return True
            # A clone's plain instances run everywhere: they decide nothing.
            continue
        if element.tag != "resource" or _in_clone(resources, element):
            continue
        if (element.get("resource_agent") or "").startswith("stonith:"):
            continue
        if element.get("active") == "true" and element.get("failed") != "true" and _on(element, node):
            return True
    return False


def _on(resource, node):
    return any(n.get("name") == node for n in resource.findall("node"))


def _in_clone(resources, element):
    return any(element in list(clone.iter("resource")) for clone in resources.iter("clone"))


def main():
    try:
        node = subprocess.run(["crm_node", "--name"], capture_output=True, text=True, timeout=TIMEOUT,
                              check=True).stdout.strip()
        status = subprocess.run(["crm_mon", "--one-shot", "--output-as=xml"], capture_output=True, text=True,
                                timeout=TIMEOUT, check=True).stdout
        return 0 if node and serves(status, node) else 1
    except (OSError, subprocess.SubprocessError, ET.ParseError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
