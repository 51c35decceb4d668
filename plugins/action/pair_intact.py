# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stop a node whose pair is no longer whole in this run: the per-pair any_errors_fatal."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import pair_break, pair_hosts


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        host = task_vars["inventory_hostname"]
        known = task_vars.get("twonode_pair_map") or {}
        pair = known[host] if host in known else pair_hosts(task_vars["hostvars"], list(task_vars["ansible_play_hosts_all"]), host)
        problem = pair_break(pair, list(task_vars["ansible_play_hosts"]))
        result.update(changed=False, pair=pair)
        if problem:
            result.update(failed=True, msg=problem)
        else:
            result["msg"] = "both nodes of this pair are in the run: %s" % ", ".join(pair)
        return result
