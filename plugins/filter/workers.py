# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter the playbooks call so that ansible-playbook loads this collection's filters once.

Ansible runs each task in a new worker process forked from ansible-playbook. A worker that meets a
twonode.ha filter imports the collection's filter files (and what they import) again, about 50 ms
a task, unless ansible-playbook itself already holds them: then every worker inherits them. The
playbooks call preload_filters where ansible-playbook templates the task itself (run_once).
Ansible looks for a collection's filter in its filter files in name order, loading each it tries:
this file must sort last (a unit test checks) so that finding this filter loads all of them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def preload_filters(value):
    """value, unchanged: calling it is what loads the filters."""
    return value


class FilterModule(object):
    def filters(self):
        return {"preload_filters": preload_filters}
