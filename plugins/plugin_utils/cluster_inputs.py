# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on a pair's inventory that need both nodes at once, and fence device planning.

Everything here is pure: the cluster role hands in the members' variables (and the addresses
that fact gathering saw on each node) and gets back a list of problems in plain words, so a
bad inventory fails before any node is touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import secret_params_errors, split_secrets
from ansible_collections.twonode.ha.plugins.module_utils.node_state import TIME_SERVICES
from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms

# Pacemaker ids are XML ids: a letter or underscore first.
_XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# corosync.conf takes the name as one token; DLM and GFS2 (which take their lock table name from it)
# allow at most 32 of these characters.
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Pacemaker's false values for a boolean option.
_PCMK_FALSE = ("false", "no", "off", "n", "0")
# Pacemaker's default stonith-timeout.
DEFAULT_STONITH_TIMEOUT_MS = 60000
# Corosync fails detection below this; above a minute a dead node keeps the service away too long.
MIN_TOLERANCE_MS = 500
MAX_TOLERANCE_MS = 60000


def _ip(value):
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None


def member_errors(members):
    """Problems with the two members' names and link addresses.

    members: list of dicts with keys host (inventory name), node_name, ring0_addr, ring1_addr
    and optionally addresses (every address fact gathering found on that host).
    """
    errors = []
    if len(members) != 2:
        names = ", ".join(m["host"] for m in members) or "none"
        return ["a twonode cluster has exactly two members; this play has %d (%s). "
                "Put exactly two hosts in the play's group (ha_pair, or the group named by "
                "twonode_pair)" % (len(members), names)]
    seen_names = {}
    seen_addrs = {}
    for member in members:
        host = member["host"]
        name = member.get("node_name")
        if not name or not _NODE_NAME.match(str(name)):
            errors.append("%s: cluster_node_name %r is not a valid node name "
                          "(letters, digits, '.', '-', '_')" % (host, name))
        elif name in seen_names:
            errors.append("%s and %s both use the node name %r" % (seen_names[name], host, name))
        else:
            seen_names[name] = host
        for key, network in (("ring0_addr", "service"), ("ring1_addr", "replication")):
            raw = member.get(key)
            addr = _ip(raw) if raw else None
            if addr is None:
                errors.append("%s: cluster_%s %r is not an IP address (the %s network address "
                              "of this node)" % (host, key, raw, network))
                continue
            if addr.is_loopback or addr.is_unspecified or addr.is_multicast:
                errors.append("%s: cluster_%s %s cannot carry cluster traffic (loopback, "
                              "unspecified or multicast)" % (host, key, addr))
            known = member.get("addresses")
            if known is not None and str(addr) not in set(str(_ip(a)) for a in known if _ip(a)):
                errors.append("%s: cluster_%s %s is not an address of this host (it has: %s)"
                              % (host, key, addr, ", ".join(sorted(known)) or "none"))
            if str(addr) in seen_addrs:
                errors.append("%s: cluster_%s %s is already used by %s"
                              % (host, key, addr, seen_addrs[str(addr)]))
            seen_addrs[str(addr)] = "%s (%s)" % (host, key)
        r0, r1 = _ip(member.get("ring0_addr") or ""), _ip(member.get("ring1_addr") or "")
        if r0 is not None and r1 is not None and r0.version != r1.version:
            errors.append("%s: both links must use the same IP version (%s, %s)" % (host, r0, r1))
    # Two inventory hosts that reach one machine (an address that moved, say a virtual IP) would configure it twice.
    names = [member.get("hostname") for member in members]
    if len(names) == 2 and names[0] and names[0] == names[1]:
        errors.append("%s and %s answered as the same machine (host name %s): each inventory host must reach its own "
                      "node (check ansible_host; after adopt.yml the server's old address belongs to a group)"
                      % (members[0]["host"], members[1]["host"], names[0]))
    return errors


def metrics_address(value):
    """(address, port) of a listen address written ADDRESS:PORT or [IPv6]:PORT; None when it is not one."""
    text = str(value or "").strip()
    if text.startswith("["):
        address, sep, port = text[1:].partition("]:")
    else:
        address, sep, port = text.rpartition(":")
    addr = _ip(address) if sep else None
    if addr is None or not port.isdigit() or not 0 < int(port) < 65536 or (":" in address and not text.startswith("[")):
        return None
    return str(addr), int(port)


def metrics_errors(members):
    """Problems with each member's metrics_address (empty: no exporter on that node)."""
    errors = []
    for member in members:
        raw = member.get("metrics_address")
        if not raw:
            continue
        parsed = metrics_address(raw)
        if parsed is None:
            errors.append("%s: cluster_metrics_address %r is not ADDRESS:PORT (for example 10.0.0.11:9664, "
                          "[fd00::11]:9664)" % (member["host"], raw))
            continue
        addr = ipaddress.ip_address(parsed[0])
        if addr.is_unspecified:
            errors.append("%s: cluster_metrics_address %s would publish the metrics on every address of the node; "
                          "name one (the network your Prometheus scrapes from)" % (member["host"], raw))
            continue
        known = member.get("addresses")
        if known is not None and not addr.is_loopback and str(addr) not in set(str(_ip(a)) for a in known if _ip(a)):
            errors.append("%s: cluster_metrics_address %s is not an address of this host (it has: %s)"
                          % (member["host"], raw, ", ".join(sorted(known)) or "none"))
    return errors


def arbitrator_errors(arbitrator, pair_hosts, arbitrator_hosts, address, port, ping, cluster_name, namesakes):
    """Problems with the pair's arbitrator ('' for none).

    pair_hosts: this pair's inventory names; arbitrator_hosts: the ha_arbitrator group; namesakes: other
    inventory hosts that are cluster nodes with this cluster_name. qnetd tells the clusters it serves apart
    by their names only: two pairs of one name would share a vote and be taken for one cluster."""
    if not arbitrator:
        return []
    errors = []
    if arbitrator in pair_hosts:
        errors.append("cluster_arbitrator %s is a node of this pair; the arbitrator must be a third host" % arbitrator)
    elif arbitrator not in arbitrator_hosts:
        errors.append("cluster_arbitrator %s is not a host of the ha_arbitrator group (it has: %s)"
                      % (arbitrator, ", ".join(arbitrator_hosts) or "no host"))
    if not address or not re.match(r"^[A-Za-z0-9:.-]+$", str(address)):
        errors.append("cluster_arbitrator_address %r is not a host name or an address" % (address,))
    elif _ip(address) is not None and _ip(address).is_unspecified:
        errors.append("cluster_arbitrator_address %s is not an address the nodes can reach" % address)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        errors.append("cluster_arbitrator_port %r is not a TCP port" % (port,))
    if not isinstance(ping, list) or any(_ip(addr) is None for addr in ping):
        errors.append("cluster_arbitrator_ping must be a list of IP addresses (each node pings them before the "
                      "arbitrator decides a split), not %r" % (ping,))
    if namesakes:
        errors.append("hosts %s are nodes of another cluster named %s: pairs that share an arbitrator need "
                      "cluster names of their own (set cluster_name)" % (", ".join(sorted(namesakes)), cluster_name))
    return errors


def namesakes(hostvars, hosts, cluster_name, default_name="twonode"):
    """Which of hosts are cluster nodes (they have cluster_ring0_addr) named cluster_name (default_name
    when they do not set it)."""
    found = []
    for host in hosts:
        host_vars = hostvars.get(host) or {}
        if "cluster_ring0_addr" in host_vars and host_vars.get("cluster_name", default_name) == cluster_name:
            found.append(host)
    return found


def cluster_name_errors(name):
    if not isinstance(name, str) or not _CLUSTER_NAME.match(name):
        return ["cluster_name %r is not a valid cluster name: 1 to 32 letters, digits, '-' or '_', "
                "a letter or digit first (corosync.conf's syntax, DLM's and GFS2's limit)" % (name,)]
    return []


def _pcmk_false(value):
    return value is False or str(value).strip().lower() in _PCMK_FALSE


def property_errors(properties, allow_no_fencing, race_delay, sbd_watchdog_timeout=None):
    """Problems with cluster_properties and the fence race delay.

    Turning fencing off through a property is refused like an empty fence device list is: only with
    the loudly named override. The race delay must leave the fence operation time to finish inside
    stonith-timeout (the one given, the one SBD needs, or Pacemaker's 60 s). sbd_watchdog_timeout:
    seconds, when SBD fences this pair.
    """
    errors = []
    if not isinstance(properties, dict):
        return ["cluster_properties must be a mapping of Pacemaker property names to values"]
    for name in ("stonith-enabled", "fencing-enabled"):
        if name in properties and _pcmk_false(properties[name]) and not allow_no_fencing:
            errors.append("cluster_properties sets %s=%s, which turns fencing off. A two-node cluster "
                          "without fencing can run the service on both nodes at once and corrupt its "
                          "data. Remove it, or set cluster_i_accept_data_loss_without_fencing: true"
                          % (name, properties[name]))
    try:
        delay_ms = duration_ms(race_delay, allow_zero=True)
    except ValueError as exc:
        return errors + ["cluster_fence_race_delay: %s" % exc]
    if isinstance(sbd_watchdog_timeout, int) and not isinstance(sbd_watchdog_timeout, bool):
        timeout_ms = sbd_stonith_timeout(sbd_watchdog_timeout, delay_ms) * 1000
        where = "the stonith-timeout SBD needs"
    else:
        timeout_ms = DEFAULT_STONITH_TIMEOUT_MS
        where = "Pacemaker's default stonith-timeout"
    for name in ("stonith-timeout", "fencing-timeout"):
        if name in properties:
            try:
                timeout_ms = duration_ms(properties[name])
            except ValueError as exc:
                return errors + ["cluster_properties %s: %s" % (name, exc)]
            where = "cluster_properties %s" % name
    if delay_ms >= timeout_ms:
        errors.append("cluster_fence_race_delay %s is not below %s (%d ms): every fence of the "
                      "race survivor would time out" % (race_delay, where, timeout_ms))
    return errors


def tolerance_errors(value):
    try:
        ms = duration_ms(value)
    except ValueError as exc:
        return ["cluster_outage_tolerance: %s" % exc]
    if not MIN_TOLERANCE_MS <= ms <= MAX_TOLERANCE_MS:
        return ["cluster_outage_tolerance %r is %d ms; use %d ms to %d ms"
                % (value, ms, MIN_TOLERANCE_MS, MAX_TOLERANCE_MS)]
    return []


def start_delay_errors(value):
    try:
        ms = duration_ms(value, allow_zero=True)
    except ValueError as exc:
        return ["cluster_start_delay: %s" % exc]
    if ms > 300000:
        return ["cluster_start_delay %r is over 5 minutes; a node would stay out of the cluster "
                "that long after every boot" % (value,)]
    return []


def fence_device_errors(devices, node_names, allow_no_fencing):
    """Problems with the fence device list; node_names are the cluster's node names."""
    errors = []
    fenced = set()
    ids = set()
    for index, device in enumerate(devices or []):
        where = "cluster_fence_devices[%d]" % index
        if not isinstance(device, dict):
            errors.append("%s is not a mapping" % where)
            continue
        name = device.get("name")
        if not name or not _XML_ID.match(str(name)):
            errors.append("%s: name %r is not a valid resource id (letter or '_' first, then "
                          "letters, digits, '.', '-', '_')" % (where, name))
        elif name in ids:
            errors.append("%s: name %r is used twice" % (where, name))
        else:
            ids.add(name)
            where = "fence device %r" % name
        agent = str(device.get("agent") or "")
        if not re.match(r"^fence_[A-Za-z0-9_]+$", agent):
            errors.append("%s: agent %r is not a fence agent name (fence_ipmilan, "
                          "fence_redfish, fence_docker, ...)" % (where, agent or None))
        targets = device.get("fences")
        for target in targets if isinstance(targets, list) and targets else [targets]:
            if target not in node_names:
                errors.append("%s: fences %r, which is not a node of this cluster (%s)"
                              % (where, target, ", ".join(sorted(node_names))))
            else:
                fenced.add(target)
        params = device.get("params", {})
        if not isinstance(params, dict):
            errors.append("%s: params must be a mapping of agent parameters" % where)
        errors.extend(secret_params_errors(where, params, device.get("secret_params")))
        for key in ("monitor_interval", "monitor_timeout"):
            if key in device:
                try:
                    duration_ms(device[key])
                except ValueError as exc:
                    errors.append("%s: %s %s" % (where, key, exc))
    if not allow_no_fencing:
        for node in sorted(set(node_names) - fenced):
            errors.append("no fence device fences node %s. A two-node cluster without fencing "
                          "can run the service on both nodes at once and corrupt its data. "
                          "Add a device to cluster_fence_devices, or set "
                          "cluster_i_accept_data_loss_without_fencing: true" % node)
    return errors


# Debian 13 ships one package per fence agent (fence-agents itself became a transitional package that
# pulls every agent and the cloud SDKs); these agents live in a package named after another one.
_SHARED_AGENT_PACKAGES = {
    "fence_idrac": "ipmilan", "fence_ilo3": "ipmilan", "fence_ilo4": "ipmilan", "fence_ilo5": "ipmilan",
    "fence_imm": "ipmilan", "fence_ipmilanplus": "ipmilan",
    "fence_ilo": "ilo2",
    "fence_ilo3_ssh": "ilo-ssh", "fence_ilo4_ssh": "ilo-ssh", "fence_ilo5_ssh": "ilo-ssh",
}


def fence_agent_packages(agents, distribution, major_version):
    """The Debian packages that bring these fence agents to a node of this release.

    Debian 12 has every agent in `fence-agents`; Debian 13 and later one `fence-agents-NAME` per
    agent (fence_vmware_rest -> fence-agents-vmware-rest), a few of them shared.
    """
    agents = sorted(set(agents or []))
    if not agents:
        return []
    try:
        split = str(distribution) == "Debian" and int(major_version) >= 13
    except (TypeError, ValueError):
        split = False
    if not split:
        return ["fence-agents"]
    return sorted({"fence-agents-" + _SHARED_AGENT_PACKAGES.get(agent, agent[len("fence_"):]).replace("_", "-")
                   for agent in agents})


def fence_cib_objects(devices, survivor, race_delay, monitor_interval="60s", monitor_timeout="60s"):
    """Pacemaker objects for the fence devices: stonith primitives and location constraints.

    The monitor and the start get a timeout of their own: Pacemaker's default of 20 s is too short for a fence
    agent (most are Python) started on a node busy with a takeover or a resync, and a timed out
    check stays a failed action until someone cleans it up.

    A device fences one node (`fences: name`) or several (`fences: [names]`, for example SBD).
    The race after a split is won by the node that serves (fence_properties: priority-fencing-delay);
    fencing the survivor waits a fifth of `race_delay` on top (tie_break_ms), which decides only
    when both nodes serve as much (nothing runs, or one group on each). A device that fences
    several nodes gets a per-node delay map; a device that fences one node is kept off that node.
    """
    resources = []
    constraints = []
    for device in devices or []:
        targets = device["fences"] if isinstance(device["fences"], list) else [device["fences"]]
        params = dict(device.get("params") or {})
        if "pcmk_host_list" not in params and "pcmk_host_map" not in params:
            params["pcmk_host_list"] = " ".join(targets)
        tie_break = "%dms" % tie_break_ms(race_delay)
        # Always as a per-node map: Pacemaker 3.0's fencer takes a bare value too, but logs
        # "error: pcmk_delay_base: empty value in mapping" at every fencing.
        if survivor in targets and tie_break_ms(race_delay) and "pcmk_delay_base" not in params:
            params["pcmk_delay_base"] = ";".join("%s:%s" % (t, tie_break if t == survivor else "0s") for t in targets)
        params, secrets = split_secrets(params, device.get("secret_params") or [])
        resources.append({
            "id": device["name"],
            "class": "stonith",
            "type": device["agent"],
            "params": params,
            "secrets": secrets,
            "meta": dict(device.get("meta") or {}),
            "ops": [{"name": "monitor", "interval": str(device.get("monitor_interval", monitor_interval)),
                     "timeout": str(device.get("monitor_timeout", monitor_timeout))},
                    # A device's start runs the agent's monitor: the same cost, the same room.
                    {"name": "start", "interval": "0s", "timeout": str(device.get("monitor_timeout", monitor_timeout))}],
            "secret_params": list(device.get("secret_params") or []),
        })
        if len(targets) == 1:
            constraints.append({
                "kind": "location",
                "id": "location-%s-avoids-%s" % (device["name"], targets[0]),
                "rsc": device["name"],
                "node": targets[0],
                "score": "-INFINITY",
            })
    return {"resources": resources, "constraints": constraints}


def sbd_device_paths(devices, watchdog_device):
    """The paths node_state looks at for SBD: the disks and the watchdog; none when no disk is given,
    or when cluster_sbd_devices is not a list (sbd_errors says so, the read must not fail first)."""
    if not isinstance(devices, list) or not devices:
        return []
    return [str(device) for device in devices] + [str(watchdog_device)]


def sbd_errors(devices, watchdog_timeout):
    """Problems with the SBD settings (devices: shared disks; watchdog_timeout: seconds)."""
    errors = []
    if not isinstance(devices, list):
        return ["cluster_sbd_devices must be a list of disk paths"]
    if len(devices) > 3:
        errors.append("cluster_sbd_devices: SBD uses one to three disks (got %d)" % len(devices))
    for device in devices:
        if not str(device).startswith("/dev/") or ";" in str(device) or "," in str(device):
            errors.append("cluster_sbd_devices: %r is not a disk path under /dev" % (device,))
    if len(set(devices)) != len(devices):
        errors.append("cluster_sbd_devices lists a disk twice")
    if isinstance(watchdog_timeout, bool) or not isinstance(watchdog_timeout, int) or not 1 <= watchdog_timeout <= 60:
        errors.append("cluster_sbd_watchdog_timeout must be whole seconds, 1-60 (got %r)" % (watchdog_timeout,))
    return errors


def sbd_fence_devices(devices, node_names):
    """The fence device SBD needs ([] without SBD disks): fence_sbd, fencing either node."""
    if not devices:
        return []
    return [{"name": "fence-sbd", "agent": "fence_sbd", "fences": list(node_names),
             "params": {"devices": ",".join(devices)}}]


def tie_break_ms(race_delay):
    """The survivor's static head start: a fifth of the race delay. Pacemaker wants priority-fencing-delay
    safely twice any pcmk_delay_base, so that the node that serves wins whatever the static delays."""
    return duration_ms(race_delay, allow_zero=True) // 5 if race_delay else 0


def fence_properties(fencing, race_delay, sbd_watchdog_timeout=None):
    """The cluster properties fencing needs: stonith-enabled; priority-fencing-delay, so that after a split
    the node running the groups (their resources' priority, see the resources role) fences the other
    first; and a stonith-timeout that covers the delays (Pacemaker 2.1.6 and later add them to the
    fencing timeout themselves, 2.1.5 does not) and, with SBD, the message wait."""
    properties = {"stonith-enabled": bool(fencing)}
    if not fencing:
        return properties
    delays_ms = duration_ms(race_delay, allow_zero=True) + tie_break_ms(race_delay) if race_delay else 0
    # Set also when there is none (an arbitrator decides splits): a delay set earlier must not stay behind.
    properties["priority-fencing-delay"] = str(race_delay) if delays_ms else "0"
    if sbd_watchdog_timeout:
        properties["stonith-timeout"] = "%ds" % sbd_stonith_timeout(sbd_watchdog_timeout, delays_ms)
    else:
        properties["stonith-timeout"] = "%ds" % (60 + -(-delays_ms // 1000))
    return properties


def sbd_stonith_timeout(watchdog_timeout, race_delay_ms):
    """Seconds Pacemaker should allow a fence operation with SBD: the message wait (twice the
    watchdog timeout) plus 20 %, plus the race delay, and never below Pacemaker's default 60 s."""
    msgwait = 2 * watchdog_timeout
    return max(60, -(-msgwait * 12 // 10) + -(-race_delay_ms // 1000))


def node_list(members):
    """The nodelist both nodes render: names, ids (inventory order) and link addresses."""
    return [{"host": m["host"], "name": m["node_name"], "nodeid": index + 1,
             "ring0_addr": str(m["ring0_addr"]).strip(), "ring1_addr": str(m["ring1_addr"]).strip()}
            for index, m in enumerate(members)]


def authkey_source(states):
    """Which host's corosync authkey the cluster uses.

    states: list (inventory order) of {host, has_key, in_cluster}. A node that is already in
    this cluster wins, so a reinstalled peer receives the running cluster's key; then any node
    with a key; then the first node, which makes one.
    """
    for wanted in (lambda s: s["has_key"] and s["in_cluster"], lambda s: s["has_key"], lambda s: True):
        for state in states:
            if wanted(state):
                return state["host"]
    raise ValueError("no hosts to choose an authkey source from")


def time_sync_errors(members, required=True):
    """Why the nodes' clocks cannot be trusted ([] when they can, or when not required): each member
    (a node's __cluster_self: node_name, clock {synchronized, services}) needs a time service running
    and the kernel saying the clock is synchronised. Maintenance that ends by itself, fencing history,
    logs and certificates all assume both nodes agree on the time."""
    if not required:
        return []
    errors = []
    for member in members or []:
        clock = member.get("clock") or {}
        if not clock.get("services"):
            errors.append("%s: no time service runs (%s): install and start one (chrony or systemd-timesyncd), or "
                          "set cluster_require_time_sync: false" % (member.get("node_name"), ", ".join(TIME_SERVICES)))
        elif not clock.get("synchronized"):
            errors.append("%s: %s runs but the clock is not synchronised (no time source reached yet?): check "
                          "its sources (chronyc sources, timedatectl timesync-status), or set "
                          "cluster_require_time_sync: false" % (member.get("node_name"), ", ".join(clock["services"])))
    return errors
