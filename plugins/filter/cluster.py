# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the cluster role uses: input checks, timing, fence device planning, the status table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.twonode.ha.plugins.plugin_utils.alerts import agent_config, alert_cib, alert_input_errors
from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_identity import (
    conf_identity,
    corosync_action,
    has_foreign_resources,
    identity_change_problem,
    identity_digest,
)
from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import (
    arbitrator_errors,
    namesakes,
    authkey_source,
    cluster_name_errors,
    fence_agent_packages,
    fence_cib_objects,
    fence_device_errors,
    fence_properties,
    member_errors,
    metrics_errors,
    node_list,
    property_errors,
    sbd_device_paths,
    sbd_errors,
    sbd_fence_devices,
    sbd_stonith_timeout,
    start_delay_errors,
    time_sync_errors,
    tolerance_errors,
)
from ansible_collections.twonode.ha.plugins.plugin_utils.firewall_plan import (
    arbitrator_openings,
    chain_name,
    firewall_errors,
    host_plan,
    pair_openings,
    service_openings,
)
from ansible_collections.twonode.ha.plugins.module_utils.fence_check import answer_lines, reboot_request_errors
from ansible_collections.twonode.ha.plugins.module_utils.health import status_lines, with_clocks
from ansible_collections.twonode.ha.plugins.module_utils.timing import duration_ms


def _duration_ms(value, allow_zero=False):
    try:
        return duration_ms(value, allow_zero=allow_zero)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def cluster_input_errors(members, fence_devices, outage_tolerance, allow_no_fencing=False, start_delay="0",
                         cluster_name="twonode", properties=None, race_delay="5s", sbd_watchdog_timeout=None):
    """Every problem with the pair's inventory, as sentences; empty when all is well."""
    errors = member_errors(members)
    errors.extend(cluster_name_errors(cluster_name))
    errors.extend(property_errors(properties if properties is not None else {}, bool(allow_no_fencing),
                                  race_delay, sbd_watchdog_timeout))
    errors.extend(tolerance_errors(outage_tolerance))
    errors.extend(start_delay_errors(start_delay))
    names = [m.get("node_name") for m in members]
    errors.extend(fence_device_errors(fence_devices, names, bool(allow_no_fencing)))
    errors.extend(metrics_errors(members))
    return errors


class FilterModule(object):
    def filters(self):
        return {
            "duration_ms": _duration_ms,
            "cluster_input_errors": cluster_input_errors,
            "cluster_arbitrator_errors": arbitrator_errors,
            "cluster_namesakes": namesakes,
            "fence_agent_packages": fence_agent_packages,
            "fence_cib_objects": fence_cib_objects,
            "fence_properties": fence_properties,
            "cluster_node_list": node_list,
            "authkey_source": authkey_source,
            "status_lines": status_lines,
            "status_with_clocks": with_clocks,
            "sbd_device_paths": sbd_device_paths,
            "sbd_errors": sbd_errors,
            "sbd_fence_devices": sbd_fence_devices,
            "sbd_stonith_timeout": sbd_stonith_timeout,
            "cluster_conf_identity": conf_identity,
            "cluster_identity_digest": identity_digest,
            "cluster_identity_change_problem": identity_change_problem,
            "corosync_action": corosync_action,
            "cluster_has_foreign_resources": has_foreign_resources,
            "cluster_alert_errors": alert_input_errors,
            "cluster_alert_agent_config": agent_config,
            "cluster_alert_cib": alert_cib,
            "cluster_time_errors": time_sync_errors,
            "fence_check_lines": answer_lines,
            "fence_reboot_errors": reboot_request_errors,
            "cluster_firewall_chain": chain_name,
            "cluster_firewall_openings": pair_openings,
            "cluster_firewall_arbitrator_openings": arbitrator_openings,
            "cluster_firewall_errors": firewall_errors,
            "cluster_firewall_plan": host_plan,
            "cluster_firewall_service_openings": service_openings,
        }
