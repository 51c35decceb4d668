"""The drills' plain logic and the client load's bookkeeping (roles/drill/files/drill_load.py)."""
import importlib.util
import json
import os

import pytest
import yaml

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import drbd_problems, parse_proc_drbd
from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import (
    available_check, boot_mark, boot_marks, completed_epoch, cycle_checks, daemon_recovered, drill_result, fences_after,
    group_nodes, rebooted, request_errors, results_document, summary_lines)
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of
from ansible_collections.twonode.ha.plugins.filter.drill import drill_node_spec

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


BOOT_A = "2f1c7a4e-5b8d-4c1e-9a7f-0d3e6b2c8a11"
BOOT_B = "9ab04d2c-1e7f-4a3b-8c5d-6f2e1a0b9c77"


def boot_read(node, stdout, rc=0, **extra):
    """One item of the looped raw task's results, as Ansible registers it."""
    return dict({"item": node, "rc": rc, "stdout": stdout, "changed": False}, **extra)


def test_a_boot_mark_is_the_boot_id_and_when_pid_1_started():
    assert boot_mark(BOOT_A + "\r\n4711\r\n") == {"boot_id": BOOT_A, "init_started": 4711}  # raw's pty ends lines with CR
    assert boot_mark("") is None
    assert boot_mark("cat: /proc/sys/kernel/random/boot_id: No such file or directory\n4711\n") is None
    assert boot_mark(BOOT_A + "\n") is None


def test_boot_marks_from_the_registered_reads():
    marks = boot_marks([boot_read("node1", BOOT_A + "\n4711\n"), boot_read("node2", "", rc=255, unreachable=True),
                        boot_read("vm3", BOOT_A + "\n12\n", rc=1)])
    assert marks == {"node1": {"boot_id": BOOT_A, "init_started": 4711}, "node2": None, "vm3": None}


def test_a_node_rebooted_when_its_boot_mark_changed():
    before = boot_marks([boot_read("node1", BOOT_A + "\n4711\n"), boot_read("node2", BOOT_A + "\n4790\n")])
    assert rebooted(before, dict(before)) == []
    # a container restarted by fence_docker: same kernel (boot id), a new PID 1
    assert rebooted(before, boot_marks([boot_read("node1", BOOT_A + "\n4711\n"),
                                        boot_read("node2", BOOT_A + "\n9120\n")])) == ["node2"]
    # a VM or server that rebooted: a new boot id (its PID 1 may start at the same tick)
    assert rebooted(before, boot_marks([boot_read("node1", BOOT_B + "\n4711\n"),
                                        boot_read("node2", BOOT_A + "\n4790\n")])) == ["node1"]
    # read before but not after: it was gone; not read before: nothing to compare with
    assert rebooted(before, {"node1": before["node1"], "node2": None}) == ["node2"]
    assert rebooted({"node1": None, "node2": before["node2"]}, dict(before)) == []


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


def test_a_cycle_with_drbd_needs_the_status_to_show_the_lost_peer(fixture_text):
    # DRBD on the survivor as cluster_status returns it, captured while the peer was away, then after the resync
    away_volumes = parse_proc_drbd(fixture_text("proc_drbd_84_disconnected.txt"), {0: "r0"})
    healthy_volumes = parse_proc_drbd(fixture_text("proc_drbd_84_healthy.txt"), {0: "r0"})
    away = {"victim": "vm1", "survivor": "vm2", "recovered": True, "served_by": "vm2", "taken_over": True,
            "fenced": True, "back": True, "reasons": [], "drbd_while_away": away_volumes,
            "reasons_while_away": ["node vm1 is offline"] + drbd_problems(away_volumes)}
    assert drill_result("active_power_off", cycle_checks(away))["passed"]
    # DRBD still says Connected although the peer is gone: the status did not show it
    silent = dict(away, drbd_while_away=healthy_volumes, reasons_while_away=["node vm1 is offline"])
    result = drill_result("active_power_off", cycle_checks(silent))
    assert result["detail"] == ("while vm1 was away, the status on vm2 did not show DRBD's lost peer "
                                "(DRBD: r0 Connected; reasons: node vm1 is offline)")
    # no DRBD (the container bed): nothing to show
    assert drill_result("active_power_off", cycle_checks(dict(silent, drbd_while_away=[])))["passed"]


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


def test_results_document_holds_verdicts_what_did_not_run_and_the_load():
    ran = [drill_result("standby_power_off", [{"ok": True, "fail": ""}], "42.0", "ok", measured={"alarm_after": 6.1}),
           drill_result("link_cut_one", [{"ok": "False", "fail": "the group moved"}], None)]
    load = {"probes_ok": 900, "probes_failed": 12, "acked": 0, "refused": 0, "unanswered": 0}
    document = results_document(ran, ["standby_power_off", "link_cut_one", "daemon_kill"], load)
    assert document["not_run"] == ["daemon_kill"] and document["client_load"] == load and document["passed"] is False
    first, second = document["drills"]
    # seconds that went through templating as text come out as numbers; a check's "False" text is a failure
    assert first["recovery"] == 42.0 and first["measured"] == {"alarm_after": 6.1} and first["passed"]
    assert not second["passed"] and second["detail"] == "the group moved" and second["recovery"] is None
    assert results_document(ran[:1], ["standby_power_off"])["passed"] is True
    assert results_document([], ["standby_power_off"])["passed"] is False


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


def _inventory_vars(name):
    with open(os.path.join(REPO, "inventories", name, "hosts.yml")) as handle:
        pair = yaml.safe_load(handle)["ha_pair"]
    return {host: dict(pair.get("vars") or {}, inventory_hostname=host, **(hostvars or {}))
            for host, hostvars in pair["hosts"].items()}


def test_the_client_reaches_the_nodes_as_the_inventory_says():
    vm1 = drill_node_spec(["vm1", _inventory_vars("vmbed")["vm1"]])
    assert vm1["host"] == "127.0.0.1" and vm1["port"] == 2221 and vm1["user"] == "root"
    assert vm1["key"] == "/var/lib/twonode-bed/vms/ssh/id_ed25519"
    command = drill_load.ssh_command(vm1, "true")
    assert command[:3] == ["ssh", "-q", "-T"] and command[-2:] == ["127.0.0.1", "true"]
    assert command[command.index("-p") + 1] == "2221" and command[command.index("-l") + 1] == "root"
    # the bed's inventory turns host key checks off for its rebuilt nodes; the client follows it, and its own
    # timeouts come first (ssh keeps an option's first value), ahead of the inventory's ConnectTimeout=60
    assert "StrictHostKeyChecking=no" in command and "UserKnownHostsFile=/dev/null" in command
    assert command.index("ConnectTimeout=3") < command.index("ConnectTimeout=60")


def test_the_client_checks_host_keys_unless_the_inventory_says_otherwise():
    node = drill_node_spec(["alpha", {"inventory_hostname": "alpha.example.net", "ansible_ssh_extra_args": "-o ProxyJump=bastion"}])
    assert node == {"name": "alpha", "host": "alpha.example.net", "port": None, "user": None, "key": None,
                    "options": ["-o", "ProxyJump=bastion"]}
    command = drill_load.ssh_command(node, "true")
    # port and user left to SSH's own configuration, as Ansible leaves them
    assert "-p" not in command and "-l" not in command
    assert not [arg for arg in command if "StrictHostKeyChecking" in arg or "UserKnownHostsFile" in arg]
    assert command[-4:] == ["-o", "ProxyJump=bastion", "alpha.example.net", "true"]


def test_arbitrator_lost_needs_both_power_commands():
    from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import request_errors as check
    assert check(["arbitrator_lost"], "", 1, 1, "nginx", 60, arbitrator_commands=("kill arbiter", "start arbiter")) == []
    errors = check(["arbitrator_lost"], "", 1, 1, "nginx", 60, arbitrator_commands=("kill arbiter", ""))
    assert len(errors) == 1 and errors[0].startswith("arbitrator_lost needs drill_arbitrator_power_off_command")


def test_the_arbitrator_lost_is_seen_in_a_degraded_status_only(fixture_text):
    """cluster_status's arbitrator from the captured quorumtool outputs (see test_cluster_status_module)."""
    from ansible_collections.twonode.ha.plugins.module_utils.corosync import arbitrator_state, parse_quorumtool_status
    from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import arbitrator_loss_seen
    gone = arbitrator_state(parse_quorumtool_status(fixture_text("quorumtool_qdevice_unreachable_trixie.txt")))
    voting = arbitrator_state(parse_quorumtool_status(fixture_text("quorumtool_qdevice_voting_trixie.txt")))
    none = arbitrator_state(parse_quorumtool_status(fixture_text("quorumtool_two_node_trixie.txt")))
    assert arbitrator_loss_seen({"verdict": "degraded", "arbitrator": gone}) is True
    assert arbitrator_loss_seen({"verdict": "available", "arbitrator": voting}) is False
    assert arbitrator_loss_seen({"verdict": "degraded", "arbitrator": none}) is False  # no arbitrator: another cause
    assert arbitrator_loss_seen({"verdict": "down", "arbitrator": gone}) is False
    assert arbitrator_loss_seen(None) is False


def test_overlapping_probes_are_recorded_in_the_order_they_started():
    """A probe sent while the address was still on the dead node waits out its timeout; one sent after the
    address moved answers at once. The outage ends with the quick answer, and the slow failure, which
    comes back later, does not start a new one."""
    timeline = drill_load.Timeline()
    ordered = drill_load.InStartOrder(timeline)
    assert ordered.record(0, True, 0.0, 0.01) == 1
    assert ordered.record(1, False, 0.25, 1.25) == 1
    assert ordered.record(3, True, 0.75, 0.76) == 0   # back before probe 2: kept until 2 is
    assert ordered.record(2, False, 0.5, 1.5) == 2
    assert timeline.outages == [[0.25, 0.76]]
    assert ordered.record(4, True, 1.0, 1.01) == 1 and timeline.outages == [[0.25, 0.76]]
