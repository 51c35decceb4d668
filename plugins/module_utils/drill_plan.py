# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure drills' plain logic: which drills exist, checking a request, verdicts, the summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import SETTLED_ROLES

# What each does is documented in roles/drill/meta/argument_specs.yml.
DRILLS = ("standby_power_off", "active_power_off", "link_cut_one", "link_cut_both", "stack_crash", "kernel_panic",
          "daemon_kill", "cascade_switchover", "cascade_power_off")
NEEDS_POWER_OFF = ("standby_power_off", "active_power_off", "cascade_power_off")
DAEMONS = {"nginx": "nginx", "postfix": "master"}  # service name: its main process


def request_errors(drills, power_off_command, cascade_count, link, daemon, link_cut_seconds):
    """Problems with a drill request, in plain words, before anything touches the pair."""
    errors = []
    if not drills:
        errors.append("drill_list is empty: name at least one of %s" % ", ".join(sorted(DRILLS)))
    unknown = [d for d in drills or [] if d not in DRILLS]
    if unknown:
        errors.append("unknown drill(s) %s; the drills are: %s" % (", ".join(unknown), ", ".join(sorted(DRILLS))))
    needing = [d for d in drills or [] if d in NEEDS_POWER_OFF]
    if needing and not str(power_off_command or "").strip():
        errors.append("%s need drill_power_off_command: how to cut a node's power from the control node, "
                      "e.g. the fence agent's off action" % ", ".join(needing))
    if power_off_command and "{node}" not in str(power_off_command):
        errors.append("drill_power_off_command must say which node with {node}")
    if int(cascade_count) < 1:
        errors.append("drill_cascade_count must be 1 or more")
    if str(link) not in ("0", "1"):
        errors.append("drill_link must be 0 or 1 (the corosync link to cut)")
    if daemon not in DAEMONS:
        errors.append("drill_daemon must be one of %s" % ", ".join(sorted(DAEMONS)))
    if int(link_cut_seconds) < 20:
        errors.append("drill_link_cut_seconds must be at least 20: the cut has to outlast detection and fencing")
    return errors


_COMPLETED = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def completed_epoch(text):
    """Seconds since the epoch of a fencing event's completion ("2026-11-22 22:52:09Z"), or None."""
    match = _COMPLETED.match(str(text or "").strip())
    if not match:
        return None
    day, clock, zone = match.groups()
    zone = "+0000" if zone in (None, "Z") else zone.replace(":", "")
    moment = datetime.datetime.strptime("%s %s %s" % (day, clock, zone), "%Y-%m-%d %H:%M:%S %z")
    return (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()


def fences_after(status, since, target=None):
    """How many successful fencing actions (of one target, or any) completed at or after `since`.

    Judged by time, not by comparing history views: a node that has just rejoined receives the
    history late, and an earlier drill's fencing then looks new. Completion times have whole seconds.
    """
    since = float(since) - 1
    count = 0
    for event in (status or {}).get("fence_history") or []:
        if event.get("status") != "success" or (target is not None and event.get("target") != target):
            continue
        when = completed_epoch(event.get("completed"))
        if when is not None and when >= since:
            count += 1
    return count


def rebooted(before, after):
    """Nodes whose boot mark changed: {node: mark} read before and after a drill."""
    return sorted(node for node, mark in (after or {}).items()
                  if node in (before or {}) and str(mark).strip() != str(before[node]).strip())


def group_nodes(status, group):
    """The nodes a group runs on (all members running), or [] when it is not fully running."""
    entry = ((status or {}).get("groups") or {}).get(group)
    if not entry or not entry.get("wanted") or entry.get("running") != entry.get("wanted"):
        return []
    for rsc in status.get("resources") or []:
        if rsc.get("group") != group or not rsc.get("active"):
            continue
        if rsc.get("failed") or rsc.get("role") not in SETTLED_ROLES:
            return []  # a member failed and is being recovered, or is still starting or stopping
    return sorted(entry.get("nodes") or [])


def fail_count(status, resource, node):
    """The cluster's fail count of a resource on a node (0 when it has none)."""
    for entry in (status or {}).get("fail_counts") or []:
        if entry.get("resource") == resource and entry.get("node") == node:
            count = entry.get("fail_count")
            return count if isinstance(count, int) else 1000000  # "INFINITY"
    return 0


def daemon_recovered(status, group, resource, node, failures):
    """After the failures-th kill of a group's daemon on node: the cluster has counted that many failures and
    the group runs whole on one node again, every start done. crm_mon still says Started for a daemon that
    has died until the next monitor notices, so the count is what tells the kill was seen."""
    return fail_count(status, resource, node) >= int(failures) and len(group_nodes(status, group)) == 1


def drill_result(name, checks, recovery=None, figures="", samples=()):
    """One drill's verdict. checks: [{ok, fail}] where `fail` says what went wrong in words;
    samples: each round's seconds for the drills that repeat (kept for the benchmark)."""
    failed = [str(check["fail"]) for check in checks if not check.get("ok")]
    return {"drill": name, "passed": not failed, "recovery": recovery,
            "detail": "; ".join(failed) if failed else figures, "samples": list(samples or [])}


def summary_lines(results, skipped=()):
    """The table printed at the end of a drill run."""
    width = max([len(r["drill"]) for r in results] + [len(s) for s in skipped] + [5])
    lines = ["%-*s  %-7s  %9s  %s" % (width, "drill", "verdict", "recovery", "measured / why it failed")]
    for result in results:
        recovery = result.get("recovery")
        lines.append("%-*s  %-7s  %9s  %s" % (width, result["drill"], "pass" if result["passed"] else "FAIL",
                                              "-" if recovery in (None, "") else "%.1f s" % float(recovery),
                                              result.get("detail") or ""))
    why = ("an earlier drill failed" if any(not r["passed"] for r in results)
           else "the run stopped before it (see the failed task above)")
    for name in skipped:
        lines.append("%-*s  %-7s  %9s  %s" % (width, name, "not run", "-", why))
    passed = len([r for r in results if r["passed"]])
    lines.append("%d of %d drills passed" % (passed, len(results) + len(skipped)))
    return lines


def available_check(status):
    """The check every drill ends with: the pair is whole again (`status` from cluster_status)."""
    status = status or {}
    return {"ok": status.get("verdict") == "available",
            "fail": "the pair is not available again: %s" % "; ".join(status.get("reasons") or ["no answer"])}


def _true(value):
    return value is True or str(value).lower() == "true"


def cycle_checks(cycle):
    """Checks for one failure of the active node: recovered on the survivor, victim fenced, pair whole."""
    served_by = cycle.get("served_by")
    return [
        {"ok": _true(cycle.get("recovered")), "fail": "the service did not answer again in time"},
        {"ok": served_by in (None, "", "-", "None") or served_by == cycle.get("survivor"),
         "fail": "the service answered from %s, not from the survivor %s" % (served_by, cycle.get("survivor"))},
        {"ok": _true(cycle.get("taken_over")), "fail": "the group does not run on %s" % cycle.get("survivor")},
        {"ok": _true(cycle.get("fenced")), "fail": "%s was not fenced" % cycle.get("victim")},
        # With DRBD the survivor writes alone until the victim returns: monitoring must say so.
        {"ok": not _true(cycle.get("drbd_on_survivor")) or any(
            reason.startswith("DRBD ") and "not connected to its peer" in reason
            for reason in cycle.get("reasons_while_away") or []),
         "fail": "while %s was away, the status on %s did not name DRBD's lost peer: %s"
         % (cycle.get("victim"), cycle.get("survivor"), "; ".join(cycle.get("reasons_while_away") or ["no reasons"]))},
        {"ok": _true(cycle.get("back")), "fail": "the pair is not available again: %s"
         % "; ".join(cycle.get("reasons") or ["no answer"])},
    ]
