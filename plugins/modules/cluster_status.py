#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_status
short_description: Live status of a two-node cluster with one verdict
description:
  - Reads Pacemaker (C(crm_mon)), corosync (C(corosync-cfgtool)) and DRBD (C(/proc/drbd) for DRBD 8.4,
    C(drbdsetup status --json) for DRBD 9) on the node it runs on and returns structured data on nodes,
    quorum, corosync links, resources and groups with where they run, failed actions and fail counts,
    fence devices and fencing history, DRBD volumes, maintenance state.
  - Gives one verdict, C(available), C(degraded) with reasons in plain words, or C(down).
  - A resource whose start, stop, promote or demote is still running makes the verdict C(degraded)
    (C(crm_mon) already counts it as active); the pair is C(available) once every operation has finished.
  - Changes nothing. Works on either node; when the local cluster stack is stopped it says so in the
    verdict instead of failing.
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  drbd:
    description:
      - Whether to read DRBD status (C(auto) reads it when C(/proc/drbd) exists).
    type: str
    choices: [auto, "off"]
    default: auto
  settle_groups:
    description:
      - Groups (or top-level resources) whose settling the return value RV(settle_problems) reports, for a wait with C(until).
      - Settled means each runs whole on one node and no resource has a start, stop, promote or demote running.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reads only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
requirements:
  - pacemaker-cli-utils and corosync on the node
"""

EXAMPLES = r"""
- name: Read the pair's status
  twonode.ha.cluster_status:
  register: status
  run_once: true

- name: Alert when the pair is not fully redundant
  ansible.builtin.debug:
    msg: "{{ status.verdict }}: {{ status.reasons | join('; ') }}"
  when: status.verdict != 'available'

- name: Wait until the group services runs whole on one node and nothing is starting or stopping
  twonode.ha.cluster_status:
    drbd: "off"
    settle_groups: [services]
  register: settled
  until: settled.settle_problems | length == 0
  retries: 24
  delay: 5
  run_once: true
"""

RETURN = r"""
verdict:
  description: C(available), C(degraded) or C(down).
  returned: always
  type: str
  sample: degraded
reasons:
  description: Why the verdict is not C(available), in plain words.
  returned: always
  type: list
  elements: str
  sample: ["node node2 is offline", "corosync link 1 to node2 is disconnected"]
settle_problems:
  description:
    - What keeps the cluster from having settled, in plain words; empty once every group named in
      I(settle_groups) runs whole on one node and no resource (fence devices and clones included) has an
      operation running.
    - When the local stack does not answer, why, in the words of C(crm_mon).
  returned: always
  type: list
  elements: str
  sample: ["group services: 2 of 3 resources run", "resource nginx is starting on node1"]
stack_running:
  description: Whether Pacemaker answered on this node.
  returned: always
  type: bool
local_node:
  description: Name of the node the module ran on.
  returned: always
  type: str
quorate:
  description: Whether this node's partition has quorum.
  returned: always
  type: bool
dc:
  description: The designated controller node.
  returned: always
  type: str
pacemaker_version:
  description: The Pacemaker version the designated controller runs (C(null) when the stack is stopped).
  returned: always
  type: str
  sample: 3.0.0-d8340737c4
mixed_version:
  description: Whether the nodes run different Pacemaker versions (during a rolling upgrade).
  returned: always
  type: bool
nodes:
  description: Nodes by name, with online, standby, maintenance, dc, unclean flags.
  returned: always
  type: dict
links:
  description: Corosync links seen from this node; each with link number, address and the state per peer node.
  returned: always
  type: list
  elements: dict
resources:
  description: Every resource with agent, role, whether active and where it runs, its group or clone.
  returned: always
  type: list
  elements: dict
groups:
  description: Groups (and top-level resources) by id, with members, the nodes they run on, and counts.
  returned: always
  type: dict
failures:
  description: Failed actions.
  returned: always
  type: list
  elements: dict
fail_counts:
  description: Non-zero fail counts per node and resource.
  returned: always
  type: list
  elements: dict
fence_devices:
  description: Fence devices with where they run.
  returned: always
  type: list
  elements: dict
fence_history:
  description: Recent fencing actions.
  returned: always
  type: list
  elements: dict
bans:
  description:
    - Negative location constraints as Pacemaker applies them, each with id, resource, node, weight and
      promoted_only. A ban on a service resource (DRBD's fence-peer constraint, a C(crm_resource --ban))
      makes the verdict C(degraded); fence devices kept off their own target are expected.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "location-fence-node1-avoids-node1", "resource": "fence-node1", "node": "node1",
            "weight": "-1000000", "promoted_only": false}]
drbd:
  description:
    - DRBD volumes with role, disk and peer disk state, connection, replication and sync percent.
    - out_of_sync_kib is what this node has that the peer lacks (written since they parted, or still to resync).
    - split_brain is when DRBD found a split brain it did not resolve (left by the role's split-brain handler),
      null otherwise; the verdict is then C(degraded) and C(playbooks/splitbrain.yml) resolves it.
  returned: always
  type: list
  elements: dict
maintenance:
  description: Cluster maintenance mode, nodes in maintenance or standby, unmanaged resources.
  returned: always
  type: dict
"""

import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import stonith_resources
from ansible_collections.twonode.ha.plugins.module_utils.fence_check import stonith_devices, unfenceable_nodes
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of, settle_problems, verdict
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, NodeError, run_with_node

# What the status says when the local stack does not answer.
NO_STATUS = {"nodes": {}, "resources": [], "failures": [], "fail_counts": [], "fence_history": [],
             "quorate": False, "dc": None, "dc_version": None, "mixed_version": False,
             "maintenance_mode": False, "bans": []}


def unfenceable(node, status):
    """Nodes no started fence device can fence; None when the configured devices cannot be read."""
    try:
        devices = stonith_devices(node.cib("resources"))
    except (NodeError, ValueError):
        return None
    started = [d["id"] for d in stonith_resources(status) if d["active"]]
    return unfenceable_nodes(devices, started, list(status["nodes"]))


def read(module, node):
    """Everything the node can tell; the parts whose tool does not answer are left out."""
    status, stack_problem = None, None
    try:
        status = node.status(fence_history=True)
    except CommandFailed as exc:
        stack_problem = str(exc)
    try:
        links = node.links()
    except NodeError:
        links = None
    drbd = node.drbd() if module.params["drbd"] == "auto" else []
    local_node = (node.name() if status is not None else None) or socket.gethostname()
    names_by_id = dict((int(n["id"]), name) for name, n in (status or {}).get("nodes", {}).items()
                       if str(n.get("id", "")).isdigit())
    fence_gaps = unfenceable(node, status) if status is not None else None
    result_verdict, reasons = verdict(status, links, drbd, names_by_id, fence_gaps)
    # A wait on these groups goes on while this is not empty; a stopped stack is one more reason to wait.
    unsettled = settle_problems(status, module.params["settle_groups"]) if status is not None else [stack_problem]

    stack_running = status is not None
    status = status or NO_STATUS
    groups = dict((key, {"members": g["members"], "nodes": sorted(g["nodes"]), "running": g["running"],
                         "wanted": g["wanted"], "kind": g["kind"]}) for key, g in groups_of(status).items())
    link_list = []
    for link in (links or {}).get("links", []):
        link_list.append({"link": link["link"], "address": link["addr"],
                          "peers": dict((names_by_id.get(nid, str(nid)), state) for nid, state in link["peers"].items())})
    return dict(
        changed=False,
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
        resources=status["resources"],
        groups=groups,
        failures=status["failures"],
        fail_counts=status["fail_counts"],
        fence_devices=[{"id": d["id"], "agent": d["agent"], "active": d["active"], "nodes": d["nodes"]}
                       for d in stonith_resources(status)],
        fence_history=status["fence_history"],
        bans=status["bans"],
        drbd=drbd,
        maintenance={
            "cluster": status["maintenance_mode"],
            "nodes": sorted(n for n, v in status["nodes"].items() if v["maintenance"]),
            "standby": sorted(n for n, v in status["nodes"].items() if v["standby"]),
            "unmanaged": sorted(r["id"] for r in status["resources"] if not r["managed"]),
        },
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            drbd=dict(type="str", choices=["auto", "off"], default="auto"),
            settle_groups=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, read))


if __name__ == "__main__":
    main()
