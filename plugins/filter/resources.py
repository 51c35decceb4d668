# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the resources role uses: the service network, virtual IP checks, group planning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import (
    cib_objects,
    group_errors,
    postfix_ha_settings,
    postfix_main_cf,
    postfix_master_cf,
    boot_units,
    services_used,
    timeout_factor_error,
)

try:
    import netaddr
except ImportError:  # reported when a filter is used, not when the plugin loads
    netaddr = None


def _need_netaddr():
    if netaddr is None:
        raise AnsibleFilterError("the twonode.ha resources filters need the Python package netaddr "
                                 "on the control node (pip install netaddr)")


def service_network(networks, address):
    """The network (CIDR) of the interface address `address`, from node_state's networks
    (['10.0.0.11/24', ...]); '' if the node has no such address."""
    _need_netaddr()
    for network in networks or []:
        if network.split("/")[0] == str(address):
            return str(netaddr.IPNetwork(network).cidr)
    return ""


def vip_errors(groups, nodes):
    """Problems with the virtual IPs. nodes: [{name, service_network, addresses}]."""
    _need_netaddr()
    errors = []
    networks = {}
    for node in nodes:
        if not node.get("service_network"):
            errors.append("%s: no interface holds its service address (cluster_ring0_addr)" % node["name"])
        else:
            networks[node["name"]] = netaddr.IPNetwork(node["service_network"])
    if len(set(str(n) for n in networks.values())) > 1:
        errors.append("the nodes' service networks differ (%s); virtual IPs must move between them"
                      % ", ".join("%s: %s" % item for item in sorted((k, str(v)) for k, v in networks.items())))
    node_addresses = {}
    for node in nodes:
        for address in node.get("addresses") or []:
            node_addresses[str(address)] = node["name"]
    seen = {}
    for group in groups or []:
        for raw in group.get("vips") or []:
            where = "group %r: virtual IP %r" % (group.get("name"), raw)
            try:
                vip = netaddr.IPAddress(str(raw))
            except (netaddr.AddrFormatError, ValueError, TypeError):
                errors.append("%s is not an IP address" % where)
                continue
            for name, network in sorted(networks.items()):
                if vip not in network:
                    errors.append("%s is outside %s's service network %s" % (where, name, network))
                elif vip.version == 4 and network.prefixlen < 31 and vip in (network.network, network.broadcast):
                    errors.append("%s is the network or broadcast address of %s" % (where, network))
            if str(vip) in node_addresses:
                errors.append("%s is an address of node %s itself (after remove.yml the kept node holds its virtual IPs "
                              "through twonode-ha-addresses.service: systemctl disable --now twonode-ha-addresses there "
                              "first)" % (where, node_addresses[str(vip)]))
            if str(vip) in seen:
                errors.append("%s is also used by group %r" % (where, seen[str(vip)]))
            seen[str(vip)] = group.get("name")
    return errors


def resources_input_errors(groups, nodes, drbd_resources=None, timeout_factor=1):
    """Every problem with resources_groups (and resources_timeout_factor), as sentences; empty when all is well."""
    if not isinstance(groups, list):
        return ["resources_groups must be a list of groups"]
    errors = group_errors(groups, [n["name"] for n in nodes], drbd_resources)
    factor_error = timeout_factor_error(_number(timeout_factor))
    if factor_error:
        errors.append(factor_error)
    errors.extend(vip_errors([g for g in groups if isinstance(g, dict)], nodes))
    return errors


def _number(value):
    """A number given as text (-e resources_timeout_factor=3) as a number; anything else as it is."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def resources_cib_objects(groups, service_net, defaults, drbd_resources=None):
    _need_netaddr()
    defaults = dict(defaults, timeout_factor=_number(defaults.get("timeout_factor", 1)))
    return cib_objects(groups, netaddr.IPNetwork(service_net).prefixlen, defaults, drbd_resources=drbd_resources)


class FilterModule(object):
    def filters(self):
        return {
            "service_network": service_network,
            "resources_input_errors": resources_input_errors,
            "resources_cib_objects": resources_cib_objects,
            "resources_services_used": services_used,
            "resources_boot_units": boot_units,
            "postfix_master_cf": postfix_master_cf,
            "postfix_ha_settings": postfix_ha_settings,
            "postfix_main_cf": postfix_main_cf,
        }
