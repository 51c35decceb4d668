# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's identity and the decisions that hang on it.

The identity is what corosync cannot change while both nodes run: the cluster name, crypto, the
nodes (names, ids, addresses) and SBD (sbd starts with corosync). corosync.conf carries its digest
in a comment, so the next run knows what the running cluster was built from. A changed identity
restarts corosync on both nodes at once; that is refused unless the administrator accepts it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

_MARK = re.compile(r"twonode\.ha identity ([0-9a-f]+)")
# A resource of any kind in a CIB; a CIB without one can be replaced without losing anything.
_RESOURCE = re.compile(r"<(primitive|group|clone|bundle)\b")


def conf_identity(text):
    """The identity digest in a corosync.conf this collection wrote, or '' (none, or not ours)."""
    found = _MARK.search(text or "")
    return found.group(1) if found else ""


def identity_digest(name, cipher, hash_name, nodes, sbd=None):
    """sha256 of the identity; sbd is [devices, watchdog device, watchdog timeout] or None.

    The JSON is built the way the role's Jinja did it (key order, json.dumps defaults), so the
    digests in running clusters' corosync.conf stay valid.
    """
    identity = {"name": name, "cipher": cipher, "hash": hash_name, "nodes": nodes}
    if sbd:
        identity["sbd"] = sbd
    return hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()


def identity_change_problem(current, wanted, allow_full_restart):
    """Why this run must stop before any change, or '' when it may go on.

    current is '' on a node this collection has not configured yet (nothing runs that a restart
    would interrupt)."""
    if current in ("", wanted) or allow_full_restart:
        return ""
    return ("The cluster name, crypto, node names, addresses or SBD settings differ from the running "
            "cluster's. Applying that restarts corosync on both nodes at once and interrupts the service. "
            "Set cluster_allow_full_restart=true to accept that; nothing was changed.")


def corosync_action(current, wanted, conf_changed, authkey_changed):
    """How this node takes its corosync configuration: 'restart', 'reload' or 'none'.

    New to the cluster, a new identity or a new key need a restart; anything else that changed in
    corosync.conf (the outage tolerance, logging) is reloaded with both nodes up."""
    if current != wanted or authkey_changed:
        return "restart"
    return "reload" if conf_changed else "none"


def has_foreign_resources(*cib_texts):
    """Whether any of the CIB texts (cibadmin's answer, the file on disk) holds a resource."""
    return any(_RESOURCE.search(text or "") for text in cib_texts)
