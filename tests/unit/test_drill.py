"""The drills' plain logic and the client load's bookkeeping (roles/drill/files/drill_load.py)."""
import importlib.util
import json
import os

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import drbd_problems, parse_proc_drbd
from ansible_collections.twonode.ha.plugins.module_utils.drill_plan import (
    available_check, completed_epoch, cycle_checks, daemon_recovered, drill_result, fences_after, group_nodes, rebooted,
    request_errors, summary_lines)
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of
from ansible_collections.twonode.ha.plugins.filter.drill import drill_ssh_arg

from conftest import REPO

_spec = importlib.util.spec_from_file_location("drill_load", os.path.join(REPO, "roles/drill/files/drill_load.py"))
drill_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(drill_load)


def status_of(fixture_text, name):
    status = parse_crm_mon(fixture_text(name))
    status["groups"] = {k: dict(v, nodes=sorted(v["nodes"])) for k, v in groups_of(status).items()}
    return status


def test_a_good_request_has_no_errors():
    assert request_errors(["active_power_off", "daemon_kill"], "podman kill twonode-{node}", 3, 1, "nginx", 60) == []
    assert request_errors(["link_cut_one"], "", 1, "0", "postfix", 20) == []


def test_bad_requests_are_named():
    errors = request_errors(["active_power_off", "reboot_everything"], "", 0, 2, "apache", 5)
    text = "\n".join(errors)
    assert "unknown drill(s) reboot_everything" in text
    assert "active_power_off need drill_power_off_command" in text
    assert "drill_cascade_count must be 1 or more" in text
    assert "drill_link must be 0 or 1" in text
    assert "drill_daemon must be one of nginx, postfix" in text
    assert "drill_link_cut_seconds must be at least 20" in text
    assert request_errors([], "", 1, 1, "nginx", 60)[0].startswith("drill_list is empty")
    assert request_errors(["active_power_off"], "poweroff-all", 1, 1, "nginx", 60) == [
        "drill_power_off_command must say which node with {node}"]


def test_where_the_group_runs_from_captured_status(fixture_text):
    healthy = status_of(fixture_text, "crm_mon_group_healthy.xml")
    assert group_nodes(healthy, "services") == ["node1"]
    assert group_nodes(healthy, "nothing") == []
    stopped = status_of(fixture_text, "crm_mon_group_peer_stopped.xml")
    assert group_nodes(stopped, "services") == ["node1"]
    # a member marked failed means "being recovered", not running
    for rsc in healthy["resources"]:
        if rsc["id"] == "services-nginx":
            rsc["failed"] = True
    assert group_nodes(healthy, "services") == []


def test_a_killed_daemon_counts_as_recovered_only_once_counted_and_started_again(fixture_text):
    # Captured on the VM bed, polling crm_mon on vm2 after `pkill -9 -x nginx` (monitor every 10 s):
    # 0.3 s still "Started" with no fail count, 12 s failed, 32 s Stopping, 40 s Starting, 47 s nginx Started
    # while postfix (after it in the group) is restarted too, still Starting; 84 s all Started.
    def recovered(name, failures=1):
        return daemon_recovered(status_of(fixture_text, name), "services", "services-nginx", "vm2", failures)

    assert not recovered("crm_mon_vm_nginx_killed_unnoticed.xml")
    assert not recovered("crm_mon_vm_nginx_failed.xml")
    assert not recovered("crm_mon_vm_nginx_stopping.xml")
    assert not recovered("crm_mon_vm_nginx_starting.xml")
    assert not recovered("crm_mon_vm_nginx_back_postfix_starting.xml")
    assert recovered("crm_mon_vm_nginx_restarted.xml")
    # the second kill is not counted yet in the same picture
    assert not recovered("crm_mon_vm_nginx_restarted.xml", failures=2)
    assert not daemon_recovered(status_of(fixture_text, "crm_mon_vm_nginx_restarted.xml"), "services", "services-nginx", "vm1", 1)


def test_a_member_still_starting_is_not_running(fixture_text):
    # crm_mon counts a member whose start is under way as active (and not failed)
    assert group_nodes(status_of(fixture_text, "crm_mon_vm_nginx_back_postfix_starting.xml"), "services") == []
    assert group_nodes(status_of(fixture_text, "crm_mon_vm_nginx_restarted.xml"), "services") == ["vm2"]


def test_fencing_counts_only_when_it_completed_after_the_drill_started(fixture_text):
    fenced = status_of(fixture_text, "crm_mon_group_peer_fenced.xml")
    (event,) = [e for e in fenced["fence_history"] if e["status"] == "success"][:1]
    when = completed_epoch(event["completed"])
    assert when == completed_epoch(event["completed"].replace("Z", " +00:00"))
    assert fences_after(fenced, when - 30) >= 1
    assert fences_after(fenced, when - 30, event["target"]) >= 1
    assert fences_after(fenced, when - 30, "no-such-node") == 0
    # The earlier drill's fencing, seen late by a node that just rejoined, is not this drill's.
    assert fences_after(fenced, when + 60) == 0
    assert fences_after(None, 0) == 0


@pytest.mark.parametrize("text,expected", [
    ("2026-11-22 22:52:09Z", 1795387929.0),
    ("2026-11-22 23:52:09 +01:00", 1795387929.0),
    ("2026-11-22T22:52:09.123+0000", 1795387929.0),
    ("yesterday", None), (None, None)])
def test_completion_times_as_pacemaker_prints_them(text, expected):
    assert completed_epoch(text) == expected


def test_a_node_rebooted_when_its_boot_mark_changed():
    before = {"node1": "2f1c\n4711", "node2": "2f1c\n4790"}
    assert rebooted(before, dict(before)) == []
    assert rebooted(before, {"node1": "2f1c\n4711", "node2": "2f1c\n9120"}) == ["node2"]   # container restarted
    assert rebooted(before, {"node1": "9ab0\n1", "node2": "2f1c\n4790"}) == ["node1"]      # kernel rebooted
    assert rebooted(before, {"node1": "2f1c\n4711"}) == []


def test_a_cycle_passes_only_when_everything_happened():
    good = {"victim": "vm1", "survivor": "vm2", "recovered": True, "recovered_after": 61.2, "served_by": "vm2",
            "taken_over": True, "fenced": True, "back": True, "reasons": []}
    assert drill_result("active_power_off", cycle_checks(good), 61.2, "ok")["passed"]
    bad = dict(good, served_by="vm1", fenced=False, back=False, reasons=["node vm1 is offline"])
    result = drill_result("active_power_off", cycle_checks(bad), 61.2, "ok")
    assert not result["passed"]
    assert result["detail"] == ("the service answered from vm1, not from the survivor vm2; vm1 was not fenced; "
                                "the pair is not available again: node vm1 is offline")
    # booleans that went through templating as strings still count
    assert drill_result("x", cycle_checks(dict(good, recovered="True", fenced="true")))["passed"]


def test_a_cycle_with_drbd_needs_the_alarm_for_the_lost_peer(fixture_text):
    volumes = parse_proc_drbd(fixture_text("proc_drbd_84_disconnected.txt"), {0: "r0"})
    away = {"victim": "vm1", "survivor": "vm2", "recovered": True, "served_by": "vm2", "taken_over": True,
            "fenced": True, "back": True, "reasons": [], "drbd_on_survivor": True,
            "reasons_while_away": ["node vm1 is offline"] + drbd_problems(volumes)}
    assert drill_result("active_power_off", cycle_checks(away))["passed"]
    silent = dict(away, reasons_while_away=["node vm1 is offline"])
    result = drill_result("active_power_off", cycle_checks(silent))
    assert result["detail"] == "while vm1 was away, the status on vm2 did not name DRBD's lost peer: node vm1 is offline"
    # no DRBD (the container bed): nothing to name
    assert drill_result("active_power_off", cycle_checks(dict(silent, drbd_on_survivor="False")))["passed"]


def test_summary_table():
    results = [drill_result("standby_power_off", [{"ok": True, "fail": ""}], 42.0, "alarm after 6 s"),
               drill_result("active_power_off", [{"ok": False, "fail": "vm1 was not fenced"}], None)]
    lines = summary_lines(results, ["daemon_kill"])
    assert lines[1].split()[:4] == ["standby_power_off", "pass", "42.0", "s"]
    assert "FAIL" in lines[2] and lines[2].endswith("vm1 was not fenced")
    assert "not run" in lines[3] and lines[3].endswith("an earlier drill failed")
    assert lines[-1] == "1 of 3 drills passed"
    # nothing failed, yet drills were not run: the run itself stopped (e.g. the client load never started)
    assert summary_lines([], ["daemon_kill"])[1].endswith("the run stopped before it (see the failed task above)")


def test_ssh_argument_for_the_load_generator():
    assert drill_ssh_arg(["vm1", {"ansible_host": "127.0.0.1", "ansible_port": 2221, "ansible_user": "root"}]) == \
        "--node=vm1=root@127.0.0.1:2221"
    assert drill_ssh_arg(["node1", {"inventory_hostname": "node1"}]) == "--node=node1=root@node1:22"


def test_outages_from_probes():
    timeline = drill_load.Timeline()
    timeline.record(False, 0.0, 1.0)   # before the first answer: not an outage
    timeline.record(True, 1.0, 1.1)
    timeline.record(False, 5.0, 6.0)
    timeline.record(False, 6.0, 7.0)
    timeline.record(True, 12.0, 12.2)
    assert timeline.outages == [[5.0, 12.2]]
    timeline.record(False, 20.0, 21.0)
    assert timeline.outages[-1] == [20.0, None]


def test_recovery_window():
    outages = [[5.0, 12.2], [100.0, 130.0]]
    assert drill_load.window(outages, 4.0, 50.0) == {"outages": 1, "longest_outage": 7.2, "ongoing": False,
                                                     "recovered_after": 8.2}
    assert drill_load.window(outages, 50.0, 90.0)["outages"] == 0
    assert drill_load.window(outages, 50.0, 90.0)["recovered_after"] is None
    ongoing = drill_load.window([[100.0, None]], 99.0, 110.0)
    assert ongoing["ongoing"] and ongoing["longest_outage"] == 10.0 and ongoing["recovered_after"] is None


def test_missing_writes():
    acked = ["1 10.0 vm1\n", "2 10.5 vm1\n", "3 70.0 vm2\n", "4 99.0 vm2\n"]
    assert drill_load.missing_writes(acked, ["1\n", "2\n", "3\n"], 80.0) == (["1", "2", "3"], [])
    assert drill_load.missing_writes(acked, ["1\n", "3\n"], 80.0) == (["1", "2", "3"], ["2"])


def test_wait_and_window_read_the_state(tmp_path, capsys):
    state = {"updated": 200.0, "stopped": False, "http": [[100.0, 161.0]], "writes": [[100.0, 170.0]],
             "counts": {"acked": 5}, "served_by": "vm2", "writing": True}
    (tmp_path / "status.json").write_text(json.dumps(state))
    drill_load.main(["wait", "--state", str(tmp_path), "--since", "99.5", "--expect-outage", "--timeout", "1"])
    result = json.loads(capsys.readouterr().out)
    assert result["recovered_after"] == 61.5 and result["served_by"] == "vm2" and "timed_out" not in result
    drill_load.main(["window", "--state", str(tmp_path), "--since", "99.5"])
    result = json.loads(capsys.readouterr().out)
    assert result["writes"]["longest_outage"] == 70.0


def test_a_waiter_ignores_the_state_an_earlier_stopped_run_left(tmp_path):
    # The client starts in the background; a waiter that comes first must not take the last run's
    # stopped state for this run's (CI once gave up at once on it).
    assert drill_load.started_state(str(tmp_path), 100.0) is None
    (tmp_path / "status.json").write_text(json.dumps({"updated": 50.0, "stopped": True}))
    assert drill_load.started_state(str(tmp_path), 100.0) is None
    (tmp_path / "status.json").write_text(json.dumps({"updated": 100.5, "stopped": False}))
    assert drill_load.started_state(str(tmp_path), 100.0)["stopped"] is False
    # a run that stopped after the waiter began is this run's end, not a leftover
    (tmp_path / "status.json").write_text(json.dumps({"updated": 150.0, "stopped": True}))
    assert drill_load.started_state(str(tmp_path), 100.0)["stopped"] is True
    out = drill_load.main(["wait", "--state", str(tmp_path), "--since", "200", "--timeout", "0"])
    assert out is None


def test_every_drill_ends_with_the_pair_available():
    assert available_check({"verdict": "available", "reasons": []})["ok"]
    check = available_check({"verdict": "degraded", "reasons": ["node vm1 is offline", "DRBD r0 is not connected"]})
    assert not check["ok"] and check["fail"] == ("the pair is not available again: node vm1 is offline; "
                                                 "DRBD r0 is not connected")
    # a status that never came (until gave up with no answer)
    assert available_check({})["fail"] == "the pair is not available again: no answer"


def test_the_load_belongs_to_the_outermost_playbook_process():
    # module (40) <- sh (30) <- Ansible's worker (20, a fork of the playbook) <- the playbook (10) <- a shell (5)
    parents = {50: 40, 40: 30, 30: 20, 20: 10, 10: 5, 5: 1}
    commands = {40: ["/usr/bin/python3", "/root/.ansible/tmp/x/AnsiballZ_command.py"], 30: ["/bin/sh", "-c", "python3 x"],
                20: ["/venv/bin/python3", "/venv/bin/ansible-playbook", "drill.yml"],
                10: ["/venv/bin/python3", "/venv/bin/ansible-playbook", "drill.yml"], 5: ["bash"]}
    assert drill_load.playbook_ancestor(50, parents.get, lambda pid: commands.get(pid, [])) == 10


def test_a_load_started_outside_a_playbook_watches_nothing():
    parents = {50: 40, 40: 1}
    commands = {40: ["bash"]}
    assert drill_load.playbook_ancestor(50, parents.get, lambda pid: commands.get(pid, [])) is None
    assert drill_load.process_alive(None)


def test_the_load_notices_its_playbook_is_gone():
    import subprocess
    child = subprocess.Popen(["true"])
    child.wait()
    assert not drill_load.process_alive(child.pid)
    assert drill_load.process_alive(os.getpid())
