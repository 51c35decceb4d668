"""The rolling update's decisions (plugins/plugin_utils/update_plan.py, roles/update).

apt's output: the dpkg lines of two real apt-get runs on a Debian 12 machine (this project's development
machine's /var/log/apt/term.log, verbatim but for dpkg's carriage returns, stored as line ends; a test puts
CR LF back), with the matching history.log entries that apt wrote for the same runs; and apt simulations
captured verbatim on a container bed node (Debian 13.8, apt 3.0.4) with the command line ansible.builtin.apt
uses in check mode: the node as it was (nothing to do), the node with a copy of its dpkg status in which six
source packages were set back one version (a point release: libc, systemd, corosync, pacemaker, nginx,
openssl), the update_packages form, a removal with new packages, a new kernel, and apt 3's own "Summary:"
output (fixtures/apt_simulate_trixie.README says how each was taken). The statuses are cluster_status's shape
built from crm_mon output captured on the container bed.
"""
import re

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of
from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import (
    apt_changes, input_errors, plan, plan_lines, reboot_decision, rejoined, removal_refusal, report_lines, rescue, work,
    start_refusals)


def history_upgrades(text, start):
    """{name: (old, new)} from the Upgrade: line of the history.log entry that began at `start`."""
    entry = text.split("Start-Date: " + start, 1)[1].split("End-Date:", 1)[0]
    line = [l for l in entry.splitlines() if l.startswith("Upgrade: ")][0][len("Upgrade: "):]
    pairs = {}
    for item in line.split("), "):
        name, versions = item.rstrip(")").split(" (", 1)
        old, new = versions.split(", ")[:2]
        pairs[name.split(":")[0]] = (old, new)
    return pairs


def history_installs(text, start):
    entry = text.split("Start-Date: " + start, 1)[1].split("End-Date:", 1)[0]
    line = [l for l in entry.splitlines() if l.startswith("Install: ")][0][len("Install: "):]
    return dict((item.split(" (")[0].split(":")[0], item.split(" (")[1].split(",")[0].rstrip(")"))
                for item in line.split("), "))


def test_a_real_run_reads_as_what_apt_recorded_in_its_history(fixture_text):
    changes = apt_changes(fixture_text("apt_term_bookworm_install_libc6.txt"))
    history = fixture_text("apt_history_bookworm.txt")
    assert dict((p["name"], (p["from"], p["to"])) for p in changes["upgraded"]) == history_upgrades(
        history, "2026-05-20  16:27:19")
    assert dict((p["name"], p["to"]) for p in changes["installed"]) == history_installs(history, "2026-05-20  16:27:19")
    assert changes["removed"] == [] and changes["simulated"] is False
    # dpkg ends its lines with CR LF when apt runs it without a terminal (term.log has them)
    assert apt_changes(fixture_text("apt_term_bookworm_install_libc6.txt").replace("\n", "\r\n")) == changes
    libc6 = [p for p in changes["upgraded"] if p["name"] == "libc6"][0]
    assert libc6 == {"name": "libc6", "arch": "amd64", "from": "2.36-9+deb12u10", "to": "2.36-9+deb12u14"}
    # "Removing obsolete dictionary files:" and a diversion's "Removing 'diversion ..." are no removals
    assert "obsolete" not in str(changes) and "diversion" not in str(changes)


def test_a_real_upgrade_of_a_systemd_library_reboots(fixture_text):
    changes = apt_changes(fixture_text("apt_term_bookworm_upgrade_libsystemd.txt"))
    assert [(p["name"], p["from"], p["to"]) for p in changes["upgraded"]] == [
        ("libsystemd0", "252.36-1~deb12u1", "252.38-1~deb12u1"), ("libudev1", "252.36-1~deb12u1", "252.38-1~deb12u1")]
    assert history_upgrades(fixture_text("apt_history_bookworm.txt"), "2025-06-24  14:36:25") == dict(
        (p["name"], (p["from"], p["to"])) for p in changes["upgraded"])
    decision = reboot_decision(changes)
    assert decision == {"reboot": True, "needed": True, "why": "libsystemd0, libudev1 upgraded",
                        "packages": ["libsystemd0", "libudev1"]}


POINT_RELEASE = "apt_simulate_trixie_dist_upgrade_point_release.txt"
REMOVES_POSTFIX = "apt_simulate_trixie_install_exim4_removes_postfix.txt"
NOTHING_TO_DO = "apt_simulate_trixie_dist_upgrade_current.txt"


def apt_get_lists(text):
    """apt-get's own lists in the same output, to check the Inst/Remv reading against: {"packages will be
    upgraded": names, "NEW packages will be installed": names, "packages will be REMOVED": names, ...}."""
    lists, current = {}, None
    for line in text.splitlines():
        header = re.match(r"^The following (.*):$", line)
        if header:
            current = lists.setdefault(header.group(1), [])
        elif current is not None and line.startswith("  "):
            current.extend(line.split())
        else:
            current = None
    return lists


def test_a_point_release_simulation_reads_as_apt_get_lists_it_and_reboots(fixture_text):
    text = fixture_text(POINT_RELEASE)
    changes = apt_changes(text)
    assert changes["simulated"] is True and changes["not_upgraded"] == 0
    assert changes["installed"] == [] and changes["removed"] == []
    # each package once (its Conf line is no second one), as apt-get lists and counts them
    assert sorted(p["name"] for p in changes["upgraded"]) == sorted(apt_get_lists(text)["packages will be upgraded"])
    assert len(changes["upgraded"]) == 32 and "\n32 upgraded, 0 newly installed, 0 to remove" in text
    assert changes["upgraded"][0] == {"name": "libc6", "arch": None, "from": "2.41-12+deb13u4", "to": "2.41-12+deb13u5"}
    by_name = dict((p["name"], p) for p in changes["upgraded"])
    # Inst lines that end in apt's bracketed notes, and an architecture-independent package
    assert by_name["systemd"] == {"name": "systemd", "arch": None, "from": "257.9-1~deb13u1", "to": "257.13-1~deb13u1"}
    assert by_name["libsystemd-shared"]["to"] == "257.13-1~deb13u1"  # "... [amd64]) [systemd:amd64 on ...] [...]"
    assert by_name["pacemaker-common"] == {"name": "pacemaker-common", "arch": None, "from": "3.0.0-1", "to": "3.0.0-2"}
    assert (by_name["corosync"]["from"], by_name["corosync"]["to"]) == ("3.1.9-2", "3.1.9-2+deb13u1")
    decision = reboot_decision(changes)
    assert decision["reboot"] is True and decision["needed"] is True
    assert decision["packages"] == [
        "libc6", "systemd", "libsystemd0", "libcorosync-common4", "libcfg7", "libcmap4", "libcpg4", "libquorum5",
        "libvotequorum8", "corosync", "libcrmcommon68", "libpe-rules51", "libcib54", "libcrmservice53",
        "libstonithd56", "liblrmd52", "libpe-status56", "libpacemaker30", "pacemaker-cli-utils", "pacemaker-common",
        "pacemaker-resource-agents", "libcrmcluster53", "pacemaker", "libudev1"]
    assert decision["why"] == "%s upgraded" % ", ".join(decision["packages"])
    # corosync's libraries are corosync's version, libudev1 systemd's: the source packages that were set back
    assert set((by_name[n]["from"], by_name[n]["to"]) for n in (
        "libcfg7", "libcmap4", "libcpg4", "libquorum5", "libvotequorum8")) == {("3.1.9-2", "3.1.9-2+deb13u1")}
    assert (by_name["libudev1"]["from"], by_name["libudev1"]["to"]) == ("257.9-1~deb13u1", "257.13-1~deb13u1")
    # nginx and openssl alone do not reboot the node
    alone = dict(changes, upgraded=[p for p in changes["upgraded"] if p["name"].startswith(("nginx", "openssl", "libssl"))])
    assert [p["name"] for p in alone["upgraded"]] == [
        "openssl-provider-legacy", "libssl3t64", "nginx", "nginx-common", "openssl"]
    assert reboot_decision(alone)["reboot"] is False


def test_a_simulation_with_a_removal_and_new_packages(fixture_text):
    text = fixture_text(REMOVES_POSTFIX)
    changes = apt_changes(text)
    assert changes["simulated"] is True and changes["not_upgraded"] == 0 and changes["upgraded"] == []
    assert changes["removed"] == [{"name": "postfix", "arch": None, "from": "3.10.13-0+deb13u1"}]
    listed = apt_get_lists(text)
    assert [p["name"] for p in changes["removed"]] == listed["packages will be REMOVED"]
    assert sorted(p["name"] for p in changes["installed"]) == sorted(listed["NEW packages will be installed"])
    assert len(changes["installed"]) == 11
    assert {"name": "bsd-mailx", "arch": None, "to": "8.1.2-0.20220412cvs-1.1"} in changes["installed"]
    # the packages apt calls no longer required stay: this run does not remove them
    assert "libicu76" in listed["packages were automatically installed and are no longer required"]
    assert "libicu76" not in str(changes)
    assert reboot_decision(changes) == {"reboot": False, "needed": False,
                                        "why": "no package that was upgraded needs it", "packages": []}


def test_apt_3_and_apt_get_read_alike(fixture_text):
    """apt 3.0 words the same simulation in its new layout (Installing:, REMOVING:, Summary:); its Inst and
    Remv lines, and so what is read, are apt-get's."""
    assert apt_changes(fixture_text("apt3_simulate_trixie_install_exim4_removes_postfix.txt")) == apt_changes(
        fixture_text(REMOVES_POSTFIX))


def test_a_new_kernel_reboots(fixture_text):
    changes = apt_changes(fixture_text("apt_simulate_trixie_install_linux_image.txt"))
    assert len(changes["installed"]) == 17 and changes["upgraded"] == [] and changes["removed"] == []
    assert {"name": "linux-image-6.12.117+deb13-amd64", "arch": None, "to": "6.12.117-1"} in changes["installed"]
    assert {"name": "busybox", "arch": None, "to": "1:1.37.0-6+b9"} in changes["installed"]  # with an epoch
    decision = reboot_decision(changes)
    assert decision["reboot"] is True
    assert decision["why"] == "linux-image-6.12.117+deb13-amd64, linux-image-amd64 newly installed"


def test_named_packages_bring_their_own_and_the_rest_is_held_back(fixture_text):
    text = fixture_text("apt_simulate_trixie_only_upgrade_nginx_pacemaker.txt")
    changes = apt_changes(text)
    assert changes["not_upgraded"] == 17
    assert sorted(p["name"] for p in changes["upgraded"]) == sorted(apt_get_lists(text)["packages will be upgraded"])
    assert len(changes["upgraded"]) == 15 and "nginx-common" in [p["name"] for p in changes["upgraded"]]
    assert "pacemaker" in reboot_decision(changes)["packages"]


def test_nothing_to_do_is_no_change_and_no_reboot(fixture_text):
    changes = apt_changes(fixture_text(NOTHING_TO_DO))
    # without an Inst or Remv line nothing tells a simulation from a run that did nothing: simulated is False
    assert changes == {"upgraded": [], "installed": [], "removed": [], "not_upgraded": 0, "simulated": False}
    assert reboot_decision(changes) == {"reboot": False, "needed": False, "why": "nothing was upgraded", "packages": []}


def test_apt_3_summary_gives_the_held_back_count(fixture_text):
    assert apt_changes(fixture_text("apt3_simulate_trixie_install_exim4_removes_postfix.txt"))["not_upgraded"] == 0
    # the block as captured, with packages held back
    assert apt_changes("Summary:\n  Upgrading: 0, Installing: 0, Removing: 0, Not Upgrading: 2\n")["not_upgraded"] == 2


def test_an_upgrade_outside_the_list_does_not_reboot_unless_asked_for(fixture_text):
    changes = apt_changes(fixture_text("apt_term_bookworm_install_libc6.txt"))
    only_pq = dict(changes, upgraded=[p for p in changes["upgraded"] if p["name"].startswith("libpq")], installed=[])
    assert reboot_decision(only_pq) == {"reboot": False, "needed": False,
                                        "why": "no package that was upgraded needs it", "packages": []}
    required = reboot_decision(only_pq, required=True, required_by="libpq5\nlibpq5\n")
    assert required["reboot"] is True and required["why"] == "/run/reboot-required is there (libpq5)"
    assert reboot_decision(only_pq, mode="always")["reboot"] is True
    never = reboot_decision(changes, mode="never")
    assert never["reboot"] is False and never["needed"] is True
    assert never["why"] == "update_reboot is never; it would be needed: libc6 upgraded"
    mine = reboot_decision(only_pq, patterns=["libpq*"])
    assert mine["reboot"] is True and mine["packages"] == ["libpq-dev", "libpq5"]
    with pytest.raises(ValueError):
        reboot_decision(changes, mode="sometimes")


@pytest.mark.parametrize("name", ["corosync", "pacemaker", "pacemaker-cli-utils", "libcrmcommon34", "libknet1t64",
                                  "drbd-utils", "systemd", "libc6", "linux-image-6.12.48+deb13-amd64", "sbd",
                                  "libsam4", "libudev1"])
def test_the_stack_kernel_libc_and_init_need_a_reboot(name):
    changes = {"upgraded": [{"name": name, "arch": None, "from": "1", "to": "2"}], "installed": [], "removed": []}
    assert reboot_decision(changes)["reboot"] is True


def test_an_upgrade_of_only_a_corosync_library_reboots(fixture_text):
    """A corosync client library upgraded alone (update_packages naming it, or corosync held back): the running
    Pacemaker daemons and sbd keep the old library until the node restarts. The packages and versions are
    apt's, from the point release simulation."""
    changes = apt_changes(fixture_text(POINT_RELEASE))
    for name in ("libcpg4", "libcmap4", "libquorum5", "libvotequorum8", "libcfg7"):
        alone = dict(changes, upgraded=[p for p in changes["upgraded"] if p["name"] == name])
        assert alone["upgraded"] == [{"name": name, "arch": None, "from": "3.1.9-2", "to": "3.1.9-2+deb13u1"}]
        assert reboot_decision(alone, mode="auto") == {
            "reboot": True, "needed": True, "why": "%s upgraded" % name, "packages": [name]}


@pytest.mark.parametrize("name", ["libcpgplot0", "libsamplerate0", "libsaml12", "libsam-extract3", "libqbscore1.24",
                                  "libqbsscriptengine1.24"])
def test_packages_named_like_corosync_libraries_do_not_reboot(name):
    """giza's libcpgplot0, libsamplerate's, opensaml's, ncbi-vdb's and Qbs's libraries are no part of the stack."""
    changes = {"upgraded": [{"name": name, "arch": None, "from": "1", "to": "2"}], "installed": [], "removed": []}
    assert reboot_decision(changes)["reboot"] is False


def test_inputs():
    assert input_errors("", [], "", ["libc6"]) == []
    assert input_errors("tests/bed/containers.sh restart {node}", ["nginx", "libssl3:amd64"], "http://10.0.0.1/",
                        ["libc6"]) == []
    errors = "\n".join(input_errors("ipmitool power cycle", ["nginx", "-o APT::x=1", "a b"], "ftp://x", []))
    assert "update_reboot_command must say which node with {node}" in errors
    assert "not a Debian package name: -o APT::x=1, a b" in errors
    assert "update_probe_url must be an http:// or https:// URL" in errors
    assert "update_reboot_packages is empty" in errors


def _status(fixture_text, fixture, local, verdict="available", reasons=()):
    status = parse_crm_mon(fixture_text(fixture))
    status["groups"] = dict((k, dict(v, nodes=sorted(v["nodes"]))) for k, v in groups_of(status).items())
    status.update(verdict=verdict, reasons=list(reasons), local_node=local, stack_running=True)
    return status


def test_the_update_starts_only_from_an_available_pair_both_nodes_say_so(fixture_text):
    ok = [dict(_status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1"), item="node1"),
          dict(_status(fixture_text, "crm_mon_p3_group_healthy.xml", "node2"), item="node2")]
    assert start_refusals(ok, ["node1", "node2"]) == []
    degraded = [ok[0], dict(ok[1], verdict="degraded", reasons=["DRBD r0 is resynchronising (40%)"])]
    assert start_refusals(degraded, ["node1", "node2"]) == [
        "node2 (node2) says the pair is degraded: DRBD r0 is resynchronising (40%)"]
    gone = [ok[0], {"item": "node2", "unreachable": True, "msg": "ssh: connect to host 10.213.10.12: No route"}]
    assert start_refusals(gone, ["node1", "node2"]) == ["node2 did not answer: ssh: connect to host 10.213.10.12: No route"]
    assert "two nodes of one pair" in start_refusals(ok[:1], ["node1"])[0]


def test_the_standby_goes_first_and_the_one_switchover_comes_before_the_active_node(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1")
    assert status["groups"]["services"]["nodes"] == ["node1"]  # the captured pair: services on node1
    the_plan = plan(status, {"node1": "node1", "node2": "node2"})
    assert the_plan["order"] == ["node2", "node1"]
    assert the_plan["steps"] == [
        {"node": "node2", "host": "node2", "skip": False, "move": None},
        {"node": "node1", "host": "node1", "skip": False, "move": {"groups": ["services"], "from": "node1", "to": "node2"}}]
    assert the_plan["end"] == {"services": "node2"} and the_plan["stop_before"] is None and the_plan["refused"] is None
    held = plan(status, {"node1": "node1", "node2": "node2"}, switchover=False)
    assert held["stop_before"] == "node1" and held["refused"] is None


def test_a_node_with_nothing_to_get_is_left_alone_and_no_group_moves_off_it(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1")
    hosts = {"node1": "node1", "node2": "node2"}
    current = apt_changes(fixture_text(NOTHING_TO_DO))
    point = apt_changes(fixture_text(POINT_RELEASE))
    nothing = {"node1": {"changes": current, "reboot": reboot_decision(current)},
               "node2": {"changes": current, "reboot": reboot_decision(current)}}
    assert work(nothing) == []
    idle = plan(status, hosts, work=work(nothing))
    assert idle["run"] == [] and idle["end"] == {"services": "node1"}
    assert "Nothing to do: neither node has a package to upgrade or a reboot to take; no group moves." in plan_lines(
        idle, nothing)
    assert not any(line.startswith("SWITCHOVER") for line in plan_lines(idle, nothing))
    # Only the standby gets something: it is updated, the service never moves.
    standby_only = dict(nothing, node2={"changes": point, "reboot": reboot_decision(point)})
    assert work(standby_only) == ["node2"]
    the_plan = plan(status, hosts, work=work(standby_only))
    assert [s["node"] for s in the_plan["run"]] == ["node2"] and the_plan["run"][0]["move"] is None
    assert the_plan["end"] == {"services": "node1"}
    lines = plan_lines(the_plan, standby_only)
    assert "node1: nothing to upgrade and no reboot; left alone (no group moves off it)." in lines
    assert not any(line.startswith(("SWITCHOVER", "At the end")) for line in lines)
    # Only the active node: the one switchover still comes first; update_reboot=always makes both work.
    active_only = dict(nothing, node1={"changes": point, "reboot": reboot_decision(point)})
    assert [s["move"] for s in plan(status, hosts, work=work(active_only))["run"]] == [
        {"groups": ["services"], "from": "node1", "to": "node2"}]
    always = dict((n, {"changes": current, "reboot": reboot_decision(current, "always")}) for n in hosts)
    assert work(always) == ["node1", "node2"]


def test_groups_on_both_nodes_move_twice_and_without_switchovers_nothing_can_start():
    status = {"groups": {"web": {"nodes": ["a"], "kind": "group"}, "mail": {"nodes": ["b"], "kind": "group"},
                         "db": {"nodes": ["b"], "kind": "group"}, "r0-clone": {"nodes": ["a", "b"], "kind": "clone"}}}
    the_plan = plan(status, {"a": "alpha", "b": "beta"})
    assert the_plan["order"] == ["a", "b"]
    assert [s["move"] for s in the_plan["steps"]] == [
        {"groups": ["web"], "from": "a", "to": "b"}, {"groups": ["db", "mail", "web"], "from": "b", "to": "a"}]
    refused = plan(status, {"a": "alpha", "b": "beta"}, switchover=False)["refused"]
    assert refused == ("both nodes run groups (web on a, db, mail on b): updating either one moves groups, and "
                       "update_switchover is false")
    # no groups at all: inventory order, no switchover
    assert [s["move"] for s in plan({"groups": {}}, {"a": "alpha", "b": "beta"})["steps"]] == [None, None]


def test_the_plan_is_said_before_anything_happens(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1")
    the_plan = plan(status, {"node1": "node1", "node2": "node2"})
    sim = apt_changes(fixture_text(POINT_RELEASE))
    nothing = apt_changes(fixture_text(NOTHING_TO_DO))
    lines = plan_lines(the_plan, {"node2": {"changes": sim, "reboot": reboot_decision(sim)},
                                  "node1": {"changes": nothing, "reboot": reboot_decision(nothing)}})
    assert lines[0] == "Rolling update, one node at a time: node2 first (it runs no group), then node1."
    assert lines[1] == "node2: 32 upgraded; a reboot follows (%s upgraded):" % ", ".join(reboot_decision(sim)["packages"])
    assert lines[2] == "    libc6 2.41-12+deb13u4 -> 2.41-12+deb13u5"
    assert "    pacemaker 3.0.0-1 -> 3.0.0-2" in lines and len([l for l in lines if l.startswith("    ")]) == 32
    switch = [l for l in lines if l.startswith("SWITCHOVER")]
    assert switch == ["SWITCHOVER: services from node1 to node2. The service is interrupted while the groups move "
                      "(seconds, as for failover.yml); this is the update's only interruption of services."]
    assert lines.index(switch[0]) < lines.index("node1: nothing to upgrade; no reboot (nothing was upgraded).")
    assert lines[-1].startswith("At the end the groups run on node2")
    held = plan_lines(plan(status, {"node1": "node1", "node2": "node2"}, switchover=False),
                      {"node2": {"changes": sim, "reboot": reboot_decision(sim)}})
    assert held[-1] == ("STOP before node1: update_switchover is false, so services is not moved and node1 is not "
                        "updated.")
    # new packages and a removal, as the plan says them
    swap = apt_changes(fixture_text(REMOVES_POSTFIX))
    lines = plan_lines(the_plan, {"node2": {"changes": swap, "reboot": reboot_decision(swap)}})
    assert lines[1] == "node2: 0 upgraded, 11 new, 1 removed; no reboot (no package that was upgraded needs it):"
    assert "    exim4-daemon-light 4.98.2-1+deb13u5 (new)" in lines[2:13]
    assert lines[13] == "    postfix 3.10.13-0+deb13u1 (removed)"


def test_removals_stop_the_update_unless_allowed(fixture_text):
    sim = apt_changes(fixture_text(REMOVES_POSTFIX))
    simulations = {"node2": {"changes": sim}, "node1": {"changes": apt_changes(fixture_text(NOTHING_TO_DO))}}
    assert removal_refusal(simulations, allow=False).startswith(
        "apt would remove packages (node2: postfix). Nothing was changed")
    # '' rather than None: an assert task templates its fail_msg also when it passes.
    assert removal_refusal(simulations, allow=True) == ""
    assert removal_refusal({"node1": {"changes": apt_changes("")}}, allow=False) == ""
    assert removal_refusal({"node1": {"changes": apt_changes(fixture_text(POINT_RELEASE))}}, allow=False) == ""


def test_back_means_stack_quorum_and_online(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node2")
    assert rejoined(status, "node2") is True
    assert rejoined(dict(status, stack_running=False), "node2") is False
    assert rejoined(dict(status, quorate=False), "node2") is False
    offline = _status(fixture_text, "crm_mon_group_peer_stopped.xml", "node1")
    stopped = [n for n, e in offline["nodes"].items() if not e["online"]]
    assert stopped and rejoined(offline, stopped[0]) is False


def _in_standby(status, node):
    nodes = dict((n, dict(e, standby=(n == node))) for n, e in status["nodes"].items())
    return dict(status, nodes=nodes, verdict="degraded", reasons=["node %s is in standby" % node])


def test_after_a_failure_a_healthy_node_leaves_standby_and_the_service_stays_put(fixture_text):
    peer = _in_standby(_status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1"), "node2")
    own = dict(peer, local_node="node2")
    stage = {"node": "node2", "host": "node2", "peer_host": "node1", "step": "upgrade", "task": "node2 | Upgrade its packages",
             "result": {"msg": "'/usr/bin/apt-get dist-upgrade' failed: E: Failed to fetch http://deb.debian.org/..."}}
    told = rescue(stage, {"node1": peer, "node2": own}, dpkg_audit="")
    assert told["unstandby"] is True
    assert told["lines"][0] == ("The update stopped at node2, step upgrade (node2 | Upgrade its packages): "
                                "'/usr/bin/apt-get dist-upgrade' failed: E: Failed to fetch http://deb.debian.org/...")
    assert "node2 is taken out of standby: it is online and healthy." in told["lines"]
    assert "services runs on node1 (3 of 3 members)." in told["lines"]


def test_after_a_failure_a_broken_node_stays_in_standby_with_what_to_do(fixture_text):
    peer = _in_standby(_status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1"), "node2")
    stage = {"node": "node2", "host": "node2", "peer_host": "node1", "step": "upgrade", "task": "apt",
             "result": {"msg": "dpkg was interrupted"}}
    half = rescue(stage, {"node1": peer, "node2": dict(peer, local_node="node2")},
                  dpkg_audit="The following packages are only half configured:\n corosync   cluster engine\n")
    assert half["unstandby"] is False
    stays = [l for l in half["lines"] if l.startswith("node2 stays in standby")][0]
    assert "dpkg left packages half-installed or unconfigured (dpkg --audit): The following packages" in stays
    assert "playbooks/maintenance.yml -e scope=node -e name=node2 -e state=off" in stays
    # the node did not come back from its reboot: only the peer answers, and sees it offline
    gone = dict(peer, nodes=dict(peer["nodes"], node2=dict(peer["nodes"]["node2"], online=False)))
    down = rescue(dict(stage, step="reboot", result={"msg": "timed out waiting for ping module test"}),
                  {"node1": gone, "node2": None})
    assert down["unstandby"] is False
    assert any("it is not online in the cluster; its cluster stack does not answer" in l for l in down["lines"])
    assert "services runs on node1 (3 of 3 members)." in down["lines"]
    # a release upgrade stopped after the node's stack was stopped and masked: the message says how to start it
    release = rescue(dict(stage, release=True, task="Read the new release's package lists"), {"node1": gone, "node2": None})
    assert any("its cluster stack does not answer (stopped and masked for the release upgrade: `systemctl unmask "
               "--runtime pacemaker corosync corosync-qdevice && systemctl start pacemaker`, or reboot it)" in l
               for l in release["lines"])
    # nobody answers
    assert rescue(stage, {"node1": None, "node2": None})["lines"][-1] == "No node's cluster stack answered: look at the nodes now."


def test_after_a_failed_switchover_nothing_is_touched_and_the_groups_are_named(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1")
    told = rescue({"node": "node1", "host": "node1", "peer_host": "node2", "step": "switchover",
                   "task": "failover", "result": {"msg": "refusing to move: services: node2 is in standby"}},
                  {"node1": status, "node2": dict(status, local_node="node2")})
    assert told["unstandby"] is False
    assert told["lines"][1:] == ["services runs on node1 (3 of 3 members).", "The pair (seen from node2): available"]


def test_the_report_says_per_node_what_apt_did_the_reboot_the_time_and_the_switchover(fixture_text):
    libc = apt_changes(fixture_text("apt_term_bookworm_install_libc6.txt"))
    nothing = apt_changes("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
    report = {
        "nodes": [{"node": "node2", "changes": libc, "reboot": reboot_decision(libc), "rebooted": True, "seconds": 243.4},
                  {"node": "node1", "changes": nothing, "reboot": reboot_decision(nothing), "rebooted": False,
                   "seconds": 41}],
        "switchovers": [{"groups": ["services"], "from": "node1", "to": "node2", "seconds": 5.8,
                         "outage": {"outages": 1, "longest_outage": 3.25}}],
        "end": {"groups": {"services": ["node2"]}, "verdict": "available", "reasons": []}}
    lines = report_lines(report)
    assert lines[0] == "node2: 7 upgraded, 12 new; rebooted (libc6 upgraded); 4 min 03 s."
    assert "    libc6 2.36-9+deb12u10 -> 2.36-9+deb12u14" in lines and "    locales 2.36-9+deb12u14 (new)" in lines
    switch = "switchover: services from node1 to node2 in 5.8 s; the client saw 3.25 s without an answer (1 outage)"
    assert lines.index(switch) == len(lines) - 3
    assert lines[-2] == "node1: nothing upgraded; not rebooted (nothing was upgraded); 41 s."
    assert lines[-1] == "Now: services on node2; the pair is available."
    report["switchovers"][0]["outage"] = None
    assert "switchover: services from node1 to node2 in 5.8 s" in report_lines(report)


def test_a_switchover_before_a_node_that_failed_is_still_reported():
    nothing = apt_changes("")
    lines = report_lines({"nodes": [{"node": "node2", "changes": nothing, "reboot": reboot_decision(nothing),
                                     "rebooted": False, "seconds": 30}],
                          "switchovers": [{"groups": ["services"], "from": "node1", "to": "node2", "seconds": 6.1,
                                           "outage": {"outages": 0, "longest_outage": 0.0}}]})
    assert lines == ["node2: nothing upgraded; not rebooted (nothing was upgraded); 30 s.",
                     "switchover: services from node1 to node2 in 6.1 s; the client saw no outage"]


def test_a_reboot_is_a_new_boot_id_or_a_new_pid_1():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import rebooted_between
    before = "0b6f3b5e-2f4c-4d39-9a55-3c1f2e7d9a10\n123456\n"
    assert rebooted_between(before, "7d3c1f0a-99b1-4f0e-8f51-0d2b6c4e5a77\n812\n") is True  # a machine
    assert rebooted_between(before, "0b6f3b5e-2f4c-4d39-9a55-3c1f2e7d9a10\n998877\n") is True  # a container: host's boot id
    assert rebooted_between(before, before) is False
    assert rebooted_between(before, "") is False and rebooted_between("", before) is False


def test_the_steps_to_run_end_before_a_switchover_that_is_not_allowed(fixture_text):
    status = _status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1")
    hosts = {"node1": "node1", "node2": "node2"}
    assert [s["node"] for s in plan(status, hosts)["run"]] == ["node2", "node1"]
    assert [s["node"] for s in plan(status, hosts, switchover=False)["run"]] == ["node2"]


def test_the_simulations_per_node_from_the_looped_tasks(fixture_text):
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import simulations
    # with update_packages, ansible.builtin.apt runs no apt-get when every named package is current: no stdout
    apt = [{"item": "alpha", "stdout": fixture_text(POINT_RELEASE)}, {"item": "beta", "changed": False}]
    required = [{"item": "alpha", "stdout": ""}, {"item": "beta", "stdout": "required\nlibssl3\n"}]
    seen = simulations(apt, required, {"a": "alpha", "b": "beta"})
    assert seen["a"]["host"] == "alpha" and len(seen["a"]["changes"]["upgraded"]) == 32 and seen["a"]["reboot"]["reboot"]
    assert seen["b"]["changes"]["upgraded"] == [] and seen["b"]["reboot"] == {
        "reboot": True, "needed": True, "why": "/run/reboot-required is there (libssl3)", "packages": []}
    assert simulations(apt, required, {"a": "alpha", "b": "beta"}, mode="never")["b"]["reboot"]["reboot"] is False


def test_statuses_by_host_leave_out_what_did_not_answer(fixture_text):
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import statuses_by_host
    good = dict(_status(fixture_text, "crm_mon_p3_group_healthy.xml", "node1"), item="node1")
    assert statuses_by_host([good, {"item": "node2", "unreachable": True, "msg": "timed out"}]) == {
        "node1": good, "node2": None}


def test_the_failure_is_said_from_the_failed_result():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import failure_words
    assert failure_words({"msg": "refusing standby: node1 is offline"}) == "refusing standby: node1 is offline"
    waited = {"failed": True, "attempts": 360, "verdict": "degraded", "reasons": ["DRBD r0 is resynchronising (40%)"]}
    looped = {"msg": "One or more items failed",
              "results": [{"item": "node2", "verdict": "available"}, dict(waited, item="node1")]}
    assert failure_words(looped) == "still degraded: DRBD r0 is resynchronising (40%) after 360 attempts"
    assert failure_words({"unreachable": True, "msg": "Failed to connect to the host via ssh"}) == (
        "Failed to connect to the host via ssh")
    assert failure_words({}) == "failed"


def test_the_role_default_and_its_spec_are_the_code_s_reboot_list():
    import os
    import yaml
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import REBOOT_PACKAGES
    from conftest import REPO
    with open(os.path.join(REPO, "roles/update/defaults/main.yml")) as handle:
        default = yaml.safe_load(handle)["update_reboot_packages"]
    with open(os.path.join(REPO, "roles/update/meta/argument_specs.yml")) as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]["update_reboot_packages"]["default"]
    assert default == spec == list(REBOOT_PACKAGES)


def test_two_switchovers_are_counted_not_called_the_only_one():
    status = {"groups": {"web": {"nodes": ["a"], "kind": "group"}, "mail": {"nodes": ["b"], "kind": "group"}}}
    lines = plan_lines(plan(status, {"a": "alpha", "b": "beta"}), {})
    switches = [l for l in lines if l.startswith("SWITCHOVER")]
    assert switches == [
        "SWITCHOVER 1 of 2: web from a to b. The service is interrupted while the groups move (seconds, as for "
        "failover.yml).",
        "SWITCHOVER 2 of 2: mail, web from b to a. The service is interrupted while the groups move (seconds, as for "
        "failover.yml)."]


# The release upgrade (update_release). The sources are as Debian 12 installs write them: debootstrap's one line
# (the container bed's), the installer's sources.list with security and updates, and a deb822 file.
BOOKWORM_INSTALLER_LIST = """#deb cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 NETINST]/ bookworm contrib main non-free-firmware

deb http://deb.debian.org/debian/ bookworm main non-free-firmware
deb-src http://deb.debian.org/debian/ bookworm main non-free-firmware

deb http://security.debian.org/debian-security bookworm-security main non-free-firmware
deb-src http://security.debian.org/debian-security bookworm-security main non-free-firmware

# bookworm-updates, to get updates before a point release is made;
deb http://deb.debian.org/debian/ bookworm-updates main non-free-firmware
"""
BOOKWORM_DEB822 = """Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def test_the_sources_name_the_next_release_and_nothing_else_changes():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import rewrite_sources
    text, renamed = rewrite_sources(BOOKWORM_INSTALLER_LIST, "bookworm", "trixie")
    assert renamed == 5
    assert "deb http://security.debian.org/debian-security trixie-security main non-free-firmware" in text
    assert "deb-src http://deb.debian.org/debian/ trixie main non-free-firmware" in text
    assert "deb http://deb.debian.org/debian/ trixie-updates main non-free-firmware" in text
    # comments are the administrator's words: left as they were
    assert text.splitlines()[0].endswith("_Bookworm_ - Official amd64 NETINST]/ bookworm contrib main non-free-firmware")
    assert "# bookworm-updates, to get updates" in text
    text, renamed = rewrite_sources(BOOKWORM_DEB822, "bookworm", "trixie")
    assert renamed == 3 and "Suites: trixie trixie-updates trixie-backports\n" in text
    assert text.replace("trixie", "bookworm") == BOOKWORM_DEB822
    assert rewrite_sources("deb http://deb.debian.org/debian bookworm main\n", "bookworm", "trixie") == (
        "deb http://deb.debian.org/debian trixie main\n", 1)


def test_a_vendors_suite_and_a_uri_naming_the_release_are_left():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import rewrite_sources
    vendor = ("deb [signed-by=/usr/share/keyrings/bookworm.gpg] http://apt.example.com/bookworm bookworm-pgdg main\n"
              "deb http://apt.example.com/debian bookworm main\n")
    text, renamed = rewrite_sources(vendor, "bookworm", "trixie")
    assert renamed == 1
    assert text.splitlines() == [
        "deb [signed-by=/usr/share/keyrings/bookworm.gpg] http://apt.example.com/bookworm bookworm-pgdg main",
        "deb http://apt.example.com/debian trixie main"]
    assert rewrite_sources("deb http://deb.debian.org/debian trixie main\n", "bookworm", "trixie")[1] == 0


def test_a_release_upgrade_goes_to_the_next_release_only_and_needs_its_reboot():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import release_errors
    both12 = {"node1": "bookworm", "node2": "bookworm"}
    assert release_errors("", both12, [], "auto") == []
    assert release_errors("trixie", both12, [], "auto") == []
    # a run that stopped after one node goes on with the other
    assert release_errors("trixie", {"node1": "trixie", "node2": "bookworm"}, [], "auto") == []
    assert release_errors("forky", both12, [], "auto") == [
        "update_release forky is not a release this collection upgrades to (it knows: bookworm -> trixie)"]
    assert release_errors("trixie", {"node1": "bullseye", "node2": "bookworm"}, [], "auto") == [
        "node1 runs Debian bullseye; update_release=trixie upgrades from bookworm only, one release at a time"]
    assert release_errors("trixie", both12, ["openssl"], "never") == [
        "update_release upgrades every package: leave update_packages empty",
        "update_release needs each node rebooted into the new release: update_reboot cannot be never"]


def test_a_release_upgrade_is_planned_said_and_reported_per_node():
    from ansible_collections.twonode.ha.plugins.plugin_utils.update_plan import release_simulations
    nothing = apt_changes("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
    simulated = dict((n, {"host": n, "changes": nothing, "reboot": reboot_decision(nothing)}) for n in ("node1", "node2"))
    releases = {"node1": "bookworm", "node2": "trixie"}
    assert release_simulations(simulated, releases, "") is simulated
    sims = release_simulations(simulated, releases, "trixie")
    # node2 already runs trixie (an earlier run stopped after it): only node1 is moved
    assert sims["node2"] == simulated["node2"] and work(sims) == ["node1"]
    assert sims["node1"]["release"] == {"from": "bookworm", "to": "trixie"} and sims["node1"]["reboot"]["reboot"] is True
    status = {"groups": {"services": {"nodes": ["node1"], "kind": "group"}}}
    the_plan = plan(status, {"node1": "node1", "node2": "node2"}, work=work(sims))
    lines = plan_lines(the_plan, sims)
    assert ("node1: RELEASE UPGRADE from Debian 12 (bookworm) to 13 (trixie): its cluster stack stops, its apt sources "
            "name trixie, apt-get upgrade --without-new-pkgs then dist-upgrade; a reboot follows (the release upgrade "
            "from Debian bookworm to trixie).") in lines
    assert [l for l in lines if l.startswith("SWITCHOVER")][0].startswith("SWITCHOVER: services from node1 to node2.")
    done = {"node": "node1", "changes": apt_changes("Unpacking corosync (3.1.9-2) over (3.1.7-1) ..."),
            "release": sims["node1"]["release"], "reboot": sims["node1"]["reboot"], "rebooted": True, "seconds": 400}
    assert report_lines({"nodes": [done]})[0] == (
        "node1: Debian bookworm -> trixie, 1 upgraded; rebooted (the release upgrade from Debian bookworm to trixie); "
        "6 min 40 s.")
