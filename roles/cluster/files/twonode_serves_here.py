# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arbitrator's heuristic: exit 0 when this node serves, 1 when it does not or cannot tell.

corosync-qdevice runs it on each node when the membership changes; in a split, qnetd (ffsplit) gives its
vote to the side whose heuristics pass, so the node that serves keeps the service and the other is fenced.
When neither side serves, qnetd falls back to the lower node id.

It asks no cluster daemon, only the kernel and a file: while corosync settles a new membership it waits
for this vote, and Pacemaker's daemons wait for corosync (the DC's controller does not answer
crm_node or crm_mon then), so asking them only ran into the heuristics' timeout, 3 s lost at each
takeover by the DC. "Serves" is what the kernel shows of a group's resources: a virtual IP of a
resource in the CIB on a local interface, a Filesystem resource's directory mounted, or a DRBD device
Primary. The resources come from the CIB file Pacemaker writes (/var/lib/pacemaker/cib/cib.xml)."""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

CIB_FILE = "/var/lib/pacemaker/cib/cib.xml"
# Each command answers from the kernel in milliseconds; the heuristics' sync_timeout is 3 s.
TIMEOUT = 1

# Resource agents whose parameter names an address or a mount point that only the serving node holds.
ADDRESS_PARAMS = {"IPaddr2": "ip", "IPaddr": "ip", "IPv6addr": "ipv6addr"}
MOUNT_PARAMS = {"Filesystem": "directory"}


def held_resources(cib_xml):
    """(addresses, directories) of the CIB's primitives that run on one node at a time: virtual IPs and
    Filesystem mount points, outside clones (a clone's instances run on both nodes and decide nothing)."""
    root = ET.fromstring(cib_xml)
    resources = root.find("configuration/resources")
    if resources is None:
        return [], []
    cloned = {id(p) for tag in ("clone", "master") for c in resources.iter(tag) for p in c.iter("primitive")}
    addresses, directories = [], []
    for primitive in resources.iter("primitive"):
        if id(primitive) in cloned or primitive.get("class") == "stonith":
            continue
        params = {nv.get("name"): nv.get("value") for attrs in primitive.findall("instance_attributes")
                  for nv in attrs.findall("nvpair")}
        kind = primitive.get("type")
        if kind in ADDRESS_PARAMS and params.get(ADDRESS_PARAMS[kind]):
            addresses.append(params[ADDRESS_PARAMS[kind]])
        if kind in MOUNT_PARAMS and params.get(MOUNT_PARAMS[kind]):
            directories.append(params[MOUNT_PARAMS[kind]])
    return addresses, directories


def local_addresses(ip_json):
    """Every address on this node's interfaces, from `ip -json address show`."""
    found = set()
    for link in json.loads(ip_json or "[]"):
        for info in link.get("addr_info", []):
            try:
                found.add(ipaddress.ip_address(info.get("local", "")))
            except ValueError:
                continue
    return found


def holds_address(addresses, local):
    for address in addresses:
        try:
            if ipaddress.ip_address(address.split("/")[0]) in local:
                return True
        except ValueError:
            continue
    return False


def drbd_primary(proc_drbd, drbdsetup_json=None):
    """Whether a DRBD resource is Primary here: /proc/drbd's `ro:Primary/` (8.4), or for DRBD 9 (whose
    /proc/drbd lists no resources) `drbdsetup status --json`."""
    if re.search(r"\bro:Primary/", proc_drbd or ""):
        return True
    if drbdsetup_json:
        return any(r.get("role") == "Primary" for r in json.loads(drbdsetup_json))
    return False


def serves(cib_xml, ip_json, is_mount, primary_drbd=lambda: False):
    """Whether this node holds a virtual IP or a mounted Filesystem of the CIB's resources, or else
    (asked only then: reading DRBD may fail where a VIP already decided) has a DRBD device Primary."""
    addresses, directories = held_resources(cib_xml)
    return (holds_address(addresses, local_addresses(ip_json))
            or any(is_mount(directory) for directory in directories)
            or primary_drbd())


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _run(command):
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True).stdout


def _primary_drbd_here():
    try:
        proc_drbd = _read("/proc/drbd")
        if not proc_drbd or "ro:" in proc_drbd or not shutil.which("drbdsetup"):
            return drbd_primary(proc_drbd)
        return drbd_primary(proc_drbd, _run(["drbdsetup", "status", "--json"]))
    except (OSError, ValueError, subprocess.SubprocessError):
        return False


def main():
    try:
        cib_xml = _read(CIB_FILE)
        ip_json = _run(["ip", "-json", "address", "show"])
        return 0 if cib_xml and serves(cib_xml, ip_json, os.path.ismount, _primary_drbd_here) else 1
    except (OSError, ValueError, subprocess.SubprocessError, ET.ParseError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
