# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles skip work by: does the node's file or unit (as twonode.ha.node_state read it)
differ from what a task would make of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.module_utils.node_state import file_differs, unit_differs


class FilterModule(object):
    def filters(self):
        return {
            "file_differs": file_differs,
            "unit_differs": unit_differs,
        }
