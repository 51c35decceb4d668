# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan maintenance changes on a CIB: cluster maintenance mode, node standby, unmanaged resource.

An expiry is written as a Pacemaker rule (a date expression) on its own attribute set, so the
cluster leaves maintenance by itself at that time, whether or not anyone runs Ansible again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import re
import xml.etree.ElementTree as ET

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import PROPERTY_SET_ID, RESOURCE_TAGS
from ansible_collections.twonode.ha.plugins.module_utils.failover_plan import (
    FailoverRefused,
    movable_groups,
    plan_failover,
)
from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms

# What each scope sets, where, and the id of the expiring set.
SETTINGS = {
    "cluster": ("maintenance-mode", "true"),
    "node": ("standby", "on"),
    "resource": ("is-managed", "false"),
}
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?$")


class MaintenanceError(ValueError):
    """The request cannot be carried out; the message says why."""


def expiry_end(expiry, until, now):
    """The UTC end time as Pacemaker's date format, or None. now: an aware UTC datetime."""
    if expiry is not None and until is not None:
        raise MaintenanceError("give expiry (a duration) or ends (a time), not both")
    if expiry is not None:
        try:
            end = now + datetime.timedelta(milliseconds=duration_ms(expiry))
        except ValueError as exc:
            raise MaintenanceError("expiry: %s" % exc)
    elif until is not None:
        match = _ISO.match(str(until).strip())
        if not match:
            raise MaintenanceError("ends %r is not a time like 2026-11-22T18:00:00Z" % (until,))
        day, clock, zone = match.groups()
        text = "%sT%s%s" % (day, clock if clock.count(":") == 2 else clock + ":00",
                            "+00:00" if zone in (None, "Z") else zone if ":" in zone else zone[:3] + ":" + zone[3:])
        try:
            end = datetime.datetime.strptime(text.replace(":", ""), "%Y-%m-%dT%H%M%S%z")
        except ValueError as exc:
            raise MaintenanceError("ends %r is not a valid time: %s" % (until, exc))
        end = end.astimezone(datetime.timezone.utc)
    else:
        return None
    if end <= now:
        raise MaintenanceError("the expiry %s is in the past (now %s)" % (
            end.strftime("%Y-%m-%dT%H:%M:%SZ"), now.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return end.strftime("%Y-%m-%dT%H:%M:%SZ")


def standby_outage(status, node, drbd=None):
    """Why standby of `node` would take a service down, or None when the peer can take it all.

    Standby moves every group that runs on the node; that is a failover to the peer, so it needs
    what a failover needs: quorum, the peer online and free to run the groups, DRBD UpToDate on both.
    """
    groups = sorted(key for key, group in movable_groups(status).items() if node in group["nodes"])
    if not groups:
        return None
    peers = sorted(n for n in status["nodes"] if n != node)
    if not peers:
        return "no other node could run %s" % ", ".join(groups)
    try:
        plan_failover(status, groups, peers[0], drbd)
    except FailoverRefused as exc:
        return "%s runs %s and %s cannot take over: %s" % (node, ", ".join(groups), peers[0], exc)
    return None


def _expiring_set_id(scope, name):
    return "twonode-maintenance" if scope == "cluster" else "twonode-%s-%s" % (
        "standby" if scope == "node" else "unmanaged", name)


def _target(config, scope, name):
    """The element holding the scope's attribute sets, and the set tag there."""
    if scope == "cluster":
        return config.find("crm_config"), "cluster_property_set"
    if scope == "node":
        node = config.find("nodes/node[@uname='%s']" % name)
        if node is None:
            names = sorted(n.get("uname") for n in config.findall("nodes/node"))
            raise MaintenanceError("unknown node %s; the cluster has: %s" % (name, ", ".join(names) or "none"))
        return node, "instance_attributes"
    rsc = config.find("resources//*[@id='%s']" % name)
    if rsc is None or rsc.tag not in RESOURCE_TAGS:
        names = sorted(e.get("id") for e in config.find("resources") if e.tag in RESOURCE_TAGS)
        raise MaintenanceError("unknown resource %s; the cluster has: %s" % (name, ", ".join(names) or "none"))
    return rsc, "meta_attributes"


def current(live_xml, scope, name=None):
    """{'on': bool, 'until': end or None} as configured (not evaluated against the clock)."""
    config = ET.fromstring(live_xml).find("configuration")
    holder, set_tag = _target(config, scope, name)
    attr, value = SETTINGS[scope]
    expiring = holder.find("%s[@id='%s']" % (set_tag, _expiring_set_id(scope, name)))
    until = None
    if expiring is not None:
        expr = expiring.find("rule/date_expression")
        until = expr.get("end") if expr is not None else None
    plain = any(nv.get("value") == value for s in holder.findall(set_tag)
                if s.get("id") != _expiring_set_id(scope, name) for nv in s.findall("nvpair[@name='%s']" % attr))
    return {"on": plain or expiring is not None, "until": until if not plain else None}


def plan(live_xml, scope, name, state, end=None):
    """Return (candidate CIB text, changed, words)."""
    if scope not in SETTINGS:
        raise MaintenanceError("scope must be one of cluster, node, resource")
    if scope != "cluster" and not name:
        raise MaintenanceError("scope %s needs a name" % scope)
    try:
        live = ET.fromstring(live_xml)
    except ET.ParseError as exc:
        raise MaintenanceError("the live CIB is not XML: %s" % exc)
    before = current(live_xml, scope, name)
    want_on = state == "on"
    if before["on"] == want_on and (not want_on or before["until"] == end):
        return live_xml, False, "already %s" % state
    candidate = copy.deepcopy(live)
    holder, set_tag = _target(candidate.find("configuration"), scope, name)
    attr, value = SETTINGS[scope]
    set_id = _expiring_set_id(scope, name)
    # Start from nothing: no plain setting, no expiring set.
    for nvset in holder.findall(set_tag):
        if nvset.get("id") == set_id:
            holder.remove(nvset)
            continue
        for nvpair in nvset.findall("nvpair[@name='%s']" % attr):
            nvset.remove(nvpair)
    if want_on and end is None:
        if scope == "cluster":
            nvset = holder.find("cluster_property_set[@id='%s']" % PROPERTY_SET_ID)
            plain_id = PROPERTY_SET_ID
        elif scope == "node":
            plain_id = "nodes-%s" % holder.get("id")
            nvset = holder.find("instance_attributes[@id='%s']" % plain_id)
        else:
            plain_id = "%s-meta_attributes" % name
            nvset = holder.find("meta_attributes[@id='%s']" % plain_id)
        if nvset is None:
            nvset = ET.Element(set_tag, {"id": plain_id})
            holder.insert(0, nvset)
        ET.SubElement(nvset, "nvpair", {"id": "%s-%s" % (plain_id, attr), "name": attr, "value": value})
    elif want_on:
        # A high score so this set wins over the plain one while its rule holds.
        nvset = ET.Element(set_tag, {"id": set_id, "score": "1000"})
        rule = ET.SubElement(nvset, "rule", {"id": set_id + "-until", "score": "INFINITY"})
        ET.SubElement(rule, "date_expression", {"id": set_id + "-until-expr", "operation": "lt", "end": end})
        ET.SubElement(nvset, "nvpair", {"id": set_id + "-" + attr, "name": attr, "value": value})
        holder.insert(0, nvset)
    what = {"cluster": "cluster maintenance mode", "node": "standby of node %s" % name,
            "resource": "unmanaged resource %s" % name}[scope]
    words = "%s %s%s" % (what, state, " until %s" % end if want_on and end else "")
    return ET.tostring(candidate, encoding="unicode"), True, words
