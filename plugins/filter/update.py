# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the update role (the rolling update) decides through; the code is plugin_utils/update_plan.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import (
    apt_changes, input_errors, plan, plan_lines, reboot_decision, rebooted_between, rejoined, release_errors,
    release_simulations, removal_refusal, report_lines, rescue, rewrite_sources, simulations, start_refusals,
    statuses_by_host, work)


def update_input_errors(packages, reboot_command, probe_url, reboot_patterns):
    """input_errors with the package list first, so a task can pipe it in."""
    return input_errors(reboot_command, packages, probe_url, reboot_patterns)


def update_reboot_decision(changes, mode="auto", required=False, required_by="", patterns=None):
    return reboot_decision(changes, mode, required, required_by, patterns)


def update_rescue(stage, results, dpkg_audit=None):
    """rescue with the statuses as a looped cluster_status task registered them."""
    return rescue(stage, statuses_by_host(results), dpkg_audit)


def update_simulations(apt_results, reboot_required_results, hosts, mode="auto", patterns=None):
    return simulations(apt_results, reboot_required_results, hosts, mode, patterns)


def update_release_errors(target, releases, packages, reboot_mode):
    return release_errors(target, releases, packages, reboot_mode)


def update_rewrite_sources(text, old, new):
    """rewrite_sources as a dict a task can read: {text, renamed}."""
    rewritten, renamed = rewrite_sources(text, old, new)
    return {"text": rewritten, "renamed": renamed}


class FilterModule(object):
    def filters(self):
        return {
            "update_input_errors": update_input_errors,
            "update_refusals": start_refusals,
            "update_plan": plan,
            "update_work": work,
            "update_plan_lines": plan_lines,
            "update_removal_refusal": removal_refusal,
            "update_apt_changes": apt_changes,
            "update_simulations": update_simulations,
            "update_reboot_decision": update_reboot_decision,
            "update_rejoined": rejoined,
            "update_rebooted": rebooted_between,
            "update_rescue": update_rescue,
            "update_report_lines": report_lines,
            "update_release_errors": update_release_errors,
            "update_release_simulations": release_simulations,
            "update_rewrite_sources": update_rewrite_sources,
        }
