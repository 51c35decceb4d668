#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: firewalld_rules
short_description: Keep a set of firewalld rich rules in every active zone, and take out the ones no longer wanted
description:
  - Where firewalld keeps a node's firewall, the cluster role opens what the pair needs as rich rules (one source, one
    destination, one port each), given here in firewalld's canonical form. They go into every active zone and the
    default zone, so that whichever zone firewalld hands a packet to (by its source or by its interface) lets it in; a
    rule that names its source and destination opens nothing else in any zone.
  - Each rule goes into the permanent configuration (kept across reloads and boots) and the running one (at once), without
    a reload, which would drop the administrator's own runtime changes.
  - The rules it added are recorded in O(record); on a later run those no longer wanted are taken out. Rules the
    administrator added stay.
version_added: "0.4.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  rules:
    description: The rich rules wanted, in firewalld's canonical form (as C(firewall-cmd --list-rich-rules) prints them).
    type: list
    elements: str
    required: true
  record:
    description:
      - The file that lists the rules this module added (one per line), read and rewritten on each run. A wanted rule
        that was in a zone before this module added it anywhere is not recorded, so it is never taken out.
    type: path
    required: true
notes:
  - Runs C(firewall-cmd) - C(--get-default-zone), C(--get-active-zones), C(--list-rich-rules) and C(--add-rich-rule) or
    C(--remove-rich-rule), each for the permanent and the running configuration.
attributes:
  check_mode:
    support: full
    description: Reads the zones and reports what would change.
  diff_mode:
    support: full
    description: The rules before and after, per zone.
"""

EXAMPLES = r"""
- name: Let the peer's corosync in
  twonode.ha.firewalld_rules:
    rules:
      - rule family="ipv4" source address="10.0.0.12" destination address="10.0.0.11" port port="5405" protocol="udp" accept
    record: /etc/twonode/firewalld-shop.rules
"""

RETURN = r"""
zones:
  description: The zones the rules are kept in (the active ones and the default one).
  returned: always
  type: list
  elements: str
  sample: [public]
changes:
  description: Per zone that changed, the rules added and removed.
  returned: always
  type: dict
  sample: {"public": {"add": ["rule family=\"ipv4\" source address=\"10.0.0.12\" ..."], "remove": []}}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twonode.ha.plugins.module_utils.firewall import (
    FIREWALL_CMD,
    parse_active_zones,
    parse_rich_rules,
    zone_changes,
)
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import run_with_node


def read_record(path):
    try:
        with open(path) as handle:
            return [line.strip() for line in handle if line.strip()]
    except (IOError, OSError):
        return []


def keep_rules(module, node):
    params = module.params
    wanted = [rule.strip() for rule in params["rules"]]
    zones = parse_active_zones(node.must([FIREWALL_CMD, "--get-active-zones"]))
    default = node.must([FIREWALL_CMD, "--get-default-zone"]).strip()
    if default and default not in zones:
        zones.append(default)
    current = dict((zone, parse_rich_rules(node.must([FIREWALL_CMD, "--permanent", "--zone=" + zone, "--list-rich-rules"])))
                   for zone in zones)
    previous = read_record(params["record"])
    changes = zone_changes(current, wanted, previous)
    # Only what this module added is its to take out later: a rule the administrator had already stays theirs.
    added = set(rule for change in changes.values() for rule in change["add"])
    record = [rule for rule in wanted if rule in previous or rule in added]
    record_differs = previous != record
    if not module.check_mode:
        for zone, change in changes.items():
            for permanent in (["--permanent"], []):
                args = [FIREWALL_CMD] + permanent + ["--zone=" + zone]
                args += ["--add-rich-rule=" + rule for rule in change["add"]]
                args += ["--remove-rich-rule=" + rule for rule in change["remove"]]
                node.must(args)
        if record_differs:
            directory = os.path.dirname(params["record"])
            if directory and not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            with open(params["record"], "w") as handle:
                handle.write("".join(rule + "\n" for rule in record))
            os.chmod(params["record"], 0o644)
    before = dict((zone, "\n".join(current[zone]) + "\n") for zone in changes)
    after = dict((zone, "\n".join([r for r in current[zone] if r not in changes[zone]["remove"]] + changes[zone]["add"]) + "\n")
                 for zone in changes)
    return {"changed": bool(changes) or record_differs, "zones": zones, "changes": changes,
            "diff": {"before": "".join("[%s]\n%s" % item for item in sorted(before.items())),
                     "after": "".join("[%s]\n%s" % item for item in sorted(after.items()))}}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            rules=dict(type="list", elements="str", required=True),
            record=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run_with_node(module, keep_rules))


if __name__ == "__main__":
    main()
