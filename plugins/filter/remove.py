# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters playbooks/remove.yml and replace.yml use: whether the pair may be taken apart (or a dead node
replaced) as asked, and what the node that keeps the data gets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.plugin_utils.removal_plan import (
    address_unit,
    conf_cluster_name,
    fstab_line,
    keep_plan,
    request_errors,
)
from ansible_collections.twonode.ha.plugins.plugin_utils.replace_plan import disk_request_errors
from ansible_collections.twonode.ha.plugins.plugin_utils.replace_plan import request_errors as replace_request_errors


def replace_disk_plan(node, confirm, members, drbd_names):
    """replace_disk.yml's check: {errors, mend}; members: [{host, node_name, conf (corosync.conf), status}]."""
    names = [conf_cluster_name(member.get("conf")) for member in members]
    statuses = dict((member["node_name"], member.get("status") or {}) for member in members)
    errors, mend = disk_request_errors(node, confirm, ([n for n in names if n] or [""])[0], members, drbd_names, statuses)
    return {"errors": errors, "mend": mend}


class FilterModule(object):
    def filters(self):
        return {
            "remove_request_errors": request_errors,
            "remove_keep_plan": keep_plan,
            "remove_address_unit": address_unit,
            "remove_fstab_line": fstab_line,
            "replace_request_errors": replace_request_errors,
            "replace_disk_plan": replace_disk_plan,
        }
