# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's own address handed over to its service group (adoption): no commands run here.

The clients of a server that becomes a pair know its address. That address becomes the group's virtual
IP, which Pacemaker moves with the service, and the server gets a new address of its own in the same
network. At boot the server must then bring up only its new address: wherever its persistent network
configuration names the old one, the same line names the new one (the prefix length kept).

- handover_edits: the rewritten files, or why the handover cannot be planned (the address is not in a
  file this knows, it is there more than once, it comes from DHCP, or netplan/NetworkManager hold it).
- ipv4_addresses: which interface holds each IPv4 address now, from `ip -json -4 address show`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

# ifupdown's "address 192.0.2.10/24" (or "address 192.0.2.10" beside "netmask"), and systemd-networkd's
# "Address=192.0.2.10/24" (in [Network] or an [Address] section).
_IFUPDOWN = re.compile(r"^(?P<head>\s*address\s+)(?P<addr>[0-9.]+)(?P<prefix>/\d+)?(?P<tail>\s*(#.*)?)$")
_NETWORKD = re.compile(r"^(?P<head>\s*Address\s*=\s*)(?P<addr>[0-9.]+)(?P<prefix>/\d+)?(?P<tail>\s*(#.*)?)$")
_DHCP = re.compile(r"^\s*(iface\s+\S+\s+inet\s+dhcp|DHCP\s*=\s*(yes|true|ipv4|both))\s*(#.*)?$", re.IGNORECASE)


def _kind(path):
    if path.endswith(".network"):
        return "networkd"
    if path.startswith("/etc/netplan/"):
        return "netplan"
    if path.startswith("/etc/NetworkManager/"):
        return "networkmanager"
    return "ifupdown"


def _mentions(text, address):
    return re.search(r"(?<![0-9.])%s(?![0-9])" % re.escape(address), text) is not None


def _ipv4(text):
    try:
        return ipaddress.IPv4Address(str(text))
    except ValueError:
        return None


def address_pair_problem(old, new):
    """Why old and new cannot be a handover's addresses (None when they can)."""
    for name, value in (("address", old), ("new_address", new)):
        if _ipv4(value) is None:
            return "%s %r is not an IPv4 address (without a prefix length)" % (name, value)
    if old == new:
        return "the new address %s is the address it replaces" % new
    return None


def same_network(one, other, prefix):
    return _ipv4(other) in ipaddress.IPv4Interface("%s/%s" % (one, prefix)).network


def ipv4_addresses(ip_json):
    """{address: {"interface", "prefix", "secondary"}} from `ip -json -4 address show`."""
    try:
        links = json.loads(ip_json or "[]")
    except ValueError as exc:
        raise ValueError("ip -json -4 address show did not give JSON: %s" % exc)
    found = {}
    for link in links:
        for info in link.get("addr_info", []):
            if info.get("family", "inet") == "inet" and info.get("local"):
                found[info["local"]] = {"interface": link.get("ifname"), "prefix": int(info.get("prefixlen", 32)),
                                        "secondary": bool(info.get("secondary"))}
    return found


def _named(files, address):
    """The lines of the address files (ifupdown, networkd) that name address as the node's own."""
    found = []
    for path in sorted(files):
        kind = _kind(path)
        if kind in ("netplan", "networkmanager"):
            continue
        pattern = _NETWORKD if kind == "networkd" else _IFUPDOWN
        for number, line in enumerate((files[path] or "").splitlines(), 1):
            match = pattern.match(line)
            if match and match.group("addr") == address:
                found.append((path, number, match))
    return found


def handover_edits(files, old, new):
    """Plan the rewrite of the persistent network configuration from old to new.

    files: {path: text} of what the server's network configuration may live in (/etc/network/interfaces and
    interfaces.d, /etc/systemd/network/*.network, /etc/netplan/*.yaml, NetworkManager's connections).
    Returns {"edits": {path: new text}, "where": [path:line], "done": bool, "problems": [why not]}: problems empty
    means the edits are the whole handover (none when done: the files name new and not old any more); non-empty
    means nothing may be changed.
    """
    found = _named(files, old)
    if not found and len(_named(files, new)) == 1:
        return {"edits": {}, "where": [], "done": True, "problems": []}
    others = ["%s (%s)" % (path, "netplan" if _kind(path) == "netplan" else "NetworkManager") for path in sorted(files)
              if _kind(path) in ("netplan", "networkmanager") and _mentions(files[path] or "", old)]
    problems = []
    if others:
        problems.append("%s is configured in %s, which this handover does not edit: give the server its new address "
                        "%s there yourself (and take %s out), then run again without the handover"
                        % (old, ", ".join(others), new, old))
    if not found and not others:
        dhcp = [path for path in sorted(files) if any(_DHCP.match(line) for line in (files[path] or "").splitlines())]
        problems.append("%s is in none of the server's network files (%s)%s: a virtual IP must be a static address the "
                        "server gives up; configure it statically first, or leave the server's address as it is"
                        % (old, ", ".join(sorted(files)) or "none read",
                           "; its address comes from DHCP (%s)" % ", ".join(dhcp) if dhcp else ""))
    if len(found) > 1:
        problems.append("%s is configured more than once (%s): leave one line that names it, then run again"
                        % (old, ", ".join("%s:%d" % (path, number) for path, number, _match in found)))
    if any(_mentions(files[path] or "", new) for path in files):
        problems.append("the new address %s is already in the server's network files: it must be an address the server "
                        "does not use yet" % new)
    if problems:
        return {"edits": {}, "where": [], "done": False, "problems": problems}
    path, number, match = found[0]
    lines = (files[path] or "").splitlines(True)
    line = lines[number - 1]
    ending = line[len(line.rstrip("\r\n")):]
    lines[number - 1] = "%s%s%s%s%s" % (match.group("head"), new, match.group("prefix") or "", match.group("tail") or "", ending)
    return {"edits": {path: "".join(lines)}, "where": ["%s:%d" % (path, number)], "done": False, "problems": []}
