#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cib
short_description: Declaratively apply Pacemaker configuration as one verified, atomic change
description:
  - Reads the live CIB with C(cibadmin), compares the objects you manage with it by meaning
    (ids of nested elements, attribute order, status, epochs and run-time meta attributes such as
    C(target-role) and C(is-managed) do not count), verifies the candidate configuration offline
    with C(crm_verify) and applies the difference as one patch with C(crm_diff) and
    C(cibadmin --patch).
  - Objects you do not list are left alone, unless named in O(absent) or O(purge=true) is set.
  - Secret resource parameters belong in O(resources[].secrets) (likewise for group members and clone
    primitives), which AnsibleModule hides before it logs the module's arguments to the node's journal.
    Parameters in O(resources[].params) whose names contain C(passw),
    C(passphrase), C(secret), C(token), C(community), C(api_key), C(private_key) or C(hexadecimal_kg),
    and any listed in O(resources[].secret_params), are masked in the diff and never returned, but only
    O(resources[].secrets) keeps them out of the journal. A removed resource is shown with every parameter value masked.
  - Uses Pacemaker's own command line tools only; no pcsd.
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  properties:
    description:
      - Cluster properties to set in the C(cib-bootstrap-options) property set, by name.
      - Properties not named here keep their values.
    type: dict
    default: {}
  rsc_defaults:
    description: Resource defaults (C(rsc-options)), for example C(resource-stickiness). Names not given keep their values.
    type: dict
    default: {}
  op_defaults:
    description: Operation defaults (C(op-options)), for example C(timeout). Names not given keep their values.
    type: dict
    default: {}
  resources:
    description:
      - Top-level primitive resources (including fence devices, class C(stonith)).
      - A resource whose meaning differs from the live one is replaced as a whole; run-time meta
        attributes (C(target-role), C(is-managed)) set by an operator are kept unless given here.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Resource id.
        type: str
        required: true
      class:
        description: Agent class, for example V(stonith), V(ocf), V(systemd).
        type: str
        required: true
      provider:
        description: Agent provider, required for class V(ocf).
        type: str
      type:
        description: Agent name, for example V(fence_ipmilan) or V(IPaddr2).
        type: str
        required: true
      params:
        description: Instance attributes given to the agent.
        type: dict
        default: {}
      secrets:
        description:
          - Instance attributes whose values are secret (passwords, keys). Set like O(resources[].params), but the
            values are hidden from the node's journal, the module's output and the diff.
        type: dict
        default: {}
      meta:
        description: Meta attributes.
        type: dict
        default: {}
      ops:
        description: Operations, each a dict with C(name), C(interval) and any other op attributes.
        type: list
        elements: dict
        default: []
      secret_params:
        description: More parameter names whose values are secret.
        type: list
        elements: str
        default: []
  groups:
    description:
      - Resource groups. Members start in order, stop in reverse, and run on one node together.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Group id.
        type: str
        required: true
      members:
        description: The group's primitives, in start order (same keys as O(resources)).
        type: list
        elements: dict
        required: true
        suboptions:
          id:
            description: Resource id.
            type: str
            required: true
          class:
            description: Agent class, for example V(stonith), V(ocf), V(systemd).
            type: str
            required: true
          provider:
            description: Agent provider, required for class V(ocf).
            type: str
          type:
            description: Agent name, for example V(fence_ipmilan) or V(IPaddr2).
            type: str
            required: true
          params:
            description: Instance attributes given to the agent.
            type: dict
            default: {}
          secrets:
            description:
              - Instance attributes whose values are secret (passwords, keys). Set like O(groups[].members[].params), but the
                values are hidden from the node's journal, the module's output and the diff.
            type: dict
            default: {}
          meta:
            description: Meta attributes.
            type: dict
            default: {}
          ops:
            description: Operations, each a dict with C(name), C(interval) and any other op attributes.
            type: list
            elements: dict
            default: []
          secret_params:
            description: More parameter names whose values are secret.
            type: list
            elements: str
            default: []
      meta:
        description: Meta attributes of the group.
        type: dict
        default: {}
  clones:
    description:
      - Clones of one primitive; with O(clones[].promotable=true) one instance is promoted (for example DRBD Primary).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Clone id.
        type: str
        required: true
      primitive:
        description: The cloned primitive (same keys as O(resources)).
        type: dict
        required: true
        suboptions:
          id:
            description: Resource id.
            type: str
            required: true
          class:
            description: Agent class, for example V(stonith), V(ocf), V(systemd).
            type: str
            required: true
          provider:
            description: Agent provider, required for class V(ocf).
            type: str
          type:
            description: Agent name, for example V(fence_ipmilan) or V(IPaddr2).
            type: str
            required: true
          params:
            description: Instance attributes given to the agent.
            type: dict
            default: {}
          secrets:
            description:
              - Instance attributes whose values are secret (passwords, keys). Set like O(clones[].primitive.params), but the
                values are hidden from the node's journal, the module's output and the diff.
            type: dict
            default: {}
          meta:
            description: Meta attributes.
            type: dict
            default: {}
          ops:
            description: Operations, each a dict with C(name), C(interval) and any other op attributes.
            type: list
            elements: dict
            default: []
          secret_params:
            description: More parameter names whose values are secret.
            type: list
            elements: str
            default: []
      promotable:
        description: Whether one instance is promoted.
        type: bool
        default: false
      meta:
        description: Meta attributes of the clone, for example C(clone-max), C(notify).
        type: dict
        default: {}
  constraints:
    description:
      - Constraints, each with C(kind) (V(location), V(colocation) or V(order)), C(id) and Pacemaker's
        attributes; C(_) may stand for C(-) in names (C(with_rsc), C(first_action)).
      - "location: C(rsc), C(node), C(score), optional C(role), C(resource-discovery)."
      - "colocation: C(rsc), C(with-rsc), C(score), optional C(rsc-role), C(with-rsc-role)."
      - "order: C(first), C(then), optional C(kind), C(score), C(first-action), C(then-action), C(symmetrical)."
    type: list
    elements: dict
    default: []
  alerts:
    description:
      - Pacemaker alerts, each replaced as a whole when it differs from the live one. Alerts not listed
        are left alone; name one in O(absent) to remove it.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Alert id.
        type: str
        required: true
      path:
        description: The alert agent, an executable on every node (run as C(hacluster)).
        type: str
        required: true
      meta:
        description: Meta attributes, for example C(timeout) and C(timestamp-format).
        type: dict
        default: {}
      select:
        description: The kinds of event the agent is called for; every kind when empty.
        type: list
        elements: str
        choices: [nodes, fencing, resources, attributes]
        default: []
      recipients:
        description: The recipients; the agent runs once per recipient, with its value in C(CRM_alert_recipient).
        type: list
        elements: dict
        default: []
        suboptions:
          id:
            description: Recipient id.
            type: str
            required: true
          value:
            description: What the agent is given as the recipient.
            type: str
            required: true
  absent:
    description:
      - Ids of resources, constraints or alerts to remove. Removing a resource removes the constraints that refer to it.
      - A resource named here that runs is stopped first (C(target-role=Stopped) in a change of its own,
        then the module waits until it has stopped on every node), then removed. Its service stops; naming
        it here is asking for that. The configuration without it is verified before anything is stopped.
    type: list
    elements: str
    default: []
  purge:
    description:
      - Remove every resource and constraint not listed in this call. Fence devices and the constraints
        on them are never purged.
      - A resource that runs and would be purged is refused unless O(force=true) (or it is named in
        O(absent)), so that purging by omission never stops a service unnoticed.
    type: bool
    default: false
  force:
    description:
      - Let O(purge) stop and remove resources that run.
    type: bool
    default: false
  stop_timeout:
    description: Seconds to wait for running resources that are to be removed to stop.
    type: int
    default: 120
  verify:
    description:
      - Run C(crm_verify) on the candidate configuration and refuse to apply it if it reports errors.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Computes and verifies the plan, changes nothing.
  diff_mode:
    support: full
    description: Shows the changed objects before and after, secrets masked.
notes:
  - Run it on one cluster node (C(run_once)); the CIB is shared by the cluster.
requirements:
  - pacemaker-cli-utils (cibadmin, crm_diff, crm_verify) on the node
"""

EXAMPLES = r"""
- name: Fencing on, one IPMI fence device per node
  twonode.ha.cib:
    properties:
      stonith-enabled: true
    resources:
      - id: fence-alpha
        class: stonith
        type: fence_ipmilan
        params:
          ip: 192.0.2.21
          username: admin
          lanplus: 1
          pcmk_host_list: alpha
        secrets:
          password: "{{ vault_ipmi_password }}"
        ops:
          - name: monitor
            interval: 60s
    constraints:
      - kind: location
        id: location-fence-alpha-avoids-alpha
        rsc: fence-alpha
        node: alpha
        score: -INFINITY
  run_once: true
"""

RETURN = r"""
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["set property stonith-enabled=true", "create primitive fence-alpha"]
stopped:
  description: Resources that ran and were (or in check mode would be) stopped before their removal.
  returned: always
  type: list
  elements: str
  sample: ["shop"]
verify_output:
  description: What C(crm_verify) said about the candidate, when it said anything.
  returned: when changes were planned
  type: str
  sample: ""
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.cib_apply import ApplyError, verify_and_apply
from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import (
    PlanError,
    plan,
    primitive_argument_spec,
    secret_values,
    stopped_first,
    without_history_of,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import run_with_node


def active_resources(node):
    """Ids of the resources that run (or are starting or stopping) on any node."""
    return set(r["id"] for r in node.status()["resources"] if r["active"])


def read_live(node):
    return node.cib(failure="cibadmin --query failed (rc={rc}): {said}")


def stop_before_removal(module, node, live, result):
    """Stop the resources this plan removes that run; return their ids (stopped, or to stop in check mode)."""
    active = active_resources(node) if result["removed"] else set()
    running = [r for r in result["removed"] if set(r["ids"]) & active]
    if not running:
        return []
    named = set(module.params["absent"])
    swept = [r["id"] for r in running if r["purged"] and r["id"] not in named]
    if swept and not module.params["force"]:
        module.fail_json(msg="purge would stop and remove %s, which run%s now: their service would stop. "
                             "Name them in absent, or set force. Nothing was changed."
                             % (", ".join(swept), "s" if len(swept) == 1 else ""), changes=result["changes"])
    ids = [r["id"] for r in running]
    inside = set(i for r in running for i in r["ids"])
    # A real configuration error is refused before anything stops.
    try:
        verify_and_apply(node, live, without_history_of(result["candidate"], inside), apply=False)
    except ApplyError as exc:
        module.fail_json(msg=exc.args[0], verify_output=exc.args[1], changes=result["changes"])
    if module.check_mode:
        return ids
    try:
        verify_and_apply(node, live, stopped_first(live, ids))
    except ApplyError as exc:
        module.fail_json(msg="could not stop %s before removing it: %s" % (", ".join(ids), exc.args[0]),
                         verify_output=exc.args[1])
    deadline = time.time() + module.params["stop_timeout"]
    left = inside & active_resources(node)
    while left and time.time() < deadline:
        time.sleep(1)
        left = inside & active_resources(node)
    if left:
        still = ", ".join(sorted(left))
        module.fail_json(msg="%s still run%s %d s after target-role=Stopped; they stay configured and "
                             "stopped, nothing was removed" % (still, "s" if len(left) == 1 else "", module.params["stop_timeout"]))
    return ids


def apply(module, node, desired):
    """Plan, stop what is removed and runs, apply; exits the module."""
    live = read_live(node)
    try:
        result = plan(live, desired)
    except PlanError as exc:
        module.fail_json(msg=str(exc))

    if not result["changed"]:
        module.exit_json(changed=False, changes=[], stopped=[])

    stopped = stop_before_removal(module, node, live, result)
    changes = ["stop %s (it runs; removed next)" % rsc_id for rsc_id in stopped] + result["changes"]
    if stopped and not module.check_mode:
        # Planned again on the CIB as it is now: the stop changed it.
        live = read_live(node)
        try:
            result = plan(live, desired)
        except PlanError as exc:
            module.fail_json(msg=str(exc))

    try:
        verify_output = verify_and_apply(node, live, result["candidate"],
                                         verify=module.params["verify"], apply=not module.check_mode)
    except ApplyError as exc:
        module.fail_json(msg=exc.args[0], verify_output=exc.args[1], changes=changes)

    module.exit_json(
        changed=True,
        changes=changes,
        stopped=stopped,
        verify_output=verify_output,
        diff=dict(before_header="live CIB", after_header="planned CIB",
                  before=result["before"], after=result["after"]),
    )


def main():
    primitive_spec = primitive_argument_spec()
    module = AnsibleModule(
        argument_spec=dict(
            properties=dict(type="dict", default={}),
            rsc_defaults=dict(type="dict", default={}),
            op_defaults=dict(type="dict", default={}),
            resources=dict(type="list", elements="dict", default=[], options=primitive_spec),
            groups=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                members=dict(type="list", elements="dict", required=True, options=primitive_spec),
                meta=dict(type="dict", default={}),
            )),
            clones=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                primitive=dict(type="dict", required=True, options=primitive_spec),
                promotable=dict(type="bool", default=False),
                meta=dict(type="dict", default={}),
            )),
            constraints=dict(type="list", elements="dict", default=[]),
            alerts=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                path=dict(type="str", required=True),
                meta=dict(type="dict", default={}),
                select=dict(type="list", elements="str", default=[],
                            choices=["nodes", "fencing", "resources", "attributes"]),
                recipients=dict(type="list", elements="dict", default=[], options=dict(
                    id=dict(type="str", required=True),
                    value=dict(type="str", required=True),
                )),
            )),
            absent=dict(type="list", elements="str", default=[]),
            purge=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            stop_timeout=dict(type="int", default=120),
            verify=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    desired = dict((key, module.params[key]) for key in (
        "properties", "rsc_defaults", "op_defaults", "resources", "groups", "clones", "constraints",
        "alerts", "absent", "purge"))
    # Hidden from everything this module returns, including the echoed arguments.
    module.no_log_values.update(secret_values(desired))

    for tool in ("cibadmin", "crm_diff", "crm_verify"):
        if not module.get_bin_path(tool):
            module.fail_json(msg="%s not found: install pacemaker-cli-utils on this node" % tool)

    run_with_node(module, lambda module, node: apply(module, node, desired))


if __name__ == "__main__":
    main()
