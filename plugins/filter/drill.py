# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the drill role uses: request checks, what a status says, verdicts and the summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import (
    DAEMONS, alarm_check, arbitrator_loss_seen, available_check, boot_marks, cycle_checks, daemon_recovered, describe_links_down,
    drill_result, fail_count, fences_after, group_nodes, link_loss_seen, pair_roles, rebooted, request_errors, results_document,
    standby_loss_seen, summary_lines)


def drill_verdict(checks, name, recovery=None, figures="", samples=(), measured=None):
    """drill_result with the checks first, so a task can pipe them in."""
    return drill_result(name, checks, recovery, figures, samples, measured)


def drill_process(daemon):
    """The main process of a service the daemon_kill drill kills."""
    return DAEMONS[daemon]


def _first(hostvars, *names):
    for name in names:
        value = hostvars.get(name)
        if value not in (None, ""):
            return value
    return None


def drill_node_spec(pair):
    """How the client load reaches a node over SSH, from [cluster node name, that node's hostvars]: the
    inventory's address, port, user, key and extra SSH options, as Ansible's ssh connection reads them.
    Unset port and user are left to SSH (its config, its defaults), as Ansible leaves them."""
    name, hostvars = pair
    options = []
    for var in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        options += shlex.split(str(hostvars.get(var) or ""))
    port = _first(hostvars, "ansible_port", "ansible_ssh_port")
    return {"name": name,
            "host": _first(hostvars, "ansible_host", "ansible_ssh_host", "inventory_hostname"),
            "port": int(port) if port is not None else None,
            "user": _first(hostvars, "ansible_user", "ansible_ssh_user"),
            "key": _first(hostvars, "ansible_ssh_private_key_file", "ansible_private_key_file"),
            "options": options}


class FilterModule(object):
    def filters(self):
        return {
            "drill_request_errors": request_errors,
            "drill_arbitrator_loss_seen": arbitrator_loss_seen,
            "drill_fences_after": fences_after,
            "drill_boot_marks": boot_marks,
            "drill_rebooted": rebooted,
            "drill_group_nodes": group_nodes,
            "drill_pair_roles": pair_roles,
            "drill_standby_loss_seen": standby_loss_seen,
            "drill_alarm_check": alarm_check,
            "drill_link_loss_seen": link_loss_seen,
            "drill_links_down_text": describe_links_down,
            "drill_available_check": available_check,
            "drill_verdict": drill_verdict,
            "drill_summary": summary_lines,
            "drill_results_document": results_document,
            "drill_process": drill_process,
            "drill_node_spec": drill_node_spec,
            "drill_cycle_checks": cycle_checks,
            "drill_daemon_recovered": daemon_recovered,
            "drill_fail_count": fail_count,
        }
