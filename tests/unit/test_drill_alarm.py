"""standby_power_off's alarm check: an alarm that names the victim as lost reached a receiver on the
control node, read from the receiver's JSON-lines log (tests/bed/alarm_receiver.py writes
{"received": EPOCH, "alarm": the agent's webhook payload} a line), and the seconds it took."""
import importlib.util
import json
import os

import yaml

from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import alarm_check, request_errors

from conftest import REPO

_spec = importlib.util.spec_from_file_location("twonode_alert", os.path.join(REPO, "roles/cluster/files/twonode_alert.py"))
agent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agent)

POWER_OFF = 1765000000.0
LOG = "/var/lib/twonode-bed/containers/alarms.jsonl"


def _captured(kind, desc):
    """An event the agent received on the container bed (tests/unit/fixtures), as Pacemaker's variables."""
    with open(os.path.join(REPO, "tests/unit/fixtures/alert_events_p3_container_bed.json")) as handle:
        event = [e for e in json.load(handle) if e["kind"] == kind and (desc is None or e["desc"] == desc)][0]
    return dict(("CRM_alert_" + ("node_sequence" if k == "sequence" else k), v) for k, v in event.items())


def _line(received, env, node=None, seen_from="node1"):
    """One line of the receiver's log: what the agent posts for the event, as the receiver wraps it."""
    event = agent.event_from_env(env)
    if node:
        event["node"] = node
    payload = agent.webhook_payload("testbed", event, agent.summary("testbed", event, seen_from), agent.severity(event))
    return json.dumps({"received": received, "alarm": payload})


NODE2_LOST = _captured("node", "lost")
NODE2_BACK = _captured("node", "member")
NODE2_FENCED = _captured("fencing", None)


def test_the_first_alarm_after_the_power_off_that_names_the_victim_lost_passes_with_its_seconds():
    log = "\n".join([
        _line(POWER_OFF - 300, NODE2_LOST),       # an earlier drill's
        _line(POWER_OFF - 200, NODE2_BACK),
        _line(POWER_OFF + 3.4, NODE2_LOST, node="node1"),  # the other node: not this drill's victim
        _line(POWER_OFF + 4.31, NODE2_LOST),
        _line(POWER_OFF + 6.0, NODE2_FENCED),
        _line(POWER_OFF + 9.0, NODE2_LOST),
    ]) + "\n"
    told = alarm_check(log, "node2", POWER_OFF, 60, LOG)
    assert told["ok"] is True and told["seconds"] == 4.3
    assert told["summary"] == "[testbed] node node2 was lost (lost) (seen from node1)"


def test_no_alarm_since_the_power_off_fails_naming_the_node_the_log_and_what_came_instead():
    log = "\n".join([_line(POWER_OFF - 300, NODE2_LOST), _line(POWER_OFF + 6.0, NODE2_FENCED)])
    told = alarm_check(log, "node2", POWER_OFF, 60, LOG)
    assert told["ok"] is False and told["seconds"] is None
    assert told["fail"] == (
        "no alarm that node2 was lost reached %s within 60 s of the power-off (since then: "
        "[testbed] fencing of node2 succeeded: Operation reboot of node2 by node1 for pacemaker-controld.294@node1: "
        "OK (ref=42c1c146-6850-41f0-a5a8-88d130cc1b75))" % LOG)
    assert alarm_check("", "node2", POWER_OFF, 60, LOG)["fail"].endswith("(since then: nothing)")


def test_an_alarm_later_than_the_timeout_fails_but_its_seconds_are_reported():
    told = alarm_check(_line(POWER_OFF + 75, NODE2_LOST), "node2", POWER_OFF, 60, LOG)
    assert told["ok"] is False and told["seconds"] == 75.0
    assert told["fail"] == "the alarm that node2 was lost reached %s after 75.0 s, more than 60 s" % LOG


def test_test_alarms_drbd_alarms_and_lines_being_written_are_no_lost_node():
    test = json.dumps({"received": POWER_OFF + 1, "alarm": {"kind": "test", "node": "node2", "summary": "x"}})
    drbd = json.dumps({"received": POWER_OFF + 2, "alarm": {"kind": "drbd", "node": "node2", "summary": "y",
                                                            "event": {"desc": "connection lost"}}})
    log = "\n".join([test, drbd, "not json", "[1, 2]", '{"received": "soon"}', _line(POWER_OFF + 5, NODE2_LOST)[:40]])
    assert alarm_check(log, "node2", POWER_OFF, 60, LOG)["seconds"] is None


def test_without_a_receiver_log_there_is_no_check():
    told = alarm_check("", "node2", POWER_OFF, 60, "")
    assert told == {"ok": True, "fail": "", "seconds": None, "summary": "", "checked": False}


def test_the_receiver_log_must_be_an_absolute_path_and_the_timeout_positive():
    base = (["standby_power_off"], "kill {node}", 1, 1, "nginx", 60)
    assert request_errors(*base) == [] and request_errors(*base, alarm_log=LOG, alarm_timeout=10) == []
    assert request_errors(*base, alarm_log="alarms.jsonl", alarm_timeout=0) == [
        "drill_alarm_log must be an absolute path on the control node (alarms.jsonl is not)",
        "drill_alarm_timeout must be 1 or more seconds"]


def test_standby_power_off_reads_the_log_on_the_control_node_and_records_the_seconds():
    with open(os.path.join(REPO, "roles/drill/tasks/standby_power_off.yml")) as handle:
        tasks = yaml.safe_load(handle)
    [read] = [t for t in tasks if "ansible.builtin.slurp" in t]
    assert read["delegate_to"] == "localhost" and read["become"] is False
    assert read["ansible.builtin.slurp"]["src"] == "{{ drill_alarm_log }}"
    [record] = [t for t in tasks if t.get("ansible.builtin.include_tasks") == "record.yml"]
    assert "alarm_seconds" in record["vars"]["__drill_measured"]
    [judge] = [t for t in tasks if "drill_alarm_check" in str(t.get("ansible.builtin.set_fact"))]
    told = list(judge["ansible.builtin.set_fact"])[0]
    assert {"ok": "{{ %s.ok }}" % told, "fail": "{{ %s.fail }}" % told} in record["vars"]["__drill_checks"]
