# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure drills' plain logic: which drills exist, checking a request, verdicts, the summary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import SETTLED_ROLES

# What each does is documented in roles/drill/meta/argument_specs.yml.
DRILLS = ("standby_power_off", "active_power_off", "link_cut_one", "link_cut_both", "stack_crash", "kernel_panic",
          "daemon_kill", "cascade_switchover", "cascade_power_off", "arbitrator_lost")
NEEDS_POWER_OFF = ("standby_power_off", "active_power_off", "cascade_power_off")
DAEMONS = {"nginx": "nginx", "postfix": "master"}  # service name: its main process


def request_errors(drills, power_off_command, cascade_count, link, daemon, link_cut_seconds, alarm_log="",
                   alarm_timeout=60, arbitrator_commands=("", "")):
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
    if alarm_log and not str(alarm_log).startswith("/"):
        errors.append("drill_alarm_log must be an absolute path on the control node (%s is not)" % alarm_log)
    if int(alarm_timeout) < 1:
        errors.append("drill_alarm_timeout must be 1 or more seconds")
    if "arbitrator_lost" in (drills or []) and not all(str(c or "").strip() for c in arbitrator_commands):
        errors.append("arbitrator_lost needs drill_arbitrator_power_off_command and drill_arbitrator_power_on_command: "
                      "how to cut the arbitrator's power from the control node and give it back")
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


# Read on each node by one raw command, two lines: the kernel's boot id, then when PID 1 started (in
# clock ticks since boot). A VM or server that rebooted has a new boot id; a container restarted by its
# fence agent shares the host's kernel and keeps it, but its PID 1 starts anew.
BOOT_MARK_COMMAND = "cat /proc/sys/kernel/random/boot_id && cut -d' ' -f22 /proc/1/stat"


def boot_mark(text):
    """{"boot_id", "init_started"} from BOOT_MARK_COMMAND's output, or None when it is not that output."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if len(lines) != 2 or len(lines[0]) != 36 or lines[0].count("-") != 4 or not lines[1].isdigit():
        return None
    return {"boot_id": lines[0], "init_started": int(lines[1])}


def boot_marks(results):
    """{node: boot mark or None} from a looped raw task's results (item: the node's cluster name).
    A node that did not answer (unreachable, failed) has None."""
    marks = {}
    for result in results or []:
        answered = not result.get("unreachable") and result.get("rc", 1) == 0
        marks[result["item"]] = boot_mark(result.get("stdout")) if answered else None
    return marks


def rebooted(before, after):
    """Nodes that booted between two readings of boot_marks(): a new boot id or a new PID 1. A node read
    before but not after counts (it was gone); a node not read before cannot be judged and does not."""
    changed = []
    for node, mark in sorted((before or {}).items()):
        if mark is None:
            continue
        now = (after or {}).get(node)
        if now is None or now["boot_id"] != mark["boot_id"] or now["init_started"] != mark["init_started"]:
            changed.append(node)
    return changed


def node_offline(status, node):
    """Whether cluster_status (as one node sees it) has `node` as a member that is not online.
    False when the status has no such node (the stack did not answer): that is no alarm."""
    entry = ((status or {}).get("nodes") or {}).get(node)
    return entry is not None and entry.get("online") is False


def arbitrator_loss_seen(status):
    """What arbitrator_lost waits for: an arbitrator configured that casts no vote, the pair degraded (not down)."""
    arbitrator = (status or {}).get("arbitrator") or {}
    return ((status or {}).get("verdict") == "degraded" and bool(arbitrator.get("configured"))
            and not arbitrator.get("voting"))


def standby_loss_seen(status, node):
    """The alarm standby_power_off waits for: the pair degraded (not down) and `node` offline."""
    return (status or {}).get("verdict") == "degraded" and node_offline(status, node)


def _alarms_since(log_text, since):
    """The alarms a receiver logged at or after `since`: one JSON object a line, {"received": EPOCH, "alarm":
    the alert agent's webhook payload} (as tests/bed/alarm_receiver.py writes them), in order. A line that is
    not such an object (one being written as it is read) is skipped."""
    alarms = []
    for line in str(log_text or "").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("alarm"), dict):
            continue
        received = entry.get("received")
        if isinstance(received, (int, float)) and not isinstance(received, bool) and received >= float(since):
            alarms.append(entry)
    return alarms


def _tells_node_lost(alarm, node):
    """Pacemaker's node event (through the agent) that `node` left the cluster: kind node, not "member"."""
    return (alarm.get("kind") == "node" and alarm.get("node") == node
            and (alarm.get("event") or {}).get("desc") not in (None, "", "member"))


def alarm_check(log_text, node, since, timeout, log):
    """standby_power_off's alarm check from the receiver's log on the control node (log_text; log: its path,
    empty when the user has no receiver, then there is no check). Passes when the first alarm that says
    `node` was lost, received at or after `since` (the power-off, the control node's clock), came within
    `timeout` seconds. {ok, fail, seconds: from the power-off to that alarm or None, summary, checked}."""
    if not log:
        return {"ok": True, "fail": "", "seconds": None, "summary": "", "checked": False}
    alarms = _alarms_since(log_text, since)
    lost = [entry for entry in alarms if _tells_node_lost(entry["alarm"], node)]
    if not lost:
        others = "; ".join(str(entry["alarm"].get("summary") or entry["alarm"].get("kind")) for entry in alarms[:3])
        return {"ok": False, "seconds": None, "summary": "", "checked": True,
                "fail": "no alarm that %s was lost reached %s within %s s of the power-off (since then: %s)"
                % (node, log, timeout, others or "nothing")}
    seconds = round(lost[0]["received"] - float(since), 1)
    late = seconds > float(timeout)
    return {"ok": not late, "seconds": seconds, "summary": str(lost[0]["alarm"].get("summary") or ""), "checked": True,
            "fail": "the alarm that %s was lost reached %s after %s s, more than %s s" % (node, log, seconds, timeout)
            if late else ""}


def links_down(status, link=None):
    """Corosync links on which a peer is not connected, [{link, peer, state}] (from cluster_status's
    `links`), of one link number or of all."""
    down = []
    for entry in (status or {}).get("links") or []:
        if link is not None and str(entry.get("link")) != str(link):
            continue
        for peer, state in sorted((entry.get("peers") or {}).items()):
            if state not in ("localhost", "connected"):
                down.append({"link": entry.get("link"), "peer": peer, "state": state})
    return down


def link_loss_seen(status, link):
    """The alarm link_cut_one waits for: the pair degraded and corosync link `link` down to the peer."""
    return (status or {}).get("verdict") == "degraded" and bool(links_down(status, link))


def describe_links_down(status, link=None):
    """links_down() in words for the drill's figures, "" when every link is up."""
    return ", ".join("link %s to %s %s" % (d["link"], d["peer"], d["state"]) for d in links_down(status, link))


def drbd_peer_lost(volumes):
    """Whether DRBD volumes (cluster_status's `drbd`) show the peer gone: a volume not connected to it.
    A split brain is another alarm, not this one."""
    return any(vol.get("connection") != "Connected" and not vol.get("split_brain") for vol in volumes or [])


def pair_roles(status, group, nodes):
    """{"active", "standby"}: where `group` runs whole (cluster_status) and the other of the two `nodes`;
    {} unless it runs on exactly one of them."""
    running = group_nodes(status, group)
    if len(running) != 1 or running[0] not in nodes:
        return {}
    return {"active": running[0], "standby": [node for node in nodes if node != running[0]][0]}


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


def drill_result(name, checks, recovery=None, figures="", samples=(), measured=None):
    """One drill's verdict. checks: [{ok, fail}] where `fail` says what went wrong in words;
    samples: each round's seconds for the drills that repeat (kept for the benchmark); measured: the
    figures as data ({name: number or dict}) for results.json, so tests read them instead of prose."""
    failed = [str(check["fail"]) for check in checks if not _true(check.get("ok"))]
    return {"drill": name, "passed": not failed, "recovery": _number(recovery),
            "detail": "; ".join(failed) if failed else figures, "samples": [_number(s) for s in samples or []],
            "measured": dict(measured or {})}


def _number(value):
    """Seconds that went through templating (maybe as text) as a float; None stays None."""
    if value is None or value == "" or str(value) == "None":
        return None
    return float(value)


def results_document(results, planned, load=None):
    """What results.json holds: every drill's verdict, the drills not run, the client load's counts
    (probes, acknowledged, refused and unanswered writes) and whether the whole run passed."""
    ran = [result["drill"] for result in results]
    not_run = list(planned[len(ran):]) if ran == list(planned[:len(ran)]) else [d for d in planned if d not in ran]
    return {"drills": list(results), "not_run": not_run, "client_load": dict(load or {}),
            "passed": bool(results) and not not_run and all(result["passed"] for result in results)}


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
        {"ok": not cycle.get("drbd_while_away") or drbd_peer_lost(cycle["drbd_while_away"]),
         "fail": "while %s was away, the status on %s did not show DRBD's lost peer (DRBD: %s; reasons: %s)"
         % (cycle.get("victim"), cycle.get("survivor"),
            ", ".join("%s %s" % (vol.get("name") or vol.get("minor"), vol.get("connection"))
                      for vol in cycle["drbd_while_away"]) if cycle.get("drbd_while_away") else "none",
            "; ".join(cycle.get("reasons_while_away") or ["none"]))},
        {"ok": _true(cycle.get("back")), "fail": "the pair is not available again: %s"
         % "; ".join(cycle.get("reasons") or ["no answer"])},
    ]
