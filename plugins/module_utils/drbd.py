# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse DRBD status: DRBD 8.4's /proc/drbd and DRBD 9's `drbdsetup status --json`.

Both give the same shape, one entry per volume:
  {name, minor, volume, role, peer_role, disk, peer_disk, connection, replication,
   sync_percent, sync_finish, out_of_sync_kib, split_brain}
connection is the link to the peer (Connected, Connecting, StandAlone, ...); replication is
Established when in step, or the resync state (SyncSource, SyncTarget, PausedSyncS, ...).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

_VERSION = re.compile(r"^version:\s*(\S+)")
_DEVICE = re.compile(r"^\s*(\d+):\s+cs:(\S+)(?:\s+ro:(\S+)/(\S+))?(?:\s+ds:(\S+)/(\S+))?")
_SYNCED = re.compile(r"sync'ed:\s*([\d.]+)%(?:\s*\((\d+)/(\d+)\)([KM]))?")
_FINISH = re.compile(r"finish:\s*(\S+)")
_SPEED = re.compile(r"speed:\s*([\d,]+)")
_OUT_OF_SYNC = re.compile(r"\boos:(\d+)")
# The split-brain handler (roles/drbd) leaves one file per resource here, holding the time DRBD
# found it; DRBD itself keeps no trace of why a resource is StandAlone.
SPLIT_BRAIN_DIR = "/var/lib/twonode/drbd-split-brain"
# 8.4 connection states in which the link to the peer is up (a resync may be running).
CONNECTED_84 = ("Connected", "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID",
                "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT", "Ahead", "Behind")


def proc_drbd_version(text):
    for line in text.splitlines():
        match = _VERSION.match(line)
        if match:
            return match.group(1)
    return None


def parse_proc_drbd(text, names=None, sizes=None):
    """Parse DRBD 8.4's /proc/drbd. names: {minor: resource name} when known; sizes: {minor: the device's
    size in KiB}, which tells a resync that copies the whole device (a first mirror) from one that catches up."""
    names = names or {}
    sizes = sizes or {}
    resources = []
    current = None
    for line in text.splitlines():
        match = _DEVICE.match(line)
        if match:
            minor, cstate, role, peer_role, disk, peer_disk = match.groups()
            current = None
            if cstate == "Unconfigured":
                continue
            current = {
                "name": names.get(int(minor)), "minor": int(minor), "volume": 0,
                "role": role, "peer_role": peer_role, "disk": disk, "peer_disk": peer_disk,
                "connection": "Connected" if cstate in CONNECTED_84 else cstate,
                "replication": "Established" if cstate == "Connected" else
                (cstate if cstate in CONNECTED_84 else None),
                "sync_percent": None, "sync_finish": None, "out_of_sync_kib": None, "split_brain": None,
                "sync_rate_kib": None, "full_sync": None,
            }
            resources.append(current)
            continue
        if current is None:
            continue
        match = _SYNCED.search(line)
        if match:
            current["sync_percent"] = float(match.group(1))
            if match.group(3) and sizes.get(current["minor"]):
                unit = 1024 if match.group(4) == "M" else 1
                # /proc/drbd gives MiB (rounded down) for a large resync: within one MiB is the whole device.
                current["full_sync"] = int(match.group(3)) * unit > sizes[current["minor"]] - unit
        match = _SPEED.search(line)
        if match:
            current["sync_rate_kib"] = int(match.group(1).replace(",", ""))
        match = _FINISH.search(line)
        if match:
            current["sync_finish"] = match.group(1)
        match = _OUT_OF_SYNC.search(line)
        if match:
            current["out_of_sync_kib"] = int(match.group(1))
    return resources


def parse_drbdsetup_json(text):
    """Parse DRBD 9's `drbdsetup status --json` (a two-node resource has one connection)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError("drbdsetup status --json did not give JSON: %s" % exc)
    resources = []
    for res in data:
        connections = res.get("connections") or []
        conn = connections[0] if connections else {}
        peer_devices = dict((pd.get("volume"), pd) for pd in conn.get("peer_devices") or [])
        for dev in res.get("devices") or []:
            peer = peer_devices.get(dev.get("volume"), {})
            replication = peer.get("replication-state")
            syncing = bool(replication) and replication.startswith(("Sync", "PausedSync"))
            resources.append({
                "name": res.get("name"), "minor": dev.get("minor"), "volume": dev.get("volume"),
                "role": res.get("role"), "peer_role": conn.get("peer-role"),
                "disk": dev.get("disk-state"), "peer_disk": peer.get("peer-disk-state"),
                "connection": conn.get("connection-state", "StandAlone"),
                "replication": replication,
                "sync_percent": peer.get("percent-in-sync") if syncing else None,
                "sync_finish": None, "out_of_sync_kib": peer.get("out-of-sync"), "split_brain": None,
                # drbdsetup's status tells neither the rate nor how much this resync set out to copy.
                "sync_rate_kib": None, "full_sync": None,
            })
    return resources


def human_duration(finish):
    """DRBD's h:mm:ss as said aloud: "2 h 10 min", "12 min", "9 s"; anything else as it is."""
    parts = str(finish).split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return str(finish)
    hours, minutes, seconds = (int(part) for part in parts)
    if hours:
        return "%d h %d min" % (hours, minutes)
    if minutes:
        return "%d min" % (minutes + (1 if seconds >= 30 else 0))
    return "%d s" % seconds


def human_rate(kib_per_second):
    """A resync rate: "36.8 MiB/s"."""
    return "%.1f MiB/s" % (kib_per_second / 1024.0)


def drbd_problems(resources):
    """Why DRBD is not fully redundant, in plain words (empty when every volume is in step)."""
    reasons = []
    for res in resources:
        label = "DRBD %s" % (res["name"] or "minor %s" % res["minor"])
        if res.get("volume"):
            label += " volume %s" % res["volume"]
        if res.get("split_brain") and res["connection"] != "Connected":
            changed = " (%s KiB written here that the peer does not have)" % res["out_of_sync_kib"] \
                if res.get("out_of_sync_kib") is not None else ""
            reasons.append("%s is in split brain since %s: both nodes wrote while apart%s, nothing is mirrored "
                           "until one side's writes are discarded (playbooks/splitbrain.yml -e discard=NODE)"
                           % (label, res["split_brain"], changed))
        elif res["connection"] != "Connected":
            reasons.append("%s is not connected to its peer (%s): writes are not mirrored" % (label, res["connection"]))
        elif res["replication"] not in (None, "Established"):
            rate = ", %s" % human_rate(res["sync_rate_kib"]) if res.get("sync_rate_kib") else ""
            finish = ", about %s left" % human_duration(res["sync_finish"]) if res["sync_finish"] else ""
            if res.get("full_sync"):
                way = "to the peer" if res["replication"].endswith(("SyncSource", "SyncS")) else "from the peer"
                done = " %.1f %%" % res["sync_percent"] if res["sync_percent"] is not None else ""
                reasons.append("%s: first mirror%s (the whole disk, %s)%s%s" % (label, done, way, rate, finish))
            else:
                done = " %.1f%% done" % res["sync_percent"] if res["sync_percent"] is not None else ""
                reasons.append("%s is resynchronising (%s)%s%s%s" % (label, res["replication"], done, rate, finish))
        if res["disk"] == "Diskless" and res["connection"] == "Connected" and res["peer_disk"] == "UpToDate":
            reasons.append("%s: this node's backing disk is detached (failed, or taken out by hand): it reads and writes "
                           "through the peer's disk, which holds the only copy; a new disk in its place gets the data back from the peer" % label)
        elif res["disk"] != "UpToDate":
            reasons.append("%s: the local disk is %s" % (label, res["disk"]))
        if res["connection"] == "Connected" and res["peer_disk"] == "Diskless":
            reasons.append("%s: the peer's backing disk is detached (failed, or taken out by hand): this node holds the only "
                           "copy; a new disk on the peer gets the data back from this node" % label)
        elif res["connection"] == "Connected" and res["peer_disk"] not in ("UpToDate", None) and \
                res["replication"] in (None, "Established"):
            reasons.append("%s: the peer's disk is %s" % (label, res["peer_disk"]))
    return reasons


def split_brain_marks(directory=SPLIT_BRAIN_DIR):
    """{resource name: when DRBD found the split brain} from the split-brain handler's files."""
    marks = {}
    try:
        names = os.listdir(directory)
    except (IOError, OSError):
        return marks
    for name in names:
        try:
            with open(os.path.join(directory, name)) as handle:
                marks[name] = handle.read().strip() or "an unknown time"
        except (IOError, OSError):
            continue
    return marks


def mark_split_brains(resources, marks):
    """Attach the handler's marks; a mark on a resource that is connected again is history."""
    for res in resources:
        if res["name"] in marks and res["connection"] != "Connected":
            res["split_brain"] = marks[res["name"]]
    return resources
