"""Pacemaker alerts in the cib module's plan: created after the constraints, kept when only their
order differs, replaced when their meaning does, removed when named absent."""
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import PlanError, plan

ALERT = {"id": "twonode-alert", "path": "/usr/local/lib/twonode/twonode_alert.py",
         "meta": {"timeout": "30s", "timestamp-format": "%Y-%m-%d %H:%M:%S.%06N"},
         "select": ["nodes", "fencing", "resources"],
         "recipients": [{"id": "twonode-alert-webhook", "value": "webhook"},
                        {"id": "twonode-alert-syslog", "value": "syslog"}]}


def test_an_alert_is_created_after_the_constraints(fixture_text):
    result = plan(fixture_text("cib_fenced.xml"), {"alerts": [ALERT]})
    assert result["changes"] == ["create alert twonode-alert"]
    config = ET.fromstring(result["candidate"]).find("configuration")
    tags = [child.tag for child in config]
    assert tags.index("alerts") == tags.index("constraints") + 1
    alert = config.find("alerts/alert")
    assert alert.get("path") == ALERT["path"]
    assert [e.tag for e in alert.find("select")] == ["select_nodes", "select_fencing", "select_resources"]
    assert [(r.get("id"), r.get("value")) for r in alert.findall("recipient")] == [
        ("twonode-alert-webhook", "webhook"), ("twonode-alert-syslog", "syslog")]
    meta = dict((n.get("name"), n.get("value")) for n in alert.findall("meta_attributes/nvpair"))
    assert meta == {"timeout": "30s", "timestamp-format": "%Y-%m-%d %H:%M:%S.%06N"}
    assert "<alert " in result["after"]


def test_the_same_alert_in_another_order_is_no_change(fixture_text):
    live = plan(fixture_text("cib_fenced.xml"), {"alerts": [ALERT]})["candidate"]
    assert plan(live, {"alerts": [ALERT]})["changed"] is False
    reordered = dict(ALERT, select=["resources", "nodes", "fencing"], recipients=list(reversed(ALERT["recipients"])))
    assert plan(live, {"alerts": [reordered]})["changed"] is False


def test_a_changed_alert_is_replaced_in_place(fixture_text):
    live = plan(fixture_text("cib_fenced.xml"), {"alerts": [ALERT]})["candidate"]
    mail = dict(ALERT, recipients=[{"id": "twonode-alert-mail", "value": "mail"}])
    result = plan(live, {"alerts": [mail]})
    assert result["changes"] == ["update alert twonode-alert"]
    alerts = ET.fromstring(result["candidate"]).findall("configuration/alerts/alert")
    assert len(alerts) == 1 and [r.get("value") for r in alerts[0].findall("recipient")] == ["mail"]
    assert "twonode-alert-webhook" in result["before"] and "twonode-alert-mail" in result["after"]


def test_an_alert_named_absent_is_removed_and_others_are_left_alone(fixture_text):
    other = {"id": "site-snmp", "path": "/usr/share/pacemaker/alerts/alert_snmp.sh", "recipients": []}
    live = plan(fixture_text("cib_fenced.xml"), {"alerts": [ALERT, other]})["candidate"]
    result = plan(live, {"absent": ["twonode-alert"]})
    assert result["changes"] == ["remove alert twonode-alert (asked to be absent)"]
    assert [a.get("id") for a in ET.fromstring(result["candidate"]).findall("configuration/alerts/alert")] == ["site-snmp"]
    assert plan(live, {})["changed"] is False


@pytest.mark.parametrize("spec, words", [
    (dict(ALERT, select=["nodes", "everything"]), "cannot select everything"),
    (dict(ALERT, path=""), "needs an id and a path"),
    (dict(ALERT, recipients=[{"id": "", "value": "mail"}]), "needs an id and a value"),
])
def test_a_malformed_alert_is_refused(fixture_text, spec, words):
    with pytest.raises(PlanError, match=words):
        plan(fixture_text("cib_fenced.xml"), {"alerts": [spec]})
