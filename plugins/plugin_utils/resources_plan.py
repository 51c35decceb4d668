# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the inventory's resource groups into Pacemaker objects for the cib module.

A group always runs in this order on one node:
    [storage: Filesystem on the DRBD device, only where DRBD is promoted]
    -> virtual IP(s) -> services
With storage the DRBD resource becomes a promotable clone beside the group; a colocation
and an order constraint keep the group on the promoted instance, started after promotion.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import secret_params_errors, split_secrets
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
DRBD_OPS = [{"name": "monitor", "interval": "29s", "role": "Promoted", "timeout": "30s"},
            {"name": "monitor", "interval": "31s", "role": "Unpromoted", "timeout": "30s"},
            {"name": "start", "interval": "0s", "timeout": "240s"},
            {"name": "stop", "interval": "0s", "timeout": "100s"},
            {"name": "promote", "interval": "0s", "timeout": "90s"},
            {"name": "demote", "interval": "0s", "timeout": "90s"},
            {"name": "notify", "interval": "0s", "timeout": "90s"}]
FS_OPS = [{"name": "monitor", "interval": "20s", "timeout": "40s"},
          {"name": "start", "interval": "0s", "timeout": "60s"},
          {"name": "stop", "interval": "0s", "timeout": "60s"}]
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_UNIT = re.compile(r"^[A-Za-z0-9_.@:-]+$")
_AGENT = re.compile(r"^(ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|systemd:[A-Za-z0-9_.@-]+|lsb:[A-Za-z0-9_.-]+|"
                    r"service:[A-Za-z0-9_.-]+)$")


def scaled(ops, factor):
    """The operations with their timeouts multiplied by factor (whole seconds, rounded up).

    For nodes slower than the timeouts assume (emulated guests, loaded hosts): an operation that
    outlives its timeout fails, and a stop that fails gets the node fenced.
    """
    if factor == 1:
        return list(ops)
    result = []
    for op in ops:
        op = dict(op)
        if "timeout" in op:
            op["timeout"] = "%ds" % -(-duration_ms(op["timeout"]) * factor // 1000)
        result.append(op)
    return result


def timeout_factor_error(value):
    """Why resources_timeout_factor is refused, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 10:
        return "resources_timeout_factor must be a number from 1 to 10 (got %r)" % (value,)
    return None


def service_name(service):
    return service if isinstance(service, str) else (service or {}).get("name")


def custom_agent(service):
    """(class, provider, type) of a custom service entry {name, agent: 'ocf:heartbeat:x'}."""
    parts = str(service.get("agent", "")).split(":")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return parts[0], None, parts[1]


def storage_errors(where, storage, drbd_resources, drbd_owner, group_name):
    """Problems with a group's storage: {drbd: resource name, mountpoint, options}."""
    if not isinstance(storage, dict):
        return ["%s: storage must be a mapping {drbd: <resource>, mountpoint: /path}" % where]
    errors = []
    known = dict((r.get("name"), r) for r in drbd_resources or [] if isinstance(r, dict))
    name = storage.get("drbd")
    if name not in known:
        errors.append("%s: storage.drbd %r is not one of drbd_resources (%s)"
                      % (where, name, ", ".join(sorted(str(k) for k in known)) or "none defined"))
    elif known[name].get("filesystem", "ext4") == "none":
        errors.append("%s: DRBD resource %r has filesystem none; a group mounts a filesystem" % (where, name))
    elif name in drbd_owner:
        errors.append("%s: DRBD resource %r is already the storage of group %r" % (where, name, drbd_owner[name]))
    else:
        drbd_owner[name] = group_name
    mountpoint = str(storage.get("mountpoint") or "")
    if not mountpoint.startswith("/") or mountpoint.rstrip("/") == "" or " " in mountpoint:
        errors.append("%s: storage.mountpoint must be an absolute directory path (got %r)" % (where, mountpoint or None))
    return errors


def group_errors(groups, node_names, drbd_resources=None):
    """Problems with the groups that do not need addresses (see the filter for the VIP checks)."""
    errors = []
    seen_groups, service_owner, drbd_owner = set(), {}, {}
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
                # Name and agent only: the entry's params may hold secrets.
                shown = {"name": sname, "agent": service.get("agent")} if isinstance(service, dict) else service
                errors.append("%s: service %r needs a name and an agent like 'systemd:unit' or "
                              "'ocf:heartbeat:apache'" % (where, shown))
                continue
            if isinstance(service, dict):
                if "unit" in service and not (isinstance(service["unit"], str) and _UNIT.match(service["unit"])):
                    errors.append("%s: service %r: unit must name a systemd unit, like 'apache2' or "
                                  "'shopapi.service' (got %r)" % (where, sname, service["unit"]))
                if not isinstance(service.get("params", {}), dict):
                    errors.append("%s: service %r: params must be a mapping of agent parameters" % (where, sname))
                errors.extend(secret_params_errors("%s: service %r" % (where, sname), service.get("params"),
                                                   service.get("secret_params")))
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
        if "storage" in group:
            errors.extend(storage_errors(where, group["storage"], drbd_resources, drbd_owner, name))
        for key in ("failure_timeout",):
            if key in group:
                try:
                    duration_ms(group[key])
                except ValueError as exc:
                    errors.append("%s: %s: %s" % (where, key, exc))
        for key in ("migration_threshold", "stickiness", "priority"):
            value = group.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                errors.append("%s: %s must be a whole number, 0 or more (got %r)" % (where, key, value))
    return errors


def storage_head(group, drbd_resources, factor=1):
    """The Filesystem that starts a group on DRBD, the DRBD promotable clone and the constraints.

    Returns (members, clones, constraints): members go first in the group, clones beside it,
    constraints keep the group where DRBD is promoted, started after the promotion.
    """
    storage = group.get("storage")
    if not storage:
        return [], [], []
    res = [r for r in drbd_resources if r["name"] == storage["drbd"]][0]
    name = group["name"]
    clone_id = "%s-drbd-clone" % name
    fs_params = {"device": "/dev/drbd%d" % res["minor"], "directory": storage["mountpoint"],
                 "fstype": res.get("filesystem", "ext4")}
    if storage.get("options"):
        fs_params["options"] = storage["options"]
    filesystem = {"id": "%s-fs" % name, "class": "ocf", "provider": "heartbeat", "type": "Filesystem",
                  "params": fs_params, "ops": scaled(FS_OPS, factor)}
    clone = {"id": clone_id, "promotable": True,
             "primitive": {"id": "%s-drbd" % name, "class": "ocf", "provider": "linbit", "type": "drbd",
                           "params": {"drbd_resource": res["name"]}, "ops": scaled(DRBD_OPS, factor)},
             "meta": {"promoted-max": "1", "promoted-node-max": "1", "clone-max": "2", "clone-node-max": "1",
                      "notify": "true"}}
    constraints = [
        {"kind": "colocation", "id": "%s-with-drbd-promoted" % name, "rsc": name, "with-rsc": clone_id,
         "with-rsc-role": "Promoted", "score": "INFINITY"},
        {"kind": "order", "id": "%s-after-drbd-promoted" % name, "first": clone_id, "first-action": "promote",
         "then": name, "then-action": "start"},
    ]
    return [filesystem], [clone], constraints


def _vip(group, index, address, prefixlen, nic, factor=1):
    params = {"ip": address, "cidr_netmask": prefixlen}
    if nic:
        params["nic"] = nic
    return {"id": "%s-vip%d" % (group["name"], index), "class": "ocf", "provider": "heartbeat",
            "type": "IPaddr2", "params": params, "ops": scaled(VIP_OPS, factor)}


def _service(group, service, factor=1):
    name = service_name(service)
    if isinstance(service, str):
        entry = CATALOGUE[name]
        spec = {"class": entry["class"], "type": entry["type"], "ops": scaled(entry["ops"], factor)}
        if entry.get("provider"):
            spec["provider"] = entry["provider"]
    else:
        klass, provider, rtype = custom_agent(service)
        params, secrets = split_secrets(service.get("params"), service.get("secret_params") or [])
        spec = {"class": klass, "type": rtype, "params": params, "secrets": secrets,
                "secret_params": list(service.get("secret_params") or []),
                # The administrator's own operations are theirs; only the default is scaled.
                "ops": list(service.get("ops") or scaled([{"name": "monitor", "interval": "30s", "timeout": "60s"}],
                                                         factor))}
        if provider:
            spec["provider"] = provider
    spec["id"] = "%s-%s" % (group["name"], name)
    return spec


def cib_objects(groups, prefixlen, defaults, nic=None, drbd_resources=None):
    """Groups, clones and constraints for the cib module.

    defaults: {stickiness, migration_threshold, failure_timeout, preferred_score, timeout_factor}
    """
    result = {"groups": [], "clones": [], "constraints": []}
    factor = defaults.get("timeout_factor", 1)
    for group in groups or []:
        head, clones, constraints = storage_head(group, drbd_resources or [], factor)
        members = list(head)
        for index, address in enumerate(group.get("vips") or [], 1):
            members.append(_vip(group, index, str(address), prefixlen, group.get("nic", nic), factor))
        for service in group.get("services") or []:
            members.append(_service(group, service, factor))
        meta = {
            "resource-stickiness": group.get("stickiness", defaults["stickiness"]),
            "migration-threshold": group.get("migration_threshold", defaults["migration_threshold"]),
            "failure-timeout": str(group.get("failure_timeout", defaults["failure_timeout"])),
            # Each member counts: after a split the node running more of it fences the other first
            # (the cluster role sets priority-fencing-delay). 0 leaves the group out of that count.
            "priority": group.get("priority", 1),
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


def data_directory(group, service):
    """Where a service keeps its data: on the group's DRBD filesystem when it has one, else None."""
    storage = group.get("storage")
    if not storage:
        return None
    return "%s/%s" % (str(storage["mountpoint"]).rstrip("/"), {"nginx": "www", "postfix": "mail"}.get(service, service))


def boot_units(groups):
    """The systemd units of every service the groups run, which must not start at boot (Pacemaker starts
    them on one node): the catalogue's, a C(systemd:unit) agent's, and a custom service's C(unit) (for an
    OCF or LSB agent whose daemon has a unit of its own, such as apache2 for ocf:heartbeat:apache)."""
    units = []
    for group in groups or []:
        for service in group.get("services") or []:
            if isinstance(service, str):
                unit = CATALOGUE.get(service, {}).get("unit")
            elif isinstance(service, dict):
                agent = str(service.get("agent", ""))
                unit = service.get("unit") or (agent.split(":", 1)[1] if agent.startswith("systemd:") else None)
            else:
                unit = None
            if unit and str(unit) not in units:
                units.append(str(unit))
    return units


def services_used(groups):
    """{catalogue service: [the VIPs of the group it runs in]} for the role's configuration tasks."""
    used = {}
    for group in groups or []:
        for service in group.get("services") or []:
            if isinstance(service, str) and service in CATALOGUE:
                used[service] = {"vips": [str(v) for v in group.get("vips") or []], "group": group["name"],
                                 "mail_domain": group.get("mail_domain"),
                                 "data": data_directory(group, service)}
    return used


_MAIN_CF_PARAMETER = re.compile(r"^([A-Za-z0-9_]+)\s*=\s*(.*)$")
POSTFIX_SETTINGS_MARK = "# twonode.ha: what the cluster needs (the rest of this file is the administrator's)"


def postfix_main_cf_values(text):
    """{parameter: value} as main.cf sets them (the last setting wins, continuation lines joined)."""
    values, current = {}, None
    for line in (text or "").splitlines():
        match = _MAIN_CF_PARAMETER.match(line)
        if match:
            current = match.group(1)
            values[current] = match.group(2).strip()
        elif current and line[:1] in (" ", "\t") and line.strip() and not line.strip().startswith("#"):
            values[current] = (values[current] + " " + line.strip()).strip()
        elif not line.strip() or line.startswith("#"):
            continue
        else:
            current = None
    return values


def postfix_ha_settings(text, service):
    """The main.cf parameters the cluster needs, given the file as it is and the service (services_used'
    entry: mail_domain, vips, data). Only these change; relayhost, TLS, restrictions and the rest stay:
    inet_interfaces all (postfix starts on the node that does not hold the VIPs yet: smtpd's listeners
    in master.cf are the VIPs), IPv6 when a VIP is IPv6, the group's domain among mydestination (unless
    the file delivers it as a virtual, alias or relay domain), and the mail spool on the group's DRBD
    filesystem when it has one."""
    values = postfix_main_cf_values(text)
    wanted = {"inet_interfaces": "all"}
    if any(":" in vip for vip in service.get("vips") or []) and values.get("inet_protocols", "all") not in ("all", "ipv4, ipv6", "ipv6, ipv4"):
        wanted["inet_protocols"] = "all"
    domain = service.get("mail_domain")
    destinations = values.get("mydestination", "$myhostname, localhost.$mydomain, localhost")
    # A domain the administrator delivers otherwise (virtual mailboxes, aliases, relaying) is theirs to keep.
    elsewhere = " ".join(values.get(name, "") for name in ("virtual_mailbox_domains", "virtual_alias_domains", "relay_domains"))
    if domain and domain not in _postfix_expanded(re.split(r"[\s,]+", destinations), values) \
            and domain not in re.split(r"[\s,]+", elsewhere):
        wanted["mydestination"] = "%s, %s" % (destinations, domain) if destinations else domain
    if service.get("data"):
        wanted["mail_spool_directory"] = service["data"]
    return wanted


def _postfix_expanded(names, values):
    """The names with $myhostname and $mydomain (also as ${...}) replaced by main.cf's values (mydomain
    defaults to myhostname without its first label); names that need the node's own hostname stay as they are."""
    hostname = values.get("myhostname")
    mydomain = values.get("mydomain") or (hostname.split(".", 1)[1] if hostname and "." in hostname else None)
    expanded = []
    for name in names:
        for variable, value in (("myhostname", hostname), ("mydomain", mydomain)):
            if value and not value.startswith("$"):
                name = name.replace("${%s}" % variable, value).replace("$" + variable, value)
        expanded.append(name)
    return expanded


def postfix_main_cf(text, settings):
    """main.cf with each of settings' parameters set in place (its continuation lines taken with it; a
    parameter set twice is set where it was last), the ones it lacks added in a marked block at the end,
    every other line kept as it is."""
    lines = (text or "").splitlines()
    last = {}
    for index, line in enumerate(lines):
        match = _MAIN_CF_PARAMETER.match(line)
        if match and match.group(1) in settings:
            last[match.group(1)] = index
    out, skip = [], False
    for index, line in enumerate(lines):
        if skip and line[:1] in (" ", "\t") and line.strip():
            continue
        skip = False
        match = _MAIN_CF_PARAMETER.match(line)
        if match and match.group(1) in settings:
            skip = True
            if last[match.group(1)] == index:
                out.append("%s = %s" % (match.group(1), settings[match.group(1)]))
            continue
        out.append(line)
    missing = [name for name in settings if name not in last]
    if missing:
        if POSTFIX_SETTINGS_MARK not in out:
            out.append(POSTFIX_SETTINGS_MARK)
        out.extend("%s = %s" % (name, settings[name]) for name in missing)
    return "\n".join(out) + "\n"


POSTFIX_LISTENERS_BEGIN = "# BEGIN twonode.ha smtpd listeners"
POSTFIX_LISTENERS_END = "# END twonode.ha smtpd listeners"
# Debian's master.cf line that makes smtpd listen on every address.
_SMTPD_EVERYWHERE = re.compile(r"smtp\s+inet\s")


def postfix_master_cf(text, vips):
    """master.cf with smtpd listening on the virtual IPs and loopback only: the listen-everywhere
    `smtp inet` line taken out and the collection's marked block of listeners replaced in place (or
    added at the end), the rest of the administrator's file kept as it is."""
    lines = [line for line in (text or "").splitlines() if not _SMTPD_EVERYWHERE.match(line)]
    block = [POSTFIX_LISTENERS_BEGIN]
    for address in list(vips or []) + ["127.0.0.1"]:
        block.append("%s:smtp inet n - y - - smtpd" % (("[%s]" % address) if ":" in address else address))
    block.append(POSTFIX_LISTENERS_END)
    if POSTFIX_LISTENERS_BEGIN in lines and POSTFIX_LISTENERS_END in lines[lines.index(POSTFIX_LISTENERS_BEGIN):]:
        begin = lines.index(POSTFIX_LISTENERS_BEGIN)
        lines[begin:lines.index(POSTFIX_LISTENERS_END, begin) + 1] = block
    else:
        lines.extend(block)
    return "\n".join(lines) + "\n"
