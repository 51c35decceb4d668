# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters playbooks/adopt.yml uses: the adoption's plan, decided before any node changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.twonode.ha.plugins.plugin_utils.adoption import adoption_plan


class FilterModule(object):
    def filters(self):
        return {"adopt_plan": adoption_plan}
