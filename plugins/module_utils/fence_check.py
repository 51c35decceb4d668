# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask a fence device for the power status of the node it fences, as Pacemaker's fencer would.

A device whose monitor passes can still be unable to fence: the monitor of most agents only logs in,
so a wrong plug in pcmk_host_map (or a BMC address of the wrong server) shows only when the node must
be fenced. The status action of the agent for the target's plug answers ON only when the device can
see that node. Agents take their parameters as key=value lines on stdin, as the fencer passes them,
so no secret is on a command line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

# _text: a parameter as the cib module writes it into the CIB (booleans as true/false).
from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import _text, is_secret

_MAP_ENTRY = re.compile(r"[;,\s]+")
# The exit codes of the fence agents' status action (fencing.py): 0 on, 2 off, anything else failed.
STATUS_ON, STATUS_OFF = 0, 2


def stonith_devices(cib_xml):
    """[{id, agent, params}] of the stonith primitives in a CIB (whole or its resources section)."""
    try:
        root = ET.fromstring(cib_xml)
    except ET.ParseError as exc:
        raise ValueError("the CIB is not XML: %s" % exc)
    devices = []
    for primitive in root.iter("primitive"):
        if primitive.get("class") != "stonith":
            continue
        params = {}
        for nvset in primitive.findall("instance_attributes"):
            for nvpair in nvset.findall("nvpair"):
                params[nvpair.get("name")] = nvpair.get("value", "")
        devices.append({"id": primitive.get("id"), "agent": primitive.get("type"), "params": params})
    return devices


def desired_devices(resources):
    """[{id, agent, params}] of the roles' fence primitives (cib module shape), secrets merged in."""
    devices = []
    for rsc in resources or []:
        params = dict((name, _text(value)) for name, value in (rsc.get("params") or {}).items())
        secrets = dict((name, _text(value)) for name, value in (rsc.get("secrets") or {}).items())
        params.update(secrets)
        devices.append({"id": rsc["id"], "agent": rsc["type"], "params": params, "secrets": sorted(secrets)})
    return devices


def unchanged(device, current):
    """Whether the cluster already runs this device with the same agent and parameters (then it was
    asked when it was configured, and a rerun need not ask again)."""
    return any(cur["id"] == device["id"] and cur["agent"] == device["agent"] and cur["params"] == device["params"]
               for cur in current)


def plugs(params):
    """{node: plug} a device fences, from pcmk_host_map ("node1:plug1;node2:plug2") or pcmk_host_list
    (the plug is the node's name). {} when neither is set (the device is asked for its list)."""
    mapping = {}
    host_map = params.get("pcmk_host_map", "")
    for entry in _MAP_ENTRY.split(host_map.strip()) if host_map.strip() else []:
        node, sep, plug = entry.partition(":")
        if not sep:
            node, sep, plug = entry.partition("=")
        if node and plug:
            mapping[node] = plug
    if not mapping:
        for node in _MAP_ENTRY.split(params.get("pcmk_host_list", "").strip()):
            if node:
                mapping[node] = node
    return mapping


def agent_stdin(params, plug):
    """The agent's input for the status of one plug: its own parameters, not Pacemaker's pcmk_*."""
    lines = ["%s=%s" % (name, value) for name, value in sorted(params.items()) if not name.startswith("pcmk_")]
    lines += ["action=status", "plug=%s" % plug]
    return "\n".join(lines) + "\n"


def secret_values(device):
    """The values of a device's secret parameters: named secret by the role, or by their names."""
    named = device.get("secrets") or []
    return [value for name, value in device["params"].items() if value and (name in named or is_secret(name))]


def masked(text, device):
    for value in sorted(secret_values(device), key=len, reverse=True):
        text = text.replace(value, "********")
    return text


def judge(device, node, plug, rc, out, err):
    """One device's answer for one node: {device, agent, node, plug, status, answer}; status is ON,
    OFF (the device sees the plug switched off: the wrong server, or the map is wrong) or failed."""
    answer = " ".join(line.strip() for line in ((out or "") + "\n" + (err or "")).splitlines() if line.strip())
    answer = masked(answer, device)[-400:]
    status = "ON" if rc == STATUS_ON else "OFF" if rc == STATUS_OFF else "failed"
    return {"device": device["id"], "agent": device["agent"], "node": node, "plug": plug, "status": status,
            "answer": answer}


def problem(result):
    """Why a device's answer fails the check, or None when the device sees its node ON."""
    if result["status"] == "ON":
        return None
    if result["status"] == "OFF":
        return ("fence device %s reports node %s (plug %s) as powered off although the node runs: the plug or "
                "address points at another machine" % (result["device"], result["node"], result["plug"]))
    return ("fence device %s cannot give the status of node %s (plug %s), so it could not fence it: %s"
            % (result["device"], result["node"], result["plug"], result["answer"] or "no answer"))


def checks_from(devices, local_node):
    """(device, node, plug) to ask from this node: every device's targets except this node itself
    (a device is kept off the node it fences; the peer asks for it)."""
    wanted = []
    for device in devices:
        for node, plug in sorted(plugs(device["params"]).items()):
            if node != local_node:
                wanted.append((device, node, plug))
    return wanted


def unfenceable_nodes(devices, started_ids, node_names):
    """Nodes that no started fence device can fence (devices: stonith_devices(); started_ids: ids of
    the devices crm_mon shows started). A device without a host map or list is counted for every node."""
    covered = set()
    for device in devices:
        if device["id"] not in started_ids:
            continue
        targets = plugs(device["params"])
        covered.update(targets if targets else node_names)
    return sorted(set(node_names) - covered)


def answer_lines(answers):
    """One line per device and node asked (fence_check's devices results), for the operator."""
    lines = []
    for answer in answers or []:
        status = answer.get("status") or "failed"
        line = "%s (%s): %s, plug %s: %s" % (
            answer.get("device"), answer.get("agent"), answer.get("node"), answer.get("plug") or "-", status)
        if status != "ON":
            said = (answer.get("answer") or "").strip().splitlines()
            line += " (%s)" % (said[-1] if said else "no answer")
        lines.append(line)
    return lines or ["no fence device configured"]


def reboot_request_errors(node, nodes, confirm, cluster_name, status, force=False):
    """Why fencing `node` once on request must not happen now ([] when it may): the node must be one
    of the pair's, the request confirmed with the cluster's name, the pair available (the peer can
    serve), and a node that runs groups is fenced only with force (its groups move: an outage)."""
    errors = []
    if node not in nodes:
        errors.append("reboot=%s is not a node of this pair (%s)" % (node, ", ".join(nodes)))
    if confirm != cluster_name:
        errors.append("fencing %s needs -e confirm=%s (the cluster's name)" % (node, cluster_name))
    if status.get("verdict") != "available":
        errors.append("the pair is %s, not available (%s): fence a node only when its peer can serve"
                      % (status.get("verdict"), "; ".join(status.get("reasons") or []) or "no reason given"))
    serving = sorted(gid for gid, group in (status.get("groups") or {}).items()
                     if group.get("kind") == "group" and node in (group.get("nodes") or []))
    if serving and not force:
        errors.append("%s runs %s: fencing it moves them to its peer, an outage like a failover; add -e force=true "
                      "to fence it anyway" % (node, ", ".join(serving)))
    return errors
