#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: failover
short_description: Controlled switchover of resource groups to the peer or a named node
description:
  - Moves one group, several, or all of them to the other node (or the node you name) and waits until
    every member runs there, then removes the temporary location constraint the move needed, so no
    lasting preference is left behind.
  - Before acting it checks that the target can take the groups (online, not in standby or maintenance,
    no fail count that bans a member, DRBD UpToDate on both nodes) and refuses with the reasons otherwise.
  - A group already on the target is left alone (idempotent).
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  group:
    description: Group ids to move, or V(all) for every group (fence devices and clones are never moved).
    type: list
    elements: str
    required: true
  to:
    description: Target node. By default the other node of the pair.
    type: str
  timeout:
    description: Seconds to wait for the groups to run on the target before giving up.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    description: Checks and reports what would move where; moves nothing.
  diff_mode:
    support: none
    description: The result lists what moved from where to where.
requirements:
  - pacemaker-cli-utils (crm_mon, crm_resource) on the node
"""

EXAMPLES = r"""
- name: Move the web group to the other node
  twonode.ha.failover:
    group: [web]
  run_once: true

- name: Empty node1 before a kernel update
  twonode.ha.failover:
    group: [all]
    to: node2
    timeout: 300
  run_once: true
"""

RETURN = r"""
moved:
  description: Groups moved (or, in check mode, to be moved).
  returned: always
  type: list
  elements: dict
  contains:
    group:
      description: The group id.
      type: str
    from:
      description: The node the group ran on before the move.
      type: str
    to:
      description: The node it runs on now (or would, in check mode).
      type: str
    seconds:
      description: Seconds from the move request until the group ran whole on its target; V(null) in check mode.
      type: float
  sample: [{"group": "web", "from": "node1", "to": "node2", "seconds": 6.2}]
unchanged:
  description: Groups already on their target.
  returned: always
  type: list
  elements: str
  sample: ["mail"]
elapsed:
  description: Seconds from the move request until every group ran on its target, constraints cleared.
  returned: always
  type: float
  sample: 6.4
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.failover_plan import (
    FailoverRefused,
    group_arrived,
    movable_groups,
    move_constraints_left,
    plan_failover,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, run_with_node


def clear(node, group_id):
    node.must(["crm_resource", "--resource", group_id, "--clear"],
              "could not remove the move constraint of %s: {said}" % group_id)


def leftover_constraints(node, group_ids):
    constraints = node.cib_tree("constraints", "the groups moved, but the constraints could not be read to check "
                                               "that the move's are gone: {said}")
    return move_constraints_left(constraints, group_ids)


def move(module, node):
    """Check, move, wait, clear; exits the module."""
    status = node.status()
    try:
        plan = plan_failover(status, module.params["group"], module.params["to"], node.drbd())
    except FailoverRefused as exc:
        module.fail_json(msg="refusing to move: %s. Nothing was changed." % exc)
    moves = [p for p in plan if p["move"]]
    unchanged = [p["group"] for p in plan if not p["move"]]
    if not moves or module.check_mode:
        module.exit_json(changed=bool(moves), unchanged=unchanged, elapsed=0.0,
                         moved=[dict(group=p["group"], to=p["to"], seconds=None, **{"from": p["from"]}) for p in moves])

    start = time.time()
    # The lifetime keeps a forgotten constraint from pinning the group if this run dies midway.
    lifetime = "PT%dS" % (module.params["timeout"] + 300)
    for step in moves:
        try:
            node.must(["crm_resource", "--resource", step["group"], "--move", "--node", step["to"],
                       "--lifetime", lifetime], "crm_resource could not move %s: {said}" % step["group"])
        except CommandFailed:
            for done in moves:
                clear(node, done["group"])
            raise
    seconds = {}
    deadline = start + module.params["timeout"]
    while len(seconds) < len(moves) and time.time() < deadline:
        status = node.status()
        for step in moves:
            if step["group"] not in seconds and group_arrived(status, step["group"], step["to"]):
                seconds[step["group"]] = round(time.time() - start, 1)
        time.sleep(0.5)
    for step in moves:
        clear(node, step["group"])
    late = [m["group"] for m in moves if m["group"] not in seconds]
    if late:
        module.fail_json(msg="%s did not run on the target within %d s; the move constraints were removed, "
                             "check the cluster (twonode.ha.cluster_status)" % (", ".join(late), module.params["timeout"]))
    left = leftover_constraints(node, [m["group"] for m in moves])
    if left:
        module.fail_json(msg="move constraints remain for %s" % ", ".join(left))
    groups = movable_groups(node.status())
    gone = [m["group"] for m in moves if m["group"] not in groups]
    if gone:
        module.fail_json(msg="%s no longer in the cluster's status after the move" % ", ".join(gone))
    strayed = [m["group"] for m in moves if groups[m["group"]]["nodes"] != set([m["to"]])]
    if strayed:
        module.fail_json(msg="%s left the target once the move constraint was removed (is resource-stickiness 0?)"
                         % ", ".join(strayed))
    module.exit_json(changed=True, unchanged=unchanged, elapsed=round(time.time() - start, 1),
                     moved=[dict(group=m["group"], to=m["to"], seconds=seconds[m["group"]], **{"from": m["from"]})
                            for m in moves])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            group=dict(type="list", elements="str", required=True),
            to=dict(type="str"),
            timeout=dict(type="int", default=120),
        ),
        supports_check_mode=True,
    )
    run_with_node(module, move)


if __name__ == "__main__":
    main()
