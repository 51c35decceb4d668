# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per pair: who holds the pair's lock, and whether another run may take it.

The lock is a small JSON file on each node: the holder's run id, who (user@control node), which
playbook, its process id on the control node, since when and until when. Pure decisions here; the
pair_lock module reads and writes the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

TAKE, KEEP, REFUSE = "take", "keep", "refuse"


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text):
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def parse(text):
    """The lock file's holder, or None when there is none (or it is unreadable, which is no lock)."""
    try:
        holder = json.loads(text)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) and holder.get("id") else None


def render(me, now, expiry_seconds, since=None):
    holder = dict(me, since=since or _stamp(now),
                  expires=_stamp(now + datetime.timedelta(seconds=expiry_seconds)))
    return json.dumps(holder, sort_keys=True) + "\n"


def describe(holder):
    return "%s running %s (pid %s on %s) since %s, until %s" % (
        holder.get("who", "?"), holder.get("playbook", "?"), holder.get("pid", "?"), holder.get("controller", "?"),
        holder.get("since", "?"), holder.get("expires", "?"))


def decide(current, me, now, ended=(), break_lock=False):
    """(TAKE | KEEP | REFUSE, words). current: the parsed holder or None; me: this run's holder fields.

    ended: run ids the control node knows have ended (their process is gone), so a run that died
    midway does not lock its own operator out. Another control node's lock is honoured until it
    expires, unless break_lock.
    """
    if current is None:
        return TAKE, "the pair was not locked"
    if current.get("id") == me.get("id"):
        return KEEP, "this run holds the lock"
    expires = _parse_stamp(current.get("expires"))
    if expires is None or expires <= now:
        return TAKE, "the lock of %s had expired" % describe(current)
    if current.get("id") in (ended or ()):
        return TAKE, "the run that held the lock has ended: %s" % describe(current)
    if break_lock:
        return TAKE, "broke the lock of %s" % describe(current)
    return REFUSE, ("another run holds this pair: %s. Runs against one pair must not interleave; wait until "
                    "it has finished. If that run is gone (its control node died), -e twonode_break_lock=true "
                    "takes the lock" % describe(current))
