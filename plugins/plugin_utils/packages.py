# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Debian packages a node still lacks, asked of dpkg without touching the network.

The roles install only what is missing, so a node without a package mirror (or with a slow one)
converges again; `apt` with update_cache would reach for the mirror on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One line a package dpkg knows of: "NAME STATUS" (installed, config-files, not-installed, ...);
# a package it has never heard of goes to stderr (rc 1), so it counts as missing. dpkg-query
# reads the backslash-n in the format as the end of a line.
DPKG_QUERY = ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n"]


def dpkg_query_argv(packages):
    """The argv that asks dpkg for the state of these packages."""
    return DPKG_QUERY + list(packages)


def missing_packages(wanted, dpkg_lines):
    """The wanted packages dpkg does not report installed, each once, in the order wanted."""
    installed = set(line.split(" ")[0] for line in dpkg_lines or [] if line.endswith(" installed"))
    missing = []
    for name in wanted:
        if name not in installed and name not in missing:
            missing.append(name)
    return missing
