#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pair_lock
short_description: Take or release the lock that keeps two runs against one pair from interleaving
description:
  - The collection's playbooks take this lock on every reachable node of the pair before they change
    anything, and release it at the end, so that two operators' runs (site, failover, maintenance, drills)
    never act on one pair at the same time. The second run is refused with who holds the lock and since when.
  - The lock is a JSON file naming the holder's run id, user and control node, playbook and process id,
    with an expiry, so that a run that died midway does not lock the pair for ever. A run from the same
    control node takes over the lock of a run that has ended there (O(ended)).
version_added: "0.2.0"
author:
  - twonode.ha maintainers (@twonode)
options:
  state:
    description:
      - V(held) takes the lock (or keeps it, if this run holds it already); V(released) gives it up
        (only if this run holds it); V(query) only reports the holder.
    type: str
    choices: [held, released, query]
    default: held
  holder:
    description:
      - This run, as the playbooks describe it. O(holder.id) is required for O(state=held) and O(state=released).
    type: dict
    default: {}
    suboptions:
      id:
        description: A unique id of this run.
        type: str
      who:
        description: The user and control node, for example V(alice@ops1).
        type: str
      controller:
        description: The control node's host name.
        type: str
      pid:
        description: The process id of ansible-playbook on the control node.
        type: str
      playbook:
        description: What runs, for example V(site.yml).
        type: str
  expiry:
    description: How long the lock holds when the run never releases it, in seconds.
    type: int
    default: 3600
  ended:
    description: Run ids the control node knows have ended; their lock may be taken over.
    type: list
    elements: str
    default: []
  break_lock:
    description: Take the lock even though another run holds it. Only when that run is known to be gone.
    type: bool
    default: false
  path:
    description: The lock file.
    type: path
    default: /var/lib/twonode/pair.lock
attributes:
  check_mode:
    support: none
    description: The lock is taken in check mode too (run it with C(check_mode=false)); a checking run must not interleave either.
  diff_mode:
    support: none
    description: Nothing to show.
"""

EXAMPLES = r"""
- name: Take the pair's lock
  twonode.ha.pair_lock:
    holder:
      id: "{{ run_id }}"
      who: "{{ lookup('env', 'USER') }}@{{ lookup('pipe', 'hostname') }}"
      playbook: site.yml
  check_mode: false

- name: Release it
  twonode.ha.pair_lock:
    state: released
    holder:
      id: "{{ run_id }}"
  check_mode: false
"""

RETURN = r"""
holder:
  description: Who holds the lock after this call (empty when nobody does), as the lock file records it.
  returned: always
  type: dict
  contains:
    id:
      description: The holding run's id.
      type: str
    who:
      description: The user and control node of the holding run, when it gave them.
      type: str
    controller:
      description: The holding run's control node, when it gave it.
      type: str
    pid:
      description: The process id of the holding ansible-playbook, when it gave it.
      type: str
    playbook:
      description: What the holding run runs, when it gave it.
      type: str
    since:
      description: When the holding run took the lock (UTC, ISO 8601).
      type: str
    expires:
      description: When the lock lapses unless the holder renews or releases it (UTC, ISO 8601).
      type: str
  sample: {"id": "9f1c", "who": "alice@ops1", "controller": "ops1", "pid": "4711", "playbook": "site.yml",
           "since": "2026-12-03T06:10:00Z", "expires": "2026-12-03T07:10:00Z"}
message:
  description: What happened, in words.
  returned: always
  type: str
  sample: the pair was not locked
"""

import datetime
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.twonode.ha.plugins.module_utils.pair_lock import KEEP, REFUSE, decide, describe, parse, render


def read(path):
    try:
        with open(path) as handle:
            return parse(handle.read())
    except (IOError, OSError):
        return None


def write(path, content, replace):
    """Create the lock file atomically; False when another run created it first (and not replace).

    The data reaches the disk before the name does: a node powered off right after (the drills do
    that) otherwise comes back with an empty lock file."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, temp = tempfile.mkstemp(prefix=".pair.lock.", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.rename(temp, path)
        else:
            try:
                os.link(temp, path)
            except OSError:
                return False
        sync_directory(directory)
        return True
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def sync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["held", "released", "query"], default="held"),
            holder=dict(type="dict", default={}, options=dict(
                id=dict(type="str"), who=dict(type="str"), controller=dict(type="str"),
                pid=dict(type="str"), playbook=dict(type="str"))),
            expiry=dict(type="int", default=3600),
            ended=dict(type="list", elements="str", default=[]),
            break_lock=dict(type="bool", default=False),
            path=dict(type="path", default="/var/lib/twonode/pair.lock"),
        ),
        required_if=[("state", "held", ["holder"]), ("state", "released", ["holder"])],
    )
    p = module.params
    me = dict((k, v) for k, v in (p["holder"] or {}).items() if v is not None)
    current = read(p["path"])
    if p["state"] == "query":
        module.exit_json(changed=False, holder=current or {}, message=describe(current) if current else "not locked")
    if p["state"] != "query" and not me.get("id"):
        module.fail_json(msg="holder.id is needed to take or release the lock")
    if p["state"] == "released":
        if current and current.get("id") == me["id"]:
            os.unlink(p["path"])
            module.exit_json(changed=True, holder={}, message="released")
        module.exit_json(changed=False, holder=current or {}, message="this run did not hold the lock")

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    # Twice at most: a run that created the file between our read and our write is read again.
    for attempt in range(2):
        verdict, words = decide(current, me, now, p["ended"], p["break_lock"])
        if verdict == REFUSE:
            module.fail_json(msg="%s. Nothing was changed." % words, holder=current)
        content = render(me, now, p["expiry"], since=current.get("since") if verdict == KEEP else None)
        # A file that is there but holds no lock (empty after a power cut, or garbled) is replaced.
        if write(p["path"], content, replace=os.path.exists(p["path"])):
            module.exit_json(changed=verdict != KEEP, holder=parse(content), message=words)
        current = read(p["path"])
    module.fail_json(msg="could not take the lock: %s keeps changing" % p["path"])


if __name__ == "__main__":
    main()
