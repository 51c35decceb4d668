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
  - Gives one verdict, RV(verdict=available), RV(verdict=degraded) with RV(reasons) in plain words, or
    RV(verdict=down).
  - A resource whose start, stop, promote or demote is still running makes the verdict V(degraded)
    (C(crm_mon) already counts it as active); the pair is V(available) once every operation has finished.
  - Changes nothing. Works on either node; when the local cluster stack is stopped it says so in the
    verdict instead of failing.
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  drbd:
    description:
      - Whether to read DRBD status (V(auto) reads it when C(/proc/drbd) exists).
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
  idle:
    description:
      - Also count a transition still in flight as not settled (the controller, the DC, not in state C(S_IDLE)),
        and a cluster with no elected controller. Asks C(crmadmin) once more.
    type: bool
    default: false
    version_added: "0.4.0"
  pair:
    description: Also count a partition without quorum, or fewer than two nodes online, as not settled.
    type: bool
    default: false
    version_added: "0.4.0"
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
  description: V(available), V(degraded) or V(down).
  returned: always
  type: str
  sample: degraded
reasons:
  description: Why the verdict is not V(available), in plain words; empty when it is.
  returned: always
  type: list
  elements: str
  sample: ["node node2 is offline", "corosync link 1 to node2 is disconnected"]
settle_problems:
  description:
    - What keeps the cluster from having settled, in plain words; empty once every group named in
      O(settle_groups) runs whole on one node and no resource (fence devices and clones included) has an
      operation running and, as asked, no transition is in flight (O(idle)), both nodes are online in a quorate
      partition (O(pair)).
    - When the local stack does not answer, why, in the words of C(crm_mon).
  returned: always
  type: list
  elements: str
  sample: ["group services: 2 of 3 resources run", "resource nginx is starting on node1"]
stack_running:
  description: Whether Pacemaker answered on this node. When it did not, the cluster fields below are empty.
  returned: always
  type: bool
  sample: true
local_node:
  description: Name of the node the module ran on (C(crm_node --name), or the host name when the stack is stopped).
  returned: always
  type: str
  sample: node1
quorate:
  description: Whether this node's partition has quorum (V(false) when the stack is stopped).
  returned: always
  type: bool
  sample: true
dc:
  description: The designated controller node; V(null) when there is none or the stack is stopped.
  returned: always
  type: str
  sample: node2
pacemaker_version:
  description: The Pacemaker version the designated controller runs; V(null) when there is no designated controller.
  returned: always
  type: str
  sample: 3.0.0-d8340737c4
mixed_version:
  description: Whether the nodes run different Pacemaker versions (during a rolling upgrade).
  returned: always
  type: bool
  sample: false
nodes:
  description:
    - The cluster's nodes as Pacemaker sees them, keyed by node name; each value holds the fields below.
    - Empty when the stack is stopped on this node.
  returned: always
  type: dict
  sample: {"node1": {"id": "1", "online": true, "standby": false, "standby_onfail": false, "maintenance": false,
                     "pending": false, "unclean": false, "shutdown": false, "dc": false, "resources_running": 4}}
  contains:
    id:
      description: The node's corosync node id.
      type: str
    online:
      description: Whether the node is a member of the cluster.
      type: bool
    standby:
      description: Whether the node is in standby.
      type: bool
    standby_onfail:
      description: Whether the node went into standby because a resource failed there.
      type: bool
    maintenance:
      description: Whether the node is in maintenance.
      type: bool
    pending:
      description: Whether the node is still joining.
      type: bool
    unclean:
      description: Whether Pacemaker does not know the node's state (it needs fencing).
      type: bool
    shutdown:
      description: Whether the node is shutting down its stack.
      type: bool
    dc:
      description: Whether the node is the designated controller.
      type: bool
    resources_running:
      description: How many resources run on the node.
      type: int
links:
  description: Corosync (knet) links seen from this node; empty when C(corosync-cfgtool -s) does not answer.
  returned: always
  type: list
  elements: dict
  sample: [{"link": 0, "address": "10.213.10.11", "peers": {"node1": "localhost", "node2": "connected"}}]
  contains:
    link:
      description: The link number.
      type: int
    address:
      description: This node's address on the link.
      type: str
    peers:
      description:
        - The link's state per node, keyed by node name (the corosync node id when Pacemaker does not name it).
        - V(localhost) for this node, V(connected), V(disconnected), or what corosync printed.
      type: dict
arbitrator:
  description:
    - The arbitrator (corosync's quorum device, C(corosync-qdevice) talking to C(corosync-qnetd)) as this node's
      corosync sees it, from C(corosync-quorumtool -s).
    - While it is configured but casts no vote, RV(verdict) is V(degraded) with the reason.
  returned: always
  type: dict
  sample: {"configured": true, "voting": true, "votes": 1, "nodes": {"node1": {"alive": true, "voting": true}}}
  contains:
    configured:
      description: Whether corosync's configuration has a quorum device (V(false) also when corosync does not answer).
      type: bool
    voting:
      description: Whether the device's vote counts now.
      type: bool
    votes:
      description: The votes the device casts now.
      type: int
    nodes:
      description:
        - Per node name, whether its C(corosync-qdevice) runs (C(alive)) and whether the arbitrator votes for it (C(voting)).
        - Empty when no device is configured.
      type: dict
resources:
  description: Every resource, fence devices and the members of groups and clones included (a clone's instances each once).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "services-vip1", "agent": "ocf:heartbeat:IPaddr2", "role": "Started", "active": true, "failed": false,
            "managed": true, "target_role": null, "blocked": false, "nodes": ["node1"], "group": "services", "clone": null}]
  contains:
    id:
      description: The resource id.
      type: str
    agent:
      description: The resource agent, as C(class:provider:type) or C(class:type), for example V(stonith:fence_ipmilan).
      type: str
    role:
      description:
        - The role crm_mon shows, for example V(Started), V(Stopped), V(Promoted), V(Unpromoted).
        - V(Starting), V(Stopping), V(Promoting) or V(Demoting) while an operation runs.
      type: str
    active:
      description: Whether it runs (or is starting or stopping) anywhere.
      type: bool
    failed:
      description: Whether it has failed.
      type: bool
    managed:
      description: Whether the cluster manages it (V(false) while it is unmanaged or in maintenance).
      type: bool
    target_role:
      description: Its C(target-role) meta attribute, V(null) when not set.
      type: str
    blocked:
      description: Whether the cluster has given up on it (a failed stop without fencing).
      type: bool
    nodes:
      description: The nodes it runs on.
      type: list
      elements: str
    group:
      description: The group it belongs to, V(null) if none.
      type: str
    clone:
      description: The clone it belongs to, V(null) if none.
      type: str
groups:
  description:
    - Groups, clones and top-level primitives (fence devices left out), keyed by id; each value holds the fields below.
  returned: always
  type: dict
  sample: {"services": {"members": ["services-vip1", "services-nginx"], "nodes": ["node1"], "running": 2,
                        "wanted": 2, "kind": "group"}}
  contains:
    members:
      description: The resources in it, in start order (the primitive itself for a top-level primitive).
      type: list
      elements: str
    nodes:
      description: The nodes any of its members runs on, sorted.
      type: list
      elements: str
    running:
      description: How many of its members that should run are active.
      type: int
    wanted:
      description: How many of its members should run (those whose C(target-role) is not C(Stopped)).
      type: int
    kind:
      description: V(group), V(clone) or V(primitive).
      type: str
failures:
  description: Failed actions, as crm_mon lists them.
  returned: always
  type: list
  elements: dict
  sample: [{"operation": "services-nginx_monitor_10000", "node": "node1", "exit_reason": "", "status": "complete",
            "last_rc_change": "2026-12-03 06:10:00 Z"}]
  contains:
    operation:
      description: The operation key, C(resource_action_interval).
      type: str
    node:
      description: Where it failed.
      type: str
    exit_reason:
      description: The agent's exit reason, empty when it gave none.
      type: str
    status:
      description: How the operation ended as crm_mon gives it, for example V(complete) (it ran and returned an error) or V(Timed Out).
      type: str
    last_rc_change:
      description: When the result last changed, as crm_mon prints it.
      type: str
fail_counts:
  description: Non-zero fail counts per node and resource.
  returned: always
  type: list
  elements: dict
  sample: [{"node": "node1", "resource": "services-nginx", "fail_count": 1, "migration_threshold": "3"}]
  contains:
    node:
      description: The node.
      type: str
    resource:
      description: The resource id.
      type: str
    fail_count:
      description: The fail count; an integer, or the text crm_mon gave (V(INFINITY)).
      type: raw
    migration_threshold:
      description: The resource's migration threshold as crm_mon gives it, V(null) if it gives none.
      type: str
fence_devices:
  description: Fence devices (resources of class C(stonith)) with where they run.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "fence-node1", "agent": "stonith:fence_ipmilan", "active": true, "nodes": ["node2"]}]
  contains:
    id:
      description: The device's resource id.
      type: str
    agent:
      description: Its agent, for example V(stonith:fence_ipmilan).
      type: str
    active:
      description: Whether it is started.
      type: bool
    nodes:
      description: The nodes it runs on.
      type: list
      elements: str
fence_history:
  description: Recent fencing actions (C(crm_mon --fence-history=2)).
  returned: always
  type: list
  elements: dict
  sample: [{"action": "reboot", "target": "node2", "status": "success", "delegate": "node1", "origin": "node1",
            "completed": "2026-12-03 06:12:41Z"}]
  contains:
    action:
      description: What was asked, for example V(reboot), V(off), V(on).
      type: str
    target:
      description: The node fenced.
      type: str
    status:
      description: V(success), V(failed) or V(pending).
      type: str
    delegate:
      description: The node that ran the fence device.
      type: str
    origin:
      description: The node that asked for the fencing.
      type: str
    completed:
      description: When it completed (or, while pending, since when it is pending), as crm_mon prints it.
      type: str
bans:
  description:
    - Negative location constraints as Pacemaker applies them (rules evaluated).
    - A ban on a service resource (DRBD's fence-peer constraint, a C(crm_resource --ban)) makes the verdict
      V(degraded); fence devices kept off their own target are expected.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "location-fence-node1-avoids-node1", "resource": "fence-node1", "node": "node1",
            "weight": "-1000000", "promoted_only": false}]
  contains:
    id:
      description: The constraint id.
      type: str
    resource:
      description: The resource kept away.
      type: str
    node:
      description: The node it is kept off.
      type: str
    weight:
      description: The score, as crm_mon gives it.
      type: str
    promoted_only:
      description: Whether it only keeps the resource from being promoted there.
      type: bool
drbd:
  description:
    - DRBD volumes on this node, one entry per volume; empty without DRBD (no C(/proc/drbd)) or with O(drbd=off).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "r0", "minor": 0, "volume": 0, "role": "Primary", "peer_role": "Secondary", "disk": "UpToDate",
            "peer_disk": "UpToDate", "connection": "Connected", "replication": "Established", "sync_percent": null,
            "sync_finish": null, "out_of_sync_kib": 0, "split_brain": null}]
  contains:
    name:
      description: The resource name; V(null) on DRBD 8.4 when C(drbdadm) does not name the minor.
      type: str
    minor:
      description: The device minor (C(/dev/drbdN)).
      type: int
    volume:
      description: The volume number (always V(0) on DRBD 8.4).
      type: int
    role:
      description: This node's role, V(Primary) or V(Secondary).
      type: str
    peer_role:
      description: The peer's role, as this node sees it.
      type: str
    disk:
      description: This node's disk state, for example V(UpToDate), V(Inconsistent), V(Diskless).
      type: str
    peer_disk:
      description: The peer's disk state, as this node sees it.
      type: str
    connection:
      description: The link to the peer, for example V(Connected), V(Connecting), V(StandAlone).
      type: str
    replication:
      description:
        - V(Established) when in step, the resync state (V(SyncSource), V(SyncTarget), V(PausedSyncS)...) while
          one runs, V(null) when not connected.
      type: str
    sync_percent:
      description: Percent of the resync done while one runs, else V(null).
      type: float
    sync_finish:
      description: Estimated time left for the resync (DRBD 8.4 only), else V(null).
      type: str
    out_of_sync_kib:
      description:
        - What this node has that the peer lacks, in KiB (written since they parted, or still to resync);
          V(null) when DRBD does not say.
      type: int
    split_brain:
      description:
        - When DRBD found a split brain it did not resolve (left by the drbd role's split-brain handler),
          V(null) otherwise. The verdict is then V(degraded) and C(playbooks/splitbrain.yml) resolves it.
      type: str
maintenance:
  description: What is in maintenance, standby or unmanaged.
  returned: always
  type: dict
  sample: {"cluster": false, "nodes": [], "standby": ["node2"], "unmanaged": []}
  contains:
    cluster:
      description: Whether the cluster is in maintenance mode.
      type: bool
    nodes:
      description: Nodes in maintenance.
      type: list
      elements: str
    standby:
      description: Nodes in standby.
      type: list
      elements: str
    unmanaged:
      description: Resources the cluster does not manage.
      type: list
      elements: str
clock:
  description: This node's clock when it was read.
  returned: always
  type: dict
  contains:
    now:
      description: The time on this node, in seconds since the epoch (C(status.yml) compares the nodes').
      type: float
    synchronized:
      description: Whether the kernel calls the clock synchronised by a time service; V(null) when it cannot be asked.
      type: bool
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.node_state import kernel_clock_synchronized
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import run_with_node
from ansible_collections.twonode.ha.plugins.module_utils.status_read import read_status


def read(module, node):
    params = module.params
    # Read first: the status read takes longer on a busy node, and the nodes' reads start about together.
    clock = read_clock()
    result = dict(changed=False, **read_status(node, drbd=params["drbd"] == "auto", settle_groups=params["settle_groups"],
                                               idle=params["idle"], pair=params["pair"]))
    result["clock"] = clock
    return result


def read_clock():
    """This node's time when read (status.yml compares the nodes'), and whether the kernel calls it synchronised."""
    return {"now": round(time.time(), 3), "synchronized": kernel_clock_synchronized()}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            drbd=dict(type="str", choices=["auto", "off"], default="auto"),
            settle_groups=dict(type="list", elements="str", default=[]),
            idle=dict(type="bool", default=False),
            pair=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, read))


if __name__ == "__main__":
    main()
