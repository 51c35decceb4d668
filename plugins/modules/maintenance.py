#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: maintenance
short_description: Maintenance mode for the cluster, a node (standby) or a resource (unmanaged), with an optional expiry
description:
  - O(scope=cluster) turns Pacemaker's maintenance mode on or off; the cluster then neither starts, stops
    nor recovers resources.
  - O(scope=node) puts a node in standby; its groups move to the other node first, and the module waits
    until they run there. Standby is refused, with the reason, when the other node cannot take the groups
    (offline, in standby or maintenance, banned, failed there, or DRBD not UpToDate on both nodes), because the
    groups would stop. O(force=true) accepts that outage.
  - O(scope=resource) unmanages a resource or group; the cluster leaves it as it is.
  - With O(expiry) or O(ends), the setting is a Pacemaker rule with a date expression, so the cluster
    leaves maintenance by itself at that time, even if the control node is gone.
  - Changes go through C(crm_verify) and one C(cibadmin --patch).
version_added: "0.1.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  scope:
    description: What to put in maintenance.
    type: str
    choices: [cluster, node, resource]
    required: true
  name:
    description: The node (O(scope=node)) or the resource or group id (O(scope=resource)).
    type: str
  state:
    description: Whether maintenance is on or off.
    type: str
    choices: ["on", "off"]
    required: true
  expiry:
    description:
      - How long maintenance lasts from now, for example V(30m), V(2h), V(90s). Each run re-arms it.
    type: str
  ends:
    description:
      - When maintenance ends, as a UTC or offset time like V(2026-11-22T18:00:00Z). Idempotent.
    type: str
  timeout:
    description: Seconds to wait for a node's resources to leave it (O(scope=node), O(state=on)).
    type: int
    default: 120
  force:
    description:
      - Put the node in standby even when the other node cannot take its groups, so that they stop.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports what would change; changes nothing.
  diff_mode:
    support: full
    description: Shows the maintenance state before and after.
requirements:
  - pacemaker-cli-utils (cibadmin, crm_diff, crm_verify, crm_mon) on the node
"""

EXAMPLES = r"""
- name: Maintenance mode for an hour while the database is upgraded by hand
  twonode.ha.maintenance:
    scope: cluster
    state: "on"
    expiry: 1h
  run_once: true

- name: Empty node1 for a kernel update
  twonode.ha.maintenance:
    scope: node
    name: node1
    state: "on"
  run_once: true

- name: Leave the mail server alone until tonight
  twonode.ha.maintenance:
    scope: resource
    name: services-postfix
    state: "on"
    ends: "2026-11-22T22:00:00Z"
  run_once: true
"""

RETURN = r"""
state:
  description: The state asked for.
  returned: always
  type: str
  sample: "on"
ends:
  description: When maintenance ends by itself; V(null) when it does not (or O(state=off)).
  returned: always
  type: str
  sample: "2026-11-22T18:00:00Z"
message:
  description: What was (or would be) done.
  returned: always
  type: str
  sample: cluster maintenance mode on until 2026-11-22T18:00:00Z
"""

import datetime
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.cib_apply import ApplyError, verify_and_apply
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import unsettled
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of
from ansible_collections.twonode.ha.plugins.module_utils.maintenance_plan import (
    MaintenanceError,
    current,
    expiry_end,
    plan,
    standby_outage,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import run_with_node


def still_moving(node, name, groups_move=True):
    """What keeps node name's standby from being complete: resources on it, and (when the peer can take
    them) groups not yet running elsewhere."""
    status = node.status()
    waiting = [r["id"] for r in status["resources"] if name in r["nodes"]]
    if groups_move:
        waiting += ["%s (not running yet)" % key for key, g in sorted(groups_of(status).items())
                    if g["running"] < g["wanted"]]
    # crm_mon counts a resource that is still starting as active.
    waiting += ["%s (%s)" % (rsc_id, (role or "changing").lower()) for rsc_id, role, _nodes in unsettled(status)
                if rsc_id not in waiting]
    return waiting


def switch(module, node):
    """Plan, refuse a standby that would stop the groups, apply, wait for the standby; exits the module."""
    p = module.params
    live = node.cib(failure="cannot read the CIB (is the cluster running on this node?): {said}")
    try:
        end = expiry_end(p["expiry"], p["ends"], datetime.datetime.now(datetime.timezone.utc)) \
            if p["state"] == "on" else None
        before = current(live, p["scope"], p["name"])
        candidate, changed, words = plan(live, p["scope"], p["name"], p["state"], end)
    except MaintenanceError as exc:
        module.fail_json(msg="%s. Nothing was changed." % exc)

    outage = None
    if changed and p["scope"] == "node" and p["state"] == "on":
        outage = standby_outage(node.status(), p["name"], node.drbd())
        if outage and not p["force"]:
            module.fail_json(msg="refusing standby: %s. The groups would stop. Nothing was changed; "
                                 "force=true accepts the outage." % outage)

    diff = dict(before="%s maintenance: %s%s\n" % (p["scope"], "on" if before["on"] else "off",
                                                   " until %s" % before["until"] if before["until"] else ""),
                after="%s maintenance: %s%s\n" % (p["scope"], p["state"], " until %s" % end if end else ""))
    if changed:
        try:
            verify_and_apply(node, live, candidate, apply=not module.check_mode)
        except ApplyError as exc:
            module.fail_json(msg=exc.args[0], verify_output=exc.args[1])

    if changed and not module.check_mode and p["scope"] == "node" and p["state"] == "on":
        # Standby moves everything away (fence devices too); done when nothing runs there and every
        # group runs again on the other node, or, when force accepted an outage, when the node is empty.
        deadline = time.time() + p["timeout"]
        left = still_moving(node, p["name"], groups_move=not outage)
        while left and time.time() < deadline:
            time.sleep(1)
            left = still_moving(node, p["name"], groups_move=not outage)
        if left:
            module.fail_json(msg="node %s is in standby but after %d s still waiting for: %s"
                                 % (p["name"], p["timeout"], ", ".join(left)))
    module.exit_json(changed=changed, state=p["state"], ends=end, message=words, diff=diff)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            scope=dict(type="str", choices=["cluster", "node", "resource"], required=True),
            name=dict(type="str"),
            state=dict(type="str", choices=["on", "off"], required=True),
            expiry=dict(type="str"),
            ends=dict(type="str"),
            timeout=dict(type="int", default=120),
            force=dict(type="bool", default=False),
        ),
        required_if=[("scope", "node", ["name"]), ("scope", "resource", ["name"])],
        mutually_exclusive=[("expiry", "ends")],
        supports_check_mode=True,
    )
    run_with_node(module, switch)


if __name__ == "__main__":
    main()
