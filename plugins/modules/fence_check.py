#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fence_check
short_description: Ask each fence device for the power status of the node it fences
version_added: "0.2.0"
description:
  - For each fence device it is given (the primitives the cluster role is about to configure) and each node
    the device fences other than the node this runs on, runs the device's agent with the status action for
    that node's plug, with the device's parameters on standard input as Pacemaker's fencer passes them.
    It runs before the devices are configured, so a device that cannot fence changes nothing.
  - Fails unless every device answers that its node is on. A device's monitor passing is not enough - most
    agents' monitor only logs in, so a wrong C(pcmk_host_map) plug or the BMC of another server would
    only show when the node has to be fenced.
  - Changes nothing. Secret parameters never appear in the output or the node's journal.
author:
  - twonode.ha maintainers (@twonode)
options:
  node:
    description: This node's name in the cluster (a device is not asked about the node it runs on).
    type: str
    required: true
  devices:
    description:
      - The fence devices, as the M(twonode.ha.cib) module takes primitives (O(devices[].id), O(devices[].class),
        O(devices[].type), O(devices[].params), O(devices[].secrets)); O(devices[].secrets) is never logged.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: Resource id.
        type: str
        required: true
      class:
        description: Agent class; only V(stonith) devices are asked, others are ignored.
        type: str
        required: true
      provider:
        description: Agent provider (not used by fence devices).
        type: str
      type:
        description: Fence agent name, for example V(fence_ipmilan).
        type: str
        required: true
      params:
        description: Instance attributes given to the agent, including C(pcmk_host_map) or C(pcmk_host_list).
        type: dict
        default: {}
      secrets:
        description: Instance attributes whose values are secret (passwords, keys); never logged.
        type: dict
        default: {}
      meta:
        description: Meta attributes (not passed to the agent).
        type: dict
        default: {}
      ops:
        description: Operations (not used here).
        type: list
        elements: dict
        default: []
      secret_params:
        description: More parameter names whose values are secret.
        type: list
        elements: str
        default: []
  only_changed:
    description: Skip a device the cluster already runs with the same agent and parameters.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each agent's answer.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    description: It only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: It changes nothing, so there is no diff.
notes:
  - Run it on both nodes; each asks about its peer (a device is kept off the node it fences, so the peer is
    where Pacemaker would run it).
"""

EXAMPLES = r"""
- name: Ask each fence device for the status of the node it fences
  twonode.ha.fence_check:
    node: alpha
    devices:
      - id: fence-beta
        class: stonith
        type: fence_ipmilan
        params: {ip: 192.0.2.22, username: admin, lanplus: 1, pcmk_host_list: beta}
        secrets: {password: "{{ vault_beta_bmc_password }}"}
    timeout: 60
"""

RETURN = r"""
devices:
  description: One entry per device and node asked.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The fence device's resource id.
      type: str
    agent:
      description: The fence agent.
      type: str
    node:
      description: The node asked about.
      type: str
    plug:
      description: The plug (port, VM or container name) the node maps to on that device.
      type: str
    status:
      description: V(ON), V(OFF) or V(failed).
      type: str
    answer:
      description: What the agent printed (secret parameter values masked).
      type: str
  sample: [{"device": "fence-node2", "agent": "fence_docker", "node": "node2", "plug": "twonode-node2",
            "status": "ON", "answer": "Status: ON"}]
unchanged:
  description: Devices not asked because the cluster already runs them as given.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import primitive_argument_spec
from ansible_collections.twonode.ha.plugins.module_utils.fence_check import (
    agent_stdin,
    checks_from,
    desired_devices,
    judge,
    problem,
    secret_values,
    stonith_devices,
    unchanged,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import Node, NodeError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node=dict(type="str", required=True),
            devices=dict(type="list", elements="dict", required=True, options=primitive_argument_spec()),
            only_changed=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    node = Node(module.run_command)
    devices = desired_devices(module.params["devices"])
    # Without the running devices every device is asked (the cluster may not run yet).
    try:
        current = stonith_devices(node.cib("resources"))
    except (NodeError, ValueError):
        current = []
    for device in devices + current:
        module.no_log_values.update(secret_values(device))
    skipped = [d["id"] for d in devices if module.params["only_changed"] and unchanged(d, current)]

    results = []
    for device, target, plug in checks_from([d for d in devices if d["id"] not in skipped], module.params["node"]):
        agent = module.get_bin_path(device["agent"], opt_dirs=["/usr/sbin"])
        if agent is None:
            results.append(judge(device, target, plug, 1, "", "fence agent %s is not installed" % device["agent"]))
            continue
        rc, out, err = node.run(["timeout", str(module.params["timeout"]), agent],
                                data=agent_stdin(device["params"], plug), binary_data=True)
        results.append(judge(device, target, plug, rc, out, err))

    problems = [p for p in (problem(r) for r in results) if p]
    if problems:
        module.fail_json(msg="; ".join(problems), devices=results, unchanged=skipped)
    module.exit_json(changed=False, devices=results, unchanged=skipped)


if __name__ == "__main__":
    main()
