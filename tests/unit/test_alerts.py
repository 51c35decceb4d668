"""cluster_alerts: checked before any change (never repeating a secret), the agent's file, the CIB's alert."""
import pytest

from ansible_collections.twonode.ha.plugins.plugin_utils.alerts import agent_config, alert_cib, alert_input_errors

PASSWORD = "relay-pa55word"
TOKEN = "hook-t0ken"
ALL = {"mail": {"relay": "smtp.example.net:587", "to": ["ops@example.net"], "user": "shop", "password": PASSWORD},
       "webhook": {"url": "https://hooks.example.net/" + TOKEN, "headers": {"Authorization": "Bearer " + TOKEN}},
       "syslog": {"facility": "local3"}, "timeout": 8}


def test_good_channels_and_none_pass():
    assert alert_input_errors(ALL) == []
    assert alert_input_errors({}) == [] and alert_input_errors(None) == []
    assert alert_input_errors({"syslog": True, "mail": {"relay": "[2001:db8::25]:25", "to": "ops@example.net"}}) == []


@pytest.mark.parametrize("alerts, words", [
    ({"pager": {}}, "unknown channel 'pager'"),
    ({"mail": {"relay": "smtp example", "to": ["ops@example.net"]}}, "relay 'smtp example' is not HOST or HOST:PORT"),
    ({"mail": {"relay": "smtp.example.net", "to": []}}, "must list one or more mail addresses"),
    ({"mail": {"relay": "smtp.example.net", "to": ["ops"]}}, "must list one or more mail addresses"),
    ({"mail": {"relay": "smtp.example.net", "to": ["ops@example.net"], "user": "shop"}}, "user is given without a password"),
    ({"mail": {"relay": "smtp.example.net", "to": ["ops@example.net"], "user": "shop", "password": PASSWORD,
               "starttls": False}}, "never sent without STARTTLS"),
    ({"mail": {"relay": "smtp.example.net", "to": ["ops@example.net"], "pasword": PASSWORD}}, "unknown key 'pasword'"),
    ({"webhook": {"url": "ftp://hooks.example.net/" + TOKEN}}, "not an http:// or https:// URL"),
    ({"webhook": {"url": "https://hooks.example.net/", "headers": {"X-Token": 5}}}, "must map header names to strings"),
    ({"syslog": {"facility": "kern"}}, "cluster_alerts.syslog must be"),
    ({"syslog": True, "timeout": 0}, "timeout 0 is not a whole number"),
    ({"syslog": True, "timeout": "10"}, "timeout '10' is not a whole number"),
    ("mail", "must be a mapping"),
])
def test_bad_channels_are_named_without_their_secrets(alerts, words):
    errors = alert_input_errors(alerts)
    assert any(words in e for e in errors), errors
    assert not any(PASSWORD in e or TOKEN in e for e in errors)


def test_the_agent_gets_the_enabled_channels_and_the_cluster_name():
    config = agent_config(dict(ALL, syslog=True, mail=dict(ALL["mail"], to="ops@example.net")), "shop")
    assert config["cluster"] == "shop" and config["timeout"] == 8
    assert sorted(config["channels"]) == ["mail", "syslog", "webhook"]
    assert config["channels"]["syslog"] == {} and config["channels"]["mail"]["to"] == ["ops@example.net"]
    assert config["channels"]["mail"]["password"] == PASSWORD
    assert agent_config({"syslog": False, "webhook": {}}, "shop")["channels"] == {}


def test_the_cib_gets_one_alert_with_a_recipient_per_channel_and_time_to_deliver():
    [alert] = alert_cib(ALL)
    assert alert["id"] == "twonode-alert" and alert["path"] == "/usr/local/lib/twonode/twonode_alert.py"
    assert [r["value"] for r in alert["recipients"]] == ["mail", "webhook", "syslog"]
    assert alert["meta"]["timeout"] == "13s"
    assert alert["select"] == ["nodes", "fencing", "resources"]
    assert alert_cib({}) == [] and alert_cib({"syslog": False}) == []
