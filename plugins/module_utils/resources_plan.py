# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the inventory's resource groups into Pacemaker objects for the cib module.

A group always runs in this order on one node:
    [storage head: DRBD promotable clone -> Filesystem]  (hook, filled by the DRBD role)
    -> virtual IP(s) -> services
The storage head is `storage_head()`; today it adds nothing, and a group that asks for
storage is refused by the role's checks until the DRBD support lands.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms

# Services the role installs and configures itself: how Pacemaker runs each.
CATALOGUE = {
    "nginx": {"class": "systemd", "type": "nginx", "unit": "nginx", "kind": "web",
              "ops": [{"name": "monitor", "interval": "10s", "timeout": "30s"},
                      {"name": "start", "interval": "0s", "timeout": "60s"},
                      {"name": "stop", "interval": "0s", "timeout": "60s"}]},
    # Debian's postfix.service only wraps postfix@-; the OCF agent watches the real daemon.
    "postfix": {"class": "ocf", "provider": "heartbeat", "type": "postfix", "unit": "postfix", "kind": "mail",
                "ops": [{"name": "monitor", "interval": "20s", "timeout": "60s"},
                        {"name": "start", "interval": "0s", "timeout": "60s"},
                        {"name": "stop", "interval": "0s", "timeout": "60s"}]},
}
VIP_OPS = [{"name": "monitor", "interval": "10s", "timeout": "20s"},
           {"name": "start", "interval": "0s", "timeout": "20s"},
           {"name": "stop", "interval": "0s", "timeout": "20s"}]
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_AGENT = re.compile(r"^(ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|systemd:[A-Za-z0-9_.@-]+|lsb:[A-Za-z0-9_.-]+|"
                    r"service:[A-Za-z0-9_.-]+)$")


def service_name(service):
    return service if isinstance(service, str) else (service or {}).get("name")


def custom_agent(service):
    """(class, provider, type) of a custom service entry {name, agent: 'ocf:heartbeat:x'}."""
    parts = str(service.get("agent", "")).split(":")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return parts[0], None, parts[1]


def group_errors(groups, node_names):
    """Problems with the groups that do not need addresses (see the filter for the VIP checks)."""
    errors = []
    seen_groups, service_owner = set(), {}
    for index, group in enumerate(groups or []):
        name = group.get("name") if isinstance(group, dict) else None
        where = "resources_groups[%d]" % index
        if not name or not _ID.match(str(name)):
            errors.append("%s: name %r is not a valid id (letter or '_' first, then letters, digits, "
                          "'.', '-', '_')" % (where, name))
            continue
        where = "group %r" % name
        if name in seen_groups:
            errors.append("%s is defined twice" % where)
        seen_groups.add(name)
        services = group.get("services") or []
        if not (group.get("vips") or services):
            errors.append("%s has no virtual IP and no service" % where)
        for service in services:
            sname = service_name(service)
            if isinstance(service, str):
                if service not in CATALOGUE:
                    errors.append("%s: service %r is not one the role knows (%s); give other services as "
                                  "{name: ..., agent: 'systemd:unit' or 'ocf:provider:type'}"
                                  % (where, service, ", ".join(sorted(CATALOGUE))))
                    continue
            elif not isinstance(service, dict) or not sname or not _ID.match(str(sname)) or \
                    not _AGENT.match(str(service.get("agent", ""))):
                errors.append("%s: service %r needs a name and an agent like 'systemd:unit' or "
                              "'ocf:heartbeat:apache'" % (where, service))
                continue
            if sname in service_owner:
                errors.append("%s: service %r already runs in group %r; one service can run in one group"
                              % (where, sname, service_owner[sname]))
            service_owner[sname] = name
        if "postfix" in services and not group.get("mail_domain"):
            errors.append("%s: postfix needs mail_domain (the domain this group receives mail for)" % where)
        preferred = group.get("preferred_node")
        if preferred and preferred not in node_names:
            errors.append("%s: preferred_node %r is not a node of this cluster (%s)"
                          % (where, preferred, ", ".join(sorted(node_names))))
        if group.get("storage"):
            errors.append("%s: storage (DRBD and a filesystem) is not supported by this release" % where)
        for key in ("failure_timeout",):
            if key in group:
                try:
                    duration_ms(group[key])
                except ValueError as exc:
                    errors.append("%s: %s: %s" % (where, key, exc))
        for key in ("migration_threshold", "stickiness"):
            value = group.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                errors.append("%s: %s must be a whole number, 0 or more (got %r)" % (where, key, value))
    return errors


def storage_head(group):
    """The DRBD promotable clone and Filesystem that start a group (hook for the DRBD role).

    Returns (members, clones, constraints): members go first in the group, clones beside it,
    constraints tie the group to the promoted DRBD instance. Nothing yet.
    """
    return [], [], []


def _vip(group, index, address, prefixlen, nic):
    params = {"ip": address, "cidr_netmask": prefixlen}
    if nic:
        params["nic"] = nic
    return {"id": "%s-vip%d" % (group["name"], index), "class": "ocf", "provider": "heartbeat",
            "type": "IPaddr2", "params": params, "ops": VIP_OPS}


def _service(group, service):
    name = service_name(service)
    if isinstance(service, str):
        entry = CATALOGUE[name]
        spec = {"class": entry["class"], "type": entry["type"], "ops": entry["ops"]}
        if entry.get("provider"):
            spec["provider"] = entry["provider"]
    else:
        klass, provider, rtype = custom_agent(service)
        spec = {"class": klass, "type": rtype, "params": dict(service.get("params") or {}),
                "ops": list(service.get("ops") or [{"name": "monitor", "interval": "30s", "timeout": "60s"}])}
        if provider:
            spec["provider"] = provider
    spec["id"] = "%s-%s" % (group["name"], name)
    return spec


def cib_objects(groups, prefixlen, defaults, nic=None):
    """Groups, clones and constraints for the cib module.

    defaults: {stickiness, migration_threshold, failure_timeout, preferred_score}
    """
    result = {"groups": [], "clones": [], "constraints": []}
    for group in groups or []:
        head, clones, constraints = storage_head(group)
        members = list(head)
        for index, address in enumerate(group.get("vips") or [], 1):
            members.append(_vip(group, index, str(address), prefixlen, group.get("nic", nic)))
        for service in group.get("services") or []:
            members.append(_service(group, service))
        meta = {
            "resource-stickiness": group.get("stickiness", defaults["stickiness"]),
            "migration-threshold": group.get("migration_threshold", defaults["migration_threshold"]),
            "failure-timeout": str(group.get("failure_timeout", defaults["failure_timeout"])),
        }
        result["groups"].append({"id": group["name"], "members": members, "meta": meta})
        result["clones"].extend(clones)
        result["constraints"].extend(constraints)
        if group.get("preferred_node"):
            result["constraints"].append({
                "kind": "location", "id": "%s-prefers-%s" % (group["name"], group["preferred_node"]),
                "rsc": group["name"], "node": group["preferred_node"],
                "score": defaults["preferred_score"]})
    return result


def services_used(groups):
    """{catalogue service: [the VIPs of the group it runs in]} for the role's configuration tasks."""
    used = {}
    for group in groups or []:
        for service in group.get("services") or []:
            if isinstance(service, str) and service in CATALOGUE:
                used[service] = {"vips": [str(v) for v in group.get("vips") or []], "group": group["name"],
                                 "mail_domain": group.get("mail_domain")}
    return used
