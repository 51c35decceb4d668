# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a role decides on, read from one node in one call, and the comparisons the roles skip work by.

A second run with nothing to change should cost one read per node and role, not a module run per
file, package and unit: the roles ask node_state for the files, packages, units and kernel settings
they manage, compare each with what they would write (file_differs, unit_differs), and run only the
tasks whose target differs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import json
import os
import pwd
import stat

# systemctl show prints one block per unit, in the order asked, separated by an empty line.
UNIT_PROPERTIES = ["Id", "LoadState", "UnitFileState", "ActiveState"]
SYSTEMCTL_SHOW = ["systemctl", "show", "--property=" + ",".join(UNIT_PROPERTIES), "--"]
# dpkg-query's line per package it knows: "NAME STATUS"; one it has never heard of goes to stderr.
DPKG_QUERY = ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n"]
IP_ADDRESSES = ["ip", "-json", "address", "show"]
FENCE_AGENTS = ["stonith_admin", "--list-installed"]
CIB_RESOURCES = ["cibadmin", "--query", "--local", "--scope", "resources"]


# The kernel's clock discipline (adjtimex): TIME_ERROR, and the status bit a time daemon (chrony,
# systemd-timesyncd, ntpd) clears once it has synchronised the clock - what timedatectl's
# NTPSynchronized reads.
TIME_ERROR = 5
STA_UNSYNC = 0x0040
# Time services a node may run, as Debian names their units.
TIME_SERVICES = ["chrony", "systemd-timesyncd", "ntpsec", "ntp", "openntpd"]


def clock_synchronized(adjtimex_rc, adjtimex_status):
    """Whether the kernel calls its clock synchronised: adjtimex did not answer TIME_ERROR and the
    status has no STA_UNSYNC (a time daemon sets both once it has reached a source)."""
    return adjtimex_rc != TIME_ERROR and not adjtimex_status & STA_UNSYNC


def kernel_clock_synchronized():
    """clock_synchronized for this node's kernel; None when it cannot be asked."""
    try:
        return clock_synchronized(*read_kernel_clock())
    except (OSError, AttributeError):
        return None


def read_kernel_clock():
    """(adjtimex's return value, its status bits), by asking the kernel without changing anything."""
    import ctypes
    import ctypes.util

    class Timex(ctypes.Structure):  # struct timex, up to status; the kernel writes the rest into padding
        _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                    ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                    ("rest", ctypes.c_byte * 256)]

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    timex = Timex()  # modes 0: read only
    rc = libc.adjtimex(ctypes.byref(timex))
    if rc < 0:
        raise OSError(ctypes.get_errno(), "adjtimex failed")
    return rc, timex.status


def sha1_text(text):
    """The sha1 of text as it lands in a file (UTF-8), the digest file_facts reports."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def file_facts(path):
    """What a path is on this node: exists, type (file, directory, link, other), mode ('0644'), owner,
    group, and sha1 (files) or target (links). Links are not followed."""
    try:
        info = os.lstat(path)
    except OSError:
        return {"exists": False}
    facts = {"exists": True, "mode": "%04o" % stat.S_IMODE(info.st_mode),
             "owner": _name(pwd.getpwuid, info.st_uid), "group": _name(grp.getgrgid, info.st_gid)}
    if stat.S_ISLNK(info.st_mode):
        facts.update(type="link", target=os.readlink(path))
    elif stat.S_ISDIR(info.st_mode):
        facts["type"] = "directory"
    elif stat.S_ISREG(info.st_mode):
        facts["type"] = "file"
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(65536), b""):
                digest.update(block)
        facts["sha1"] = digest.hexdigest()
    else:
        facts["type"] = "other"
    return facts


def device_kind(path):
    """What a path leads to, links followed: block, char, file, directory, other, or missing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "missing"
    for kind, test in (("block", stat.S_ISBLK), ("char", stat.S_ISCHR), ("file", stat.S_ISREG),
                       ("directory", stat.S_ISDIR)):
        if test(mode):
            return kind
    return "other"


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def parse_systemctl_show(out, units):
    """systemctl show's blocks for units (asked in this order): {unit: {loaded, enabled, active}}.
    loaded is false for a unit systemd does not know (its package is not installed); enabled is the
    unit file state (enabled, disabled, masked, static, ...) and active the active state."""
    blocks = [block for block in out.strip().split("\n\n") if block.strip()] if out.strip() else []
    if len(blocks) != len(units):
        raise ValueError("systemctl show answered %d units, %d were asked" % (len(blocks), len(units)))
    states = {}
    for unit, block in zip(units, blocks):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        states[unit] = {"loaded": values.get("LoadState") == "loaded",
                        "enabled": values.get("UnitFileState", ""),
                        "active": values.get("ActiveState", "")}
    return states


def missing_packages(wanted, dpkg_lines):
    """The wanted packages dpkg does not report installed, each once, in the order wanted."""
    installed = set(line.split(" ")[0] for line in dpkg_lines or [] if line.endswith(" installed"))
    missing = []
    for name in wanted:
        if name not in installed and name not in missing:
            missing.append(name)
    return missing


def parse_ip_addresses(out):
    """Every address `ip -json address show` lists but the loopback ones (as Ansible's
    all_ipv4_addresses and all_ipv6_addresses), in its order, with its prefix length: ['10.0.0.1/24', ...]."""
    try:
        links = json.loads(out)
    except ValueError as exc:
        raise ValueError("ip -json address show did not give JSON: %s" % exc)
    return ["%s/%s" % (info["local"], info.get("prefixlen", 32 if ":" not in info["local"] else 128))
            for link in links for info in link.get("addr_info", [])
            if info.get("local") and info.get("scope") != "host"]


def parse_os_release(text):
    """(distribution, major version) from /etc/os-release, as Ansible's facts name them: ('Debian', '13')."""
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("\"'")
    name = values.get("NAME", "").split(" ")[0] or values.get("ID", "").capitalize()
    return name, values.get("VERSION_ID", "").split(".")[0]


def unescape_mountinfo(field):
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes (\\040)."""
    out, index = [], 0
    while index < len(field):
        if field[index] == "\\" and field[index + 1:index + 4].isdigit():
            out.append(chr(int(field[index + 1:index + 4], 8)))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return "".join(out)


def mounted_paths(mountinfo_text, paths):
    """Which of paths are mount points now (/proc/self/mountinfo's fifth field), in the order given."""
    mount_points = set(unescape_mountinfo(line.split(" ")[4]) for line in mountinfo_text.splitlines()
                       if len(line.split(" ")) > 4)
    return [path for path in paths if path.rstrip("/") in mount_points or path in mount_points]


def file_differs(facts, content=None, owner="root", group="root", mode="0644", state="file", target=None):
    """Whether the node's file (file_facts' dict) differs from what a task would make of it.

    state file: content (when given), owner, group and mode; directory: owner, group, mode;
    link: the target; absent: that nothing is there. An unknown or missing path differs unless absent
    is wanted."""
    facts = facts or {"exists": False}
    if state == "absent":
        return facts.get("exists", False)
    if not facts.get("exists"):
        return True
    if state == "link":
        return facts.get("type") != "link" or facts.get("target") != target
    if facts.get("type") != state:
        return True
    if content is not None and facts.get("sha1") != sha1_text(content):
        return True
    return (facts.get("owner"), facts.get("group"), facts.get("mode")) != (owner, group, "%04o" % int(str(mode), 8))


def unit_differs(states, unit, enabled=None, active=None):
    """Whether a unit (parse_systemctl_show's dict) differs from the wanted state: enabled True/False
    (a unit that is not installed counts as disabled), active True/False; None leaves that side alone."""
    state = (states or {}).get(unit)
    if state is None:
        return True
    if enabled is not None and state["loaded"] and (state["enabled"] == "enabled") != bool(enabled):
        return True
    if enabled and not state["loaded"]:
        return True
    if active is not None and (state["active"] == "active") != bool(active):
        return True
    return False
