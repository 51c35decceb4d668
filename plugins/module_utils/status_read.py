# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's status as one node sees it, in the shape cluster_status returns.

cluster_status returns it; node_state returns it too (its status option), so that a role's one read
at its start also tells whether its waits have anything to wait for."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket

from ansible_collections.twonode.ha.plugins.module_utils.corosync import arbitrator_state
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import stonith_resources
from ansible_collections.twonode.ha.plugins.module_utils.fence_check import stonith_devices, unfenceable_nodes
from ansible_collections.twonode.ha.plugins.module_utils.health import (
    groups_of,
    pair_problems,
    settle_problems,
    verdict,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, NodeError

# What the status says when the local stack does not answer.
NO_STATUS = {"nodes": {}, "resources": [], "failures": [], "fail_counts": [], "fence_history": [],
             "quorate": False, "dc": None, "dc_version": None, "mixed_version": False,
             "maintenance_mode": False, "bans": []}

# crmadmin --quiet --status prints the controller's state alone on a line (on stdout on Pacemaker 3.0,
# with a sentence on stderr); both streams are searched, as the shell wait it replaces read both.
CONTROLLER_STATE = re.compile(r"^S_[A-Z_]+$", re.MULTILINE)


def unfenceable(node, status):
    """Nodes no started fence device can fence; None when the configured devices cannot be read."""
    try:
        devices = stonith_devices(node.cib("resources"))
    except (NodeError, ValueError):
        return None
    started = [d["id"] for d in stonith_resources(status) if d["active"]]
    return unfenceable_nodes(devices, started, list(status["nodes"]))


def transition_problem(node, dc):
    """Why the cluster is not idle: a transition in flight, or no controller to ask; '' when idle."""
    if not dc:
        return "the cluster has no elected controller (DC) yet"
    rc, out, err = node.run(["crmadmin", "--quiet", "--status", dc])
    found = CONTROLLER_STATE.findall(out + "\n" + err)
    if rc != 0 or not found:
        return "the controller on %s does not say its state (crmadmin rc=%d)" % (dc, rc)
    if found[-1] != "S_IDLE":
        return "a transition has not finished (the controller on %s is in state %s, not S_IDLE)" % (dc, found[-1])
    return ""


def stack_not_installed():
    """The status of a node without Pacemaker (before the packages go on): a stack that does not run."""
    return describe(None, None, [], socket.gethostname(), None, ["Pacemaker is not installed on this node"])


def read_status(node, drbd=True, settle_groups=(), idle=False, pair=False):
    """Everything the node can tell; the parts whose tool does not answer are left out.

    settle_problems lists what keeps settle_groups from running whole on one node, a resource with an
    operation in flight and, as asked, a transition in flight (idle), a node offline or no quorum (pair):
    the roles' waits go on while it is not empty."""
    status, stack_problem = None, None
    try:
        status = node.status(fence_history=True)
    except CommandFailed as exc:
        stack_problem = str(exc)
    try:
        links = node.links()
    except NodeError:
        links = None
    try:
        quorum = node.quorum()
    except NodeError:
        quorum = None
    drbd_volumes = node.drbd() if drbd else []
    local_node = (node.name() if status is not None else None) or socket.gethostname()
    fence_gaps = unfenceable(node, status) if status is not None else None
    # A stopped stack is one more reason to wait.
    unsettled = [stack_problem]
    if status is not None:
        unsettled = pair_problems(status) if pair else []
        unsettled += settle_problems(status, settle_groups)
        if idle:
            unsettled += [p for p in [transition_problem(node, status["dc"])] if p]
    return describe(status, links, drbd_volumes, local_node, fence_gaps, unsettled, quorum)


def describe(status, links, drbd_volumes, local_node, fence_gaps, unsettled, quorum=None):
    """cluster_status's return values from what the node's tools said (status None: the stack does not answer;
    quorum None: corosync-quorumtool did not answer)."""
    names_by_id = dict((int(n["id"]), name) for name, n in (status or {}).get("nodes", {}).items()
                       if str(n.get("id", "")).isdigit())
    arbitrator = arbitrator_state(quorum)
    result_verdict, reasons = verdict(status, links, drbd_volumes, names_by_id, fence_gaps, arbitrator)
    stack_running = status is not None
    status = status or NO_STATUS
    groups = dict((key, {"members": g["members"], "nodes": sorted(g["nodes"]), "running": g["running"],
                         "wanted": g["wanted"], "kind": g["kind"]}) for key, g in groups_of(status).items())
    link_list = []
    for link in (links or {}).get("links", []):
        link_list.append({"link": link["link"], "address": link["addr"],
                          "peers": dict((names_by_id.get(nid, str(nid)), state) for nid, state in link["peers"].items())})
    return dict(
        verdict=result_verdict,
        reasons=reasons,
        settle_problems=unsettled,
        stack_running=stack_running,
        local_node=local_node,
        quorate=status["quorate"],
        dc=status["dc"],
        pacemaker_version=status["dc_version"],
        mixed_version=status["mixed_version"],
        nodes=status["nodes"],
        links=link_list,
        arbitrator=arbitrator,
        resources=status["resources"],
        groups=groups,
        failures=status["failures"],
        fail_counts=status["fail_counts"],
        fence_devices=[{"id": d["id"], "agent": d["agent"], "active": d["active"], "nodes": d["nodes"]}
                       for d in stonith_resources(status)],
        fence_history=status["fence_history"],
        bans=status["bans"],
        drbd=drbd_volumes,
        maintenance={
            "cluster": status["maintenance_mode"],
            "nodes": sorted(n for n, v in status["nodes"].items() if v["maintenance"]),
            "standby": sorted(n for n, v in status["nodes"].items() if v["standby"]),
            "unmanaged": sorted(r["id"] for r in status["resources"] if not r["managed"]),
        },
    )
