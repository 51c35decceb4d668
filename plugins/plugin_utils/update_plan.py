# -*- coding: utf-8 -*-
# Copyright (c) twonode.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling update's decisions (roles/update): what apt did or would do, whether a node reboots,
whether the update may start, in which order the nodes go and where the switchover falls, what to do
after a failure, and the report. Plain data in, plain data out; the control node runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re

from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import boot_mark

# Packages whose upgrade means a reboot: the kernel, the C library and init with systemd's libraries
# (everything runs on them; libudev1 is held by daemons such as multipathd and lvm2's), and the cluster stack
# with its libraries, corosync's client libraries among them (Pacemaker's daemons and sbd link them): the
# daemons would go on running the old code. Patterns as fnmatch matches them against the package name without
# its architecture. libcpg and libsam take a digit: libcpg* would also match giza's libcpgplot0, libsam*
# libsamplerate0, opensaml's libsaml12 and ncbi-vdb's libsam-extract3.
REBOOT_PACKAGES = (
    "linux-image-*", "libc6", "systemd", "libsystemd0", "dbus",
    "corosync", "libcorosync-common*", "libcpg[0-9]*", "libcmap*", "libquorum*", "libvotequorum*", "libcfg*",
    "libsam[0-9]*", "libknet*", "libnozzle*", "libqb[0-9]*", "libudev1",
    "pacemaker", "pacemaker-*", "libpacemaker*", "libcib*", "libcrmcluster*", "libcrmcommon*", "libcrmservice*",
    "liblrmd*", "libpe-rules*", "libpe-status*", "libstonithd*",
    "drbd-utils", "sbd",
)

REBOOT_MODES = ("auto", "always", "never")

# The release upgrades the update role does, each to the next Debian release only (Debian supports no
# skipped release), and what each needs of the cluster stack on the way: Pacemaker 2.1 -> 3.0 is a rolling
# upgrade upstream supports from 2.0.0 on (the node with the lower feature set stays DC while they mix).
NEXT_RELEASE = {"bookworm": "trixie"}
PREVIOUS_RELEASE = dict((new, old) for old, new in NEXT_RELEASE.items())
RELEASE_NUMBERS = {"bookworm": "12", "trixie": "13"}
# The distributions (a sources entry's suite) that name a release, as Debian spells them: the release itself
# and its -updates, -security, -backports and -proposed-updates.
_SUITE = r"(?P<suite>%s)(?P<tail>-(?:updates|security|backports|proposed-updates))?"

# Simulated (apt-get -s): "Inst NAME [OLD] (NEW ORIGIN... [ARCH])", the [OLD] part missing for a new
# package; "Remv NAME [OLD]". Run for real, dpkg says "Unpacking NAME[:ARCH] (NEW) over (OLD) ...",
# without "over (OLD)" for a new package, and "Removing NAME[:ARCH] (OLD) ...".
_INST = re.compile(r"^Inst (?P<name>\S+) (?:\[(?P<old>[^\]]*)\] )?\((?P<new>\S+)")
_REMV = re.compile(r"^Remv (?P<name>\S+)(?: \[(?P<old>[^\]]*)\])?")
_UNPACK = re.compile(r"^Unpacking (?P<name>\S+) \((?P<new>[^)\s]+)\)(?: over \((?P<old>[^)\s]+)\))? \.\.\.")
_REMOVING = re.compile(r"^Removing (?P<name>\S+) \((?P<old>[^)\s]+)\) \.\.\.")
# apt-get's summary line (apt-get 3.0 on Debian 13 still prints it), and the "Summary:" block of apt 3's `apt`.
_SUMMARY = re.compile(r"^\d+ upgraded, \d+ newly installed, \d+ to remove and (\d+) not upgraded")
_SUMMARY_3 = re.compile(r"^\s*Upgrading: \d+, Installing: \d+, Removing: \d+, Not Upgrading: (\d+)")

_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$")


def _split_arch(name):
    base, _sep, arch = name.partition(":")
    return base, arch or None


def apt_changes(text):
    """What an apt-get run did (dpkg's Unpacking and Removing lines) or, simulated with -s, would do (Inst
    and Remv lines): {upgraded: [{name, arch, from, to}], installed: [{name, arch, to}], removed: [{name,
    arch, from}], not_upgraded: apt's count or None, simulated: whether an Inst or Remv line was seen (a
    simulation with nothing to do reads as False)}. Each package once, in apt's order."""
    upgraded, installed, removed, seen = [], [], [], set()
    not_upgraded, simulated = None, False
    for line in str(text or "").splitlines():
        line = line.rstrip("\r")
        match = _INST.match(line) or _UNPACK.match(line)
        if match:
            simulated = simulated or line.startswith("Inst ")
            name, arch = _split_arch(match.group("name"))
            if ("+", name, arch) in seen:
                continue
            seen.add(("+", name, arch))
            if match.group("old"):
                upgraded.append({"name": name, "arch": arch, "from": match.group("old"), "to": match.group("new")})
            else:
                installed.append({"name": name, "arch": arch, "to": match.group("new")})
            continue
        match = _REMV.match(line) or _REMOVING.match(line)
        if match:
            simulated = simulated or line.startswith("Remv ")
            name, arch = _split_arch(match.group("name"))
            if ("-", name, arch) not in seen:
                seen.add(("-", name, arch))
                removed.append({"name": name, "arch": arch, "from": match.group("old")})
            continue
        match = _SUMMARY.match(line) or _SUMMARY_3.match(line)
        if match:
            not_upgraded = int(match.group(1))
    return {"upgraded": upgraded, "installed": installed, "removed": removed, "not_upgraded": not_upgraded,
            "simulated": simulated}


def changed_anything(changes):
    """Whether apt changed (or would change) a package."""
    return bool(changes["upgraded"] or changes["installed"] or changes["removed"])


def _names(items):
    return ", ".join(item["name"] for item in items)


def reboot_decision(changes, mode="auto", required=False, required_by="", patterns=None):
    """Whether the node reboots after apt, and why in words: {reboot, needed, why, packages}.

    needed: /run/reboot-required is there (a package asked for it; required_by: the text of
    /run/reboot-required.pkgs), or a package matching one of `patterns` (REBOOT_PACKAGES by default) was
    upgraded or newly installed. mode: auto (reboot when needed), always, never.
    """
    if mode not in REBOOT_MODES:
        raise ValueError("update_reboot must be one of %s, not %r" % (", ".join(REBOOT_MODES), mode))
    patterns = list(REBOOT_PACKAGES if patterns is None else patterns)

    def hits(items):
        return [item for item in items if any(fnmatch.fnmatchcase(item["name"], p) for p in patterns)]

    upgraded, installed = hits(changes["upgraded"]), hits(changes["installed"])
    reasons = []
    if upgraded:
        reasons.append("%s upgraded" % _names(upgraded))
    if installed:
        reasons.append("%s newly installed" % _names(installed))
    if required:
        askers = sorted(set(line.strip() for line in str(required_by or "").splitlines() if line.strip()))
        reasons.append("/run/reboot-required is there%s" % (" (%s)" % ", ".join(askers) if askers else ""))
    needed = bool(reasons)
    if mode == "always":
        why = "update_reboot is always" + ("; needed anyway: %s" % "; ".join(reasons) if needed else "")
    elif mode == "never":
        why = "update_reboot is never" + ("; it would be needed: %s" % "; ".join(reasons) if needed else "")
    elif needed:
        why = "; ".join(reasons)
    elif changed_anything(changes):
        why = "no package that was upgraded needs it"
    else:
        why = "nothing was upgraded"
    return {"reboot": mode == "always" or (mode == "auto" and needed), "needed": needed, "why": why,
            "packages": [item["name"] for item in upgraded + installed]}


def input_errors(reboot_command, packages, probe_url, reboot_patterns):
    """Problems with the update's inputs that the argument spec cannot see, in plain words."""
    errors = []
    if str(reboot_command or "").strip() and "{node}" not in str(reboot_command):
        errors.append("update_reboot_command must say which node with {node} (it runs on the control node)")
    bad = [p for p in packages or [] if not _PACKAGE_NAME.match(str(p))]
    if bad:
        errors.append("update_packages holds what is not a Debian package name: %s" % ", ".join(map(str, bad)))
    if probe_url and not re.match(r"^https?://[^/\s]+", str(probe_url)):
        errors.append("update_probe_url must be an http:// or https:// URL, not %s" % probe_url)
    if not [p for p in reboot_patterns or [] if str(p).strip()]:
        errors.append("update_reboot_packages is empty: name the packages whose upgrade needs a reboot "
                      "(update_reboot=never turns reboots off)")
    return errors


def release_errors(target, releases, packages, reboot_mode):
    """Why a release upgrade to `target` ('' for none) cannot run, from each node's release (its
    VERSION_CODENAME, {node: codename}); [] when it may. Each node must run the release before `target` or
    `target` already (a run that stopped half way goes on with the node that is left)."""
    if not target:
        return []
    errors = []
    if target not in PREVIOUS_RELEASE:
        return ["update_release %s is not a release this collection upgrades to (it knows: %s)"
                % (target, ", ".join("%s -> %s" % item for item in sorted(NEXT_RELEASE.items())))]
    if packages:
        errors.append("update_release upgrades every package: leave update_packages empty")
    if reboot_mode == "never":
        errors.append("update_release needs each node rebooted into the new release: update_reboot cannot be never")
    for node, release in sorted(releases.items()):
        if release not in (PREVIOUS_RELEASE[target], target):
            errors.append("%s runs Debian %s; update_release=%s upgrades from %s only, one release at a time"
                          % (node, release or "of an unknown release", target, PREVIOUS_RELEASE[target]))
    return errors


def release_work(releases, target):
    """The nodes that a release upgrade to `target` still has to move, in name order."""
    return sorted(node for node, release in releases.items() if target and release != target)


def rewrite_sources(text, old, new):
    """An apt sources file (one-line .list or deb822 .sources) with every suite of release `old` renamed to
    `new` (bookworm-security -> trixie-security); comments and other suites are left as they were. Returns
    (text, count of suites renamed)."""
    suite = re.compile(r"(?<![\w.-])" + _SUITE % re.escape(old) + r"(?![\w.-])")
    lines, count = [], 0
    for line in str(text or "").splitlines(True):
        body = line.lstrip()
        if body.startswith("#") or not (body.startswith("deb") or body.lower().startswith("suites:")):
            lines.append(line)
            continue
        if body.startswith("deb"):
            # deb [options] URI SUITE [COMPONENT...]: only the suite is renamed, never the URI or the options.
            match = re.match(r"^(\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?\S+\s+)(\S+)(.*)$", line, re.DOTALL)
            if match and suite.fullmatch(match.group(2)):
                line = match.group(1) + suite.sub(lambda m: new + (m.group("tail") or ""), match.group(2)) + match.group(3)
                count += 1
        else:
            head, _sep, value = line.partition(":")
            renamed, n = suite.subn(lambda m: new + (m.group("tail") or ""), value)
            line, count = head + ":" + renamed, count + n
        lines.append(line)
    return "".join(lines), count


def release_simulations(simulations, releases, target):
    """The simulations with, for each node a release upgrade still has to move, what it gets instead: the new
    release (apt's own simulation against the old release's sources says nothing about it) and a reboot."""
    if not target:
        return simulations
    result = dict(simulations)
    for node in release_work(releases, target):
        entry = dict(result.get(node) or {})
        entry["changes"] = apt_changes("")
        entry["release"] = {"from": PREVIOUS_RELEASE.get(target), "to": target}
        entry["reboot"] = {"reboot": True, "needed": True, "packages": [],
                           "why": "the release upgrade from Debian %s to %s" % (PREVIOUS_RELEASE.get(target), target)}
        result[node] = entry
    return result


def start_refusals(results, hosts):
    """Why the update must not start, from cluster_status read on each node (a looped task's results,
    `item` the inventory host); [] when it may. Both nodes must answer and call the pair available, and
    see the same two nodes."""
    refusals = []
    if len(hosts) != 2:
        return ["the play must target the two nodes of one pair, not %s" % (", ".join(hosts) or "none")]
    names = []
    for result in results:
        host = result.get("item")
        if result.get("unreachable") or result.get("failed") or "verdict" not in result:
            refusals.append("%s did not answer: %s" % (host, result.get("msg") or "no status"))
            continue
        names.append(result.get("local_node"))
        if result["verdict"] != "available":
            refusals.append("%s (%s) says the pair is %s: %s" % (
                host, result.get("local_node"), result["verdict"], "; ".join(result.get("reasons") or [])))
    for result in results:
        if "verdict" in result and sorted(result.get("nodes") or {}) != sorted(names) and len(names) == 2:
            refusals.append("%s sees the nodes %s, the inventory's hosts are %s" % (
                result.get("item"), ", ".join(sorted(result.get("nodes") or {})), ", ".join(sorted(names))))
    return refusals


def _movable(status):
    return dict((gid, g) for gid, g in sorted((status.get("groups") or {}).items()) if g.get("kind") != "clone")


def plan(status, hosts, switchover=True, work=None):
    """The order and the switchovers, from one node's cluster_status of an available pair.

    hosts: {cluster node name: inventory host}, in inventory order. The node that runs no group (the
    standby) goes first; with groups on both nodes, the one with fewer. Before a node is updated every
    group leaves it in one controlled switchover to the other node; with an active/standby pair that
    is one switchover, before the second node. work: the nodes that get anything (packages or a reboot),
    None before apt was asked; a node with nothing to get is left alone, and no group moves off it.
    Returns {order, steps: [{node, host, skip, move: {groups, from, to} or None}], run: the steps that
    run, end: {group: node}, stop_before: node or None, refused: why or None}.
    switchover=False stops before the first step that needs one (refused when the first step does).
    """
    groups = _movable(status)
    nodes = list(hosts)
    on = dict((node, [gid for gid, g in groups.items() if node in (g.get("nodes") or [])]) for node in nodes)
    first = min(nodes, key=lambda n: len(on[n]))
    second = [n for n in nodes if n != first][0]
    where = dict((gid, node) for node in nodes for gid in on[node])
    steps = []
    for node, other in ((first, second), (second, first)):
        skip = work is not None and node not in work
        leaving = sorted(gid for gid, at in where.items() if at == node) if not skip else []
        steps.append({"node": node, "host": hosts[node], "skip": skip,
                      "move": {"groups": leaving, "from": node, "to": other} if leaving else None})
        for gid in leaving:
            where[gid] = other
    runnable = [step for step in steps if not step["skip"]]
    stop_before, refused = None, None
    if not switchover:
        needing = [step["node"] for step in runnable if step["move"]]
        if needing:
            stop_before = needing[0]
        if runnable and stop_before == runnable[0]["node"]:
            refused = ("both nodes run groups (%s on %s, %s on %s): updating either one moves groups, and "
                       "update_switchover is false" % (", ".join(on[first]), first, ", ".join(on[second]), second))
    run = runnable if stop_before is None else runnable[:[step["node"] for step in runnable].index(stop_before)]
    end = dict((gid, node) for node in nodes for gid in on[node])
    for step in run:
        for gid in (step["move"] or {}).get("groups", []):
            end[gid] = step["move"]["to"]
    return {"order": [first, second], "steps": steps, "run": run, "end": end,
            "stop_before": stop_before, "refused": refused}


def work(simulations):
    """The nodes that get anything from the update: packages, or a reboot."""
    return sorted(node for node, sim in simulations.items()
                  if changed_anything(sim.get("changes") or {}) or (sim.get("reboot") or {}).get("reboot"))


def simulations(apt_results, reboot_required_results, hosts, mode="auto", patterns=None):
    """Per node, what apt's simulation says it gets and whether a reboot would follow: {node: {host, changes,
    reboot}}. apt_results: the simulated apt task looped over the hosts; reboot_required_results: a looped
    read that prints "required" and then /run/reboot-required.pkgs when /run/reboot-required is there."""
    apt_by_host = dict((r.get("item"), r) for r in apt_results)
    required_by_host = dict((r.get("item"), r) for r in reboot_required_results)
    seen = {}
    for node, host in hosts.items():
        changes = apt_changes((apt_by_host.get(host) or {}).get("stdout") or "")
        lines = str((required_by_host.get(host) or {}).get("stdout") or "").splitlines()
        required = lines[:1] == ["required"]
        seen[node] = {"host": host, "changes": changes,
                      "reboot": reboot_decision(changes, mode, required, "\n".join(lines[1:]), patterns)}
    return seen


def _package_lines(changes, indent="    "):
    lines = ["%s%s %s -> %s" % (indent, p["name"], p["from"], p["to"]) for p in changes["upgraded"]]
    lines += ["%s%s %s (new)" % (indent, p["name"], p["to"]) for p in changes["installed"]]
    lines += ["%s%s %s (removed)" % (indent, p["name"], p["from"]) for p in changes["removed"]]
    return lines


def _counts(changes):
    parts = ["%d upgraded" % len(changes["upgraded"])]
    if changes["installed"]:
        parts.append("%d new" % len(changes["installed"]))
    if changes["removed"]:
        parts.append("%d removed" % len(changes["removed"]))
    return ", ".join(parts)


def _describe_move(move):
    return "%s from %s to %s" % (", ".join(move["groups"]), move["from"], move["to"])


def plan_lines(the_plan, simulations):
    """What the update is about to do, said before it does anything (and all that check mode shows).
    simulations: {node: {changes: apt_changes of the simulation, reboot: reboot_decision of it}}."""
    first, second = the_plan["order"]
    steps = dict((s["node"], s) for s in the_plan["steps"])
    lines = ["Rolling update, one node at a time: %s first (%s), then %s." % (
        first, "it runs no group" if not steps[first]["move"] else "it runs fewer groups", second)]
    if not the_plan["run"] and the_plan["stop_before"] is None:
        lines.append("Nothing to do: neither node has a package to upgrade or a reboot to take; no group moves.")
    for node in the_plan["order"]:
        step = steps[node]
        if step.get("skip"):
            lines.append("%s: nothing to upgrade and no reboot; left alone (no group moves off it)." % node)
            continue
        if step["move"]:
            if the_plan["stop_before"] == node:
                lines.append("STOP before %s: update_switchover is false, so %s is not moved and %s is not updated."
                             % (node, ", ".join(step["move"]["groups"]), node))
                break
            moves = [s["node"] for s in the_plan["steps"] if s["move"]]
            said = "The service is interrupted while the groups move (seconds, as for failover.yml)"
            if len(moves) == 1:
                lines.append("SWITCHOVER: %s. %s; this is the update's only interruption of %s." % (
                    _describe_move(step["move"]), said, ", ".join(step["move"]["groups"])))
            else:
                lines.append("SWITCHOVER %d of %d: %s. %s." % (moves.index(node) + 1, len(moves),
                                                               _describe_move(step["move"]), said))
        sim = simulations.get(node) or {}
        changes = sim.get("changes")
        if sim.get("release"):
            lines.append("%s: RELEASE UPGRADE from Debian %s (%s) to %s (%s): its cluster stack stops, its apt sources "
                         "name %s, apt-get upgrade --without-new-pkgs then dist-upgrade; %s." % (
                             node, RELEASE_NUMBERS.get(sim["release"]["from"], "?"), sim["release"]["from"],
                             RELEASE_NUMBERS.get(sim["release"]["to"], "?"), sim["release"]["to"],
                             sim["release"]["to"], _reboot_words(sim["reboot"], future=True)))
            continue
        if changes is None:
            lines.append("%s: apt was not asked." % node)
            continue
        if not changed_anything(changes):
            lines.append("%s: nothing to upgrade; %s." % (node, _reboot_words(sim["reboot"], future=True)))
        else:
            lines.append("%s: %s; %s:" % (node, _counts(changes), _reboot_words(sim["reboot"], future=True)))
            lines += _package_lines(changes)
    moved = [step for step in the_plan["run"] if step["move"]]
    if the_plan["stop_before"] is None and moved:
        ends = sorted(set(the_plan["end"].values()))
        lines.append("At the end the groups run on %s and stay there (failover.yml moves them back, with one more "
                     "short interruption)." % ", ".join(ends))
    return lines


def _reboot_words(decision, future=False):
    if decision["reboot"]:
        return "%s (%s)" % ("a reboot follows" if future else "rebooted", decision["why"])
    return "%s (%s)" % ("no reboot" if future else "not rebooted", decision["why"])


def removal_refusal(simulations, allow):
    """Why the update must not run because apt would remove packages, or ''."""
    if allow:
        return ""
    removing = ["%s: %s" % (node, _names(sim["changes"]["removed"])) for node, sim in sorted(simulations.items())
                if sim.get("changes") and sim["changes"]["removed"]]
    if not removing:
        return ""
    return ("apt would remove packages (%s). Nothing was changed; look at apt-get -s dist-upgrade on the node, "
            "and run again with update_allow_removals=true if that is what you want" % "; ".join(removing))


def _duration(seconds):
    seconds = int(round(float(seconds)))
    return "%d min %02d s" % divmod(seconds, 60) if seconds >= 60 else "%d s" % seconds


def rejoined(status, node):
    """Whether `node` is back in the cluster as its own cluster_status says: the stack answers, the
    partition is quorate and the node is online (it may still be in standby)."""
    status = status or {}
    entry = (status.get("nodes") or {}).get(node) or {}
    return bool(status.get("stack_running") and status.get("quorate") and entry.get("online"))


def rebooted_between(before, after):
    """Whether the node booted between two readings of its boot id and PID 1's start time (the drills'
    boot mark: a container keeps the host's boot id, its PID 1 is new). False when either is unreadable."""
    first, second = boot_mark(before), boot_mark(after)
    return bool(first and second and first != second)


def statuses_by_host(results):
    """{inventory host: cluster_status result, or None when it did not answer} from a looped read."""
    return dict((r.get("item"), r if "verdict" in r and not r.get("unreachable") else None) for r in results or [])


def failure_words(result):
    """What went wrong, from a failed task's result: its message; for a loop, the first failed item's; for a
    wait on cluster_status that ran out, the verdict and its reasons."""
    result = result or {}
    failed_items = [r for r in result.get("results") or [] if r.get("failed") or r.get("unreachable")]
    if failed_items:
        return failure_words(failed_items[0])
    words = str(result.get("msg") or "").strip()
    if result.get("verdict"):
        seen = "%s%s" % (result["verdict"], ": " + "; ".join(result.get("reasons") or []) if result.get("reasons") else "")
        words = "%s%s" % (words + "; " if words else "", "still %s after %s attempts" % (seen, result.get("attempts"))
                          if result.get("attempts") else seen)
    return (words or "failed")[:600]


def rescue(stage, statuses, dpkg_audit=None):
    """After a failed step: whether to take the node out of standby, and where things stand in words.

    stage: {node, host, peer_host, step, task, result (the failed task's)}; statuses: {inventory host: its cluster_status, or None
    when it did not answer}; dpkg_audit: what `dpkg --audit` printed on the node (None: not read).
    The node leaves standby only when it is healthy: its stack answers, the peer sees it online and not
    unclean, and dpkg left no package half-installed. The update never puts a node in standby here, and
    never moves a group: the service stays where it runs, on the peer while the node is in standby.
    Returns {unstandby, lines}.
    """
    node = stage["node"]
    own = statuses.get(stage["host"]) or {}
    peer = statuses.get(stage.get("peer_host")) or {}
    view = peer if peer.get("stack_running") else own if own.get("stack_running") else {}
    entry = (view.get("nodes") or {}).get(node)
    lines = ["The update stopped at %s, step %s (%s): %s" % (node, stage["step"], stage.get("task") or "?",
                                                             failure_words(stage.get("result")))]
    if not view:
        lines.append("No node's cluster stack answered: look at the nodes now.")
        return {"unstandby": False, "lines": lines}
    unhealthy = []
    if entry is None or not entry.get("online"):
        unhealthy.append("it is not online in the cluster")
    elif entry.get("unclean"):
        unhealthy.append("the cluster does not know its state (unclean)")
    if not own.get("stack_running"):
        unhealthy.append("its cluster stack does not answer" + (
            " (stopped and masked for the release upgrade: `systemctl unmask --runtime pacemaker corosync "
            "corosync-qdevice && systemctl start pacemaker`, or reboot it)"
            if str(stage.get("release")).lower() == "true" else ""))
    if dpkg_audit is not None and str(dpkg_audit).strip():
        unhealthy.append("dpkg left packages half-installed or unconfigured (dpkg --audit): %s"
                         % " ".join(str(dpkg_audit).split())[:300])
    in_standby = bool(entry and entry.get("standby"))
    unstandby = in_standby and not unhealthy
    if unstandby:
        lines.append("%s is taken out of standby: it is online and healthy." % node)
    elif in_standby:
        lines.append("%s stays in standby: %s. Once it is fixed: ansible-playbook -i INVENTORY "
                     "playbooks/maintenance.yml -e scope=node -e name=%s -e state=off (or run update.yml again)."
                     % (node, "; ".join(unhealthy), node))
    elif unhealthy:
        lines.append("%s is not in standby; %s." % (node, "; ".join(unhealthy)))
    others = [n for n, e in sorted((view.get("nodes") or {}).items()) if n != node and e.get("standby")]
    if others and (in_standby and not unstandby):
        lines.append("WARNING: %s is in standby too, so no group can run: take the healthy node out of standby "
                     "(maintenance.yml -e scope=node -e name=NODE -e state=off)." % ", ".join(others))
    for gid, group in _movable(view).items():
        where = ", ".join(group.get("nodes") or []) or "nowhere"
        lines.append("%s runs on %s (%s of %s members)." % (gid, where, group.get("running"), group.get("wanted")))
    reasons = ": " + "; ".join(view["reasons"]) if view.get("reasons") else ""
    lines.append("The pair (seen from %s): %s%s" % (view.get("local_node"), view.get("verdict"), reasons))
    return {"unstandby": unstandby, "lines": lines}


def report_lines(report):
    """The report at the end: per node what apt did, reboot or not and why, how long; each switchover with
    its duration and the outage a client saw; where the groups run. report: {nodes: [{node, changes,
    reboot, rebooted, seconds}], switchovers: [{groups, from, to, seconds, outage: {outages,
    longest_outage} or None}], end: {groups: {group: [nodes]}, verdict, reasons}}."""
    lines = []
    # The switchover before a node's update moved the groups off that node.
    moves_from = dict((s["from"], s) for s in report.get("switchovers") or [])
    for done in report.get("nodes") or []:
        move = moves_from.get(done["node"])
        if move:
            lines.append(_switchover_line(move))
        changes = done["changes"]
        reboot = dict(done["reboot"], reboot=done.get("rebooted", done["reboot"]["reboot"]))
        release = done.get("release") or {}
        lines.append("%s: %s%s; %s; %s." % (
            done["node"], "Debian %s -> %s, " % (release["from"], release["to"]) if release else "",
            _counts(changes) if changed_anything(changes) else "nothing upgraded", _reboot_words(reboot),
            _duration(done["seconds"])))
        lines += _package_lines(changes)
    finished = set(done["node"] for done in report.get("nodes") or [])
    lines += [_switchover_line(move) for node, move in sorted(moves_from.items()) if node not in finished]
    end = report.get("end") or {}
    if end:
        where = ["%s on %s" % (gid, ", ".join(nodes) or "nowhere") for gid, nodes in sorted((end.get("groups") or {}).items())]
        reasons = ": " + "; ".join(end["reasons"]) if end.get("reasons") else ""
        lines.append("Now: %s; the pair is %s%s." % ("; ".join(where) or "no groups", end.get("verdict"), reasons))
    return lines


def _switchover_line(move):
    line = "switchover: %s in %s s" % (_describe_move(move), move["seconds"])
    outage = move.get("outage")
    if outage:
        if outage.get("outages"):
            line += "; the client saw %s s without an answer (%d outage%s)" % (
                outage["longest_outage"], outage["outages"], "" if outage["outages"] == 1 else "s")
        else:
            line += "; the client saw no outage"
    return line
