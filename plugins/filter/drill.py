# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the drill role uses: request checks, what a status says, verdicts and the summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.drill_plan import (
    DAEMONS, available_check, cycle_checks, daemon_recovered, drill_result, fail_count, fences_after, group_nodes, rebooted,
    request_errors, summary_lines)


def drill_verdict(checks, name, recovery=None, figures="", samples=()):
    """drill_result with the checks first, so a task can pipe them in."""
    return drill_result(name, checks, recovery, figures, samples)


def drill_process(daemon):
    """The main process of a service the daemon_kill drill kills."""
    return DAEMONS[daemon]


def drill_ssh_arg(pair):
    """The load generator's --node argument for [cluster node name, that node's hostvars]."""
    name, hostvars = pair
    return "--node=%s=%s@%s:%s" % (name, hostvars.get("ansible_user") or "root",
                                   hostvars.get("ansible_host") or hostvars.get("inventory_hostname"),
                                   hostvars.get("ansible_port") or 22)


class FilterModule(object):
    def filters(self):
        return {
            "drill_request_errors": request_errors,
            "drill_fences_after": fences_after,
            "drill_rebooted": rebooted,
            "drill_group_nodes": group_nodes,
            "drill_available_check": available_check,
            "drill_verdict": drill_verdict,
            "drill_summary": summary_lines,
            "drill_process": drill_process,
            "drill_ssh_arg": drill_ssh_arg,
            "drill_cycle_checks": cycle_checks,
            "drill_daemon_recovered": daemon_recovered,
            "drill_fail_count": fail_count,
        }
