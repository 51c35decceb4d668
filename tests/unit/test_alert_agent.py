"""The Pacemaker alert agent (roles/cluster/files/twonode_alert.py): which events it sends, what
it says, and that its channels fail with a reason that never carries a secret."""
import importlib.util
import json
import os
import smtplib

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("twonode_alert", os.path.join(REPO, "roles/cluster/files/twonode_alert.py"))
agent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agent)

TOKEN = "s3cr3t-t0ken"
PASSWORD = "relay-pa55word"

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _captured():
    """Events the agent received on the container bed (Pacemaker 3.0.0) during a Molecule run, as it
    parsed them from Pacemaker's CRM_alert_* variables; turned back into those variables here."""
    with open(os.path.join(FIXTURES, "alert_events_p3_container_bed.json")) as handle:
        events = json.load(handle)

    def env(event):
        return dict(("CRM_alert_" + ("node_sequence" if key == "sequence" else key), value)
                    for key, value in event.items())
    return [env(e) for e in events]


(FENCE_DEVICE_STARTED, NODE_LOST, FENCED, NODE_BACK, MONITOR_FAILED, MONITOR_CANCELLED, FAILED_MONITOR_CANCELLED,
 PROBE_FOUND_RUNNING) = _captured()
# Not captured (the bed never produced them): a stop, a start that timed out, a failed fencing, an
# attribute change; the variables as Pacemaker documents them.
STOPPED = dict(FENCE_DEVICE_STARTED, CRM_alert_task="stop")
START_TIMED_OUT = dict(FENCE_DEVICE_STARTED, CRM_alert_status="2", CRM_alert_rc="1", CRM_alert_desc="Timed Out")
FENCING_FAILED = dict(FENCED, CRM_alert_rc="1", CRM_alert_desc="Operation reboot of node2 by node1: Error")
ATTRIBUTE = {"CRM_alert_kind": "attribute", "CRM_alert_node": "node1", "CRM_alert_recipient": "syslog"}
MONITOR_OK = dict(MONITOR_FAILED, CRM_alert_rc="0", CRM_alert_desc="OK")


@pytest.mark.parametrize("env, sent", [
    (NODE_LOST, True), (NODE_BACK, True), (FENCED, True), (FENCING_FAILED, True), (MONITOR_FAILED, True),
    (FENCE_DEVICE_STARTED, True), (START_TIMED_OUT, True),
    (MONITOR_CANCELLED, False), (FAILED_MONITOR_CANCELLED, False), (PROBE_FOUND_RUNNING, False),
    (MONITOR_OK, False), (STOPPED, False), (ATTRIBUTE, False),
])
def test_what_is_worth_a_message(env, sent):
    assert agent.worth_sending(agent.event_from_env(env)) is sent


def test_each_message_names_the_cluster_the_node_and_what_happened():
    def said(env, seen_from=""):
        return agent.summary("shop", agent.event_from_env(env), seen_from)
    assert said(NODE_LOST, "node1") == "[shop] node node2 was lost (lost) (seen from node1)"
    assert said(NODE_BACK, "node1") == "[shop] node node2 is a cluster member (seen from node1)"
    assert said(FENCED) == ("[shop] fencing of node2 succeeded: Operation reboot of node2 by node1 for "
                            "pacemaker-controld.294@node1: OK (ref=42c1c146-6850-41f0-a5a8-88d130cc1b75)")
    assert said(FENCING_FAILED).startswith("[shop] fencing of node2 FAILED (rc 1): Operation reboot")
    assert said(MONITOR_FAILED) == ("[shop] resource services-nginx failed on node1: monitor (every 10000 ms) "
                                    "Not running (rc 7, expected 0)")
    assert said(START_TIMED_OUT) == "[shop] resource fence-node1 failed on node2: start Timed Out (rc 1, expected 0)"
    assert said(FENCE_DEVICE_STARTED) == "[shop] resource fence-node1 started on node2"


def test_what_leaves_the_pair_less_than_whole_is_critical():
    levels = {name: agent.severity(agent.event_from_env(env)) for name, env in
              [("lost", NODE_LOST), ("back", NODE_BACK), ("fenced", FENCED), ("failed", MONITOR_FAILED),
               ("started", FENCE_DEVICE_STARTED)]}
    assert levels == {"lost": "critical", "back": "info", "fenced": "critical", "failed": "critical", "started": "info"}


def _config(tmp_path, channels, cluster="shop"):
    path = tmp_path / "alert.json"
    path.write_text(json.dumps({"cluster": cluster, "timeout": 5, "channels": channels}))
    return str(path)


def test_a_webhook_gets_the_event_as_json_with_its_headers(tmp_path, receiver, capsys):
    server, handler = receiver
    url = "http://127.0.0.1:%d/hook/%s" % (server.server_port, TOKEN)
    config = _config(tmp_path, {"webhook": {"url": url, "headers": {"Authorization": "Bearer " + TOKEN}}})
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, TWONODE_ALERT_CONFIG=config)) == 0
    [got] = handler.received
    assert got["path"] == "/hook/" + TOKEN
    assert got["headers"]["Authorization"] == "Bearer " + TOKEN
    assert got["body"]["cluster"] == "shop" and got["body"]["node"] == "node2"
    assert got["body"]["severity"] == "critical"
    assert got["body"]["summary"].startswith("[shop] node node2 was lost (lost) (seen from ")
    assert got["body"]["seen_from"] and got["body"]["event"]["sequence"] == "18"


def test_a_failing_webhook_says_why_without_its_url_or_token(tmp_path, receiver, capsys):
    server, handler = receiver
    handler.answer = 500
    config = _config(tmp_path, {"webhook": {"url": "http://127.0.0.1:%d/hook/%s" % (server.server_port, TOKEN),
                                            "headers": {"Authorization": "Bearer " + TOKEN}}})
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, TWONODE_ALERT_CONFIG=config)) == 1
    err = capsys.readouterr().err
    assert "webhook answered HTTP 500" in err
    assert TOKEN not in err and "127.0.0.1" not in err


def test_an_unreachable_webhook_fails_within_its_timeout_and_keeps_the_token(tmp_path, capsys):
    # A port nobody listens on: refused at once.
    config = _config(tmp_path, {"webhook": {"url": "http://127.0.0.1:9/hook/" + TOKEN}})
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, TWONODE_ALERT_CONFIG=config)) == 1
    err = capsys.readouterr().err
    assert "webhook unreachable" in err and TOKEN not in err


class _FakeSMTP:
    """smtplib.SMTP as the agent uses it; records the conversation."""
    calls = []
    refuse_login = False

    def __init__(self, host, port, timeout):
        type(self).calls.append(("connect", host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        type(self).calls.append(("quit",))

    def starttls(self, context=None):
        type(self).calls.append(("starttls",))

    def login(self, user, password):
        if type(self).refuse_login:
            raise smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials for " + password.encode())
        type(self).calls.append(("login", user, password))

    def send_message(self, message):
        type(self).calls.append(("send", message["To"], message["Subject"], message.get_content()))


def test_mail_goes_through_the_relay_with_starttls_and_login():
    _FakeSMTP.calls, _FakeSMTP.refuse_login = [], False
    settings = {"relay": "smtp.example.net:587", "to": ["ops@example.net", "oncall@example.net"],
                "from": "shop@example.net", "user": "shop", "password": PASSWORD}
    event = agent.event_from_env(FENCED)
    message = agent.mail_message("shop", settings, agent.summary("shop", event), event)
    agent.send_mail(settings, message, 5, smtp_class=_FakeSMTP)
    assert [c[0] for c in _FakeSMTP.calls] == ["connect", "starttls", "login", "send", "quit"]
    assert _FakeSMTP.calls[0] == ("connect", "smtp.example.net", 587, 5)
    assert _FakeSMTP.calls[3][1] == "ops@example.net, oncall@example.net"
    assert _FakeSMTP.calls[3][2].startswith("[shop] fencing of node2 succeeded: Operation reboot of node2")
    assert "node: node2" in _FakeSMTP.calls[3][3] and PASSWORD not in _FakeSMTP.calls[3][3]


def test_a_refused_login_is_reported_without_the_password():
    _FakeSMTP.calls, _FakeSMTP.refuse_login = [], True
    settings = {"relay": "smtp.example.net", "to": ["ops@example.net"], "user": "shop", "password": PASSWORD}
    event = agent.event_from_env(FENCED)
    with pytest.raises(agent.AlertError) as caught:
        agent.send_mail(settings, agent.mail_message("shop", settings, "x", event), 5, smtp_class=_FakeSMTP)
    assert "refused the login (535)" in str(caught.value) and PASSWORD not in str(caught.value)
    assert _FakeSMTP.calls[0] == ("connect", "smtp.example.net", 25, 5)


def test_syslog_gets_one_line_at_the_events_severity(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(agent.syslog, "openlog", lambda ident, opts, facility: logged.append(("open", ident, facility)))
    monkeypatch.setattr(agent.syslog, "syslog", lambda level, text: logged.append((level, text)))
    monkeypatch.setattr(agent.syslog, "closelog", lambda: None)
    config = _config(tmp_path, {"syslog": {"facility": "local3"}})
    env = dict(MONITOR_FAILED, CRM_alert_recipient="syslog", TWONODE_ALERT_CONFIG=config)
    assert agent.main(["twonode_alert.py"], env) == 0
    assert logged == [("open", "twonode-alert", agent.syslog.LOG_LOCAL3),
                      (agent.syslog.LOG_CRIT, "[shop] resource services-nginx failed on node1: monitor (every 10000 ms) "
                                              "Not running (rc 7, expected 0)")]


def test_nothing_is_read_or_sent_without_a_recipient_or_for_noise(tmp_path):
    missing = str(tmp_path / "none.json")
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, CRM_alert_recipient="", TWONODE_ALERT_CONFIG=missing)) == 0
    assert agent.main(["twonode_alert.py"], dict(MONITOR_CANCELLED, TWONODE_ALERT_CONFIG=missing)) == 0


def test_a_missing_configuration_or_channel_is_said(tmp_path, capsys):
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, TWONODE_ALERT_CONFIG=str(tmp_path / "none.json"))) == 1
    assert "cannot read" in capsys.readouterr().err
    config = _config(tmp_path, {"syslog": {}})
    assert agent.main(["twonode_alert.py"], dict(NODE_LOST, TWONODE_ALERT_CONFIG=config)) == 1
    assert "channel 'webhook' is not configured" in capsys.readouterr().err


def test_a_test_alarm_goes_out_on_the_channel_asked(tmp_path, receiver, capsys):
    server, handler = receiver
    config = _config(tmp_path, {"webhook": {"url": "http://127.0.0.1:%d/" % server.server_port}})
    assert agent.main(["twonode_alert.py", "--test", "webhook"], {"TWONODE_ALERT_CONFIG": config}) == 0
    [got] = handler.received
    assert got["body"]["kind"] == "test" and got["body"]["summary"].startswith("[shop] test alarm from ")
    assert "sent: [shop] test alarm" in capsys.readouterr().out
