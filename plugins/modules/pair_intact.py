#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pair_intact
short_description: Stop a node when the other node of its pair has failed in this run
description:
  - An inventory may hold many pairs, and one run may act on all of them. A failure on one node must stop
    its pair, and only its pair: the other pairs go on. The collection's roles and playbooks call this
    action where a step needs both nodes of the pair (before a check that compares them, before a step done
    once for the pair, before a service starts), in place of a play-wide C(any_errors_fatal).
  - A node's pair is the play's hosts with its C(cluster_name) (C(twonode) when unset). The action fails on
    a node whose other node has failed or was not reached in this run. How many nodes the pair has is left to
    the roles' input checks (a status read may target one node on purpose).
  - It runs on the control node and reads nothing on the nodes.
version_added: "0.3.0"
author:
  - twonode.ha maintainers (@twonode)
options: {}
attributes:
  check_mode:
    support: full
    description: It only looks at the run's own state.
  diff_mode:
    support: none
    description: It changes nothing.
  action:
    support: full
    description: It is an action plugin that runs on the control node.
notes:
  - Ansible removes a failed or unreachable host from C(ansible_play_hosts) and from the plays after the one it
    failed in; the action compares the pair with what is left.
"""

EXAMPLES = r"""
- name: Stop here unless both nodes of this pair are still in the run
  twonode.ha.pair_intact:
"""

RETURN = r"""
pair:
  description: The nodes of this host's pair among the play's hosts, this host included.
  returned: always
  type: list
  elements: str
  sample: [node1, node2]
msg:
  description: Why this node stops, or that both nodes are in the run.
  returned: always
  type: str
  sample: "node2, the other node of this pair, failed or was not reached in this run: this pair stops here; other pairs go on"
"""
