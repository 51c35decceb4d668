# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the cluster, drbd and resources roles share to install only the packages a node lacks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.plugin_utils.packages import dpkg_query_argv, missing_packages


class FilterModule(object):
    def filters(self):
        return {
            "dpkg_query_argv": dpkg_query_argv,
            "missing_packages": missing_packages,
        }
