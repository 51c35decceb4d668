import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import plan as cib_plan
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import parse_proc_drbd
from ansible_collections.twonode.ha.plugins.module_utils.maintenance_plan import (
    MaintenanceError,
    current,
    expiry_end,
    plan,
    standby_outage,
)

NOW = datetime.datetime(2026, 11, 22, 5, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("expiry,until,expected", [
    ("60s", None, "2026-11-22T05:01:00Z"),
    ("2h", None, "2026-11-22T07:00:00Z"),
    (None, "2026-11-22T06:30:00Z", "2026-11-22T06:30:00Z"),
    (None, "2026-11-22T07:30+01:00", "2026-11-22T06:30:00Z"),
    (None, None, None),
])
def test_expiry_end(expiry, until, expected):
    assert expiry_end(expiry, until, NOW) == expected


@pytest.mark.parametrize("expiry,until,message", [
    (None, "2026-11-22T04:59:00Z", "is in the past"),
    (None, "tonight", "is not a time like"),
    ("soon", None, "expiry: 'soon' is not a duration"),
    ("1m", "2026-11-22T06:00:00Z", "not both"),
])
def test_bad_expiry(expiry, until, message):
    with pytest.raises(MaintenanceError, match=re.escape(message)):
        expiry_end(expiry, until, NOW)


@pytest.fixture
def cib(fixture_text):
    """The bed's CIB with the services group (planned on the captured fenced CIB)."""
    group = {"id": "services", "members": [{"id": "services-vip1", "class": "ocf", "provider": "heartbeat",
                                            "type": "IPaddr2", "params": {"ip": "10.213.10.100"}}]}
    return cib_plan(fixture_text("cib_fenced.xml"), {"groups": [group]})["candidate"]


@pytest.mark.parametrize("scope,name", [("cluster", None), ("node", "node2"), ("resource", "services")])
def test_on_off_round_trip(cib, scope, name):
    on, changed, words = plan(cib, scope, name, "on")
    assert changed and words.endswith(" on")
    assert current(on, scope, name) == {"on": True, "until": None}
    assert plan(on, scope, name, "on")[1] is False
    off, changed = plan(on, scope, name, "off")[:2]
    assert changed and current(off, scope, name) == {"on": False, "until": None}
    assert plan(off, scope, name, "off")[1] is False


def test_expiring_cluster_maintenance_is_a_rule(cib):
    on, changed, words = plan(cib, "cluster", None, "on", "2026-11-22T06:00:00Z")
    assert words == "cluster maintenance mode on until 2026-11-22T06:00:00Z"
    nvset = ET.fromstring(on).find("configuration/crm_config/cluster_property_set[@id='twonode-maintenance']")
    assert nvset.get("score") == "1000"
    assert nvset.find("rule/date_expression").attrib == {
        "id": "twonode-maintenance-until-expr", "operation": "lt", "end": "2026-11-22T06:00:00Z"}
    assert nvset.find("nvpair").get("value") == "true"
    assert current(on, "cluster") == {"on": True, "until": "2026-11-22T06:00:00Z"}
    # Same end: nothing to do. A new end replaces the rule; off removes it.
    assert plan(on, "cluster", None, "on", "2026-11-22T06:00:00Z")[1] is False
    later = plan(on, "cluster", None, "on", "2026-11-22T07:00:00Z")[0]
    assert len(ET.fromstring(later).findall(".//date_expression")) == 1
    assert ET.fromstring(plan(later, "cluster", None, "off")[0]).find(".//date_expression") is None


def test_expiring_standby_and_unmanaged(cib):
    node = ET.fromstring(plan(cib, "node", "node1", "on", "2026-11-22T06:00:00Z")[0])
    nvset = node.find("configuration/nodes/node[@uname='node1']/instance_attributes")
    assert nvset.get("id") == "twonode-standby-node1" and nvset.find("nvpair").get("name") == "standby"
    rsc = ET.fromstring(plan(cib, "resource", "services", "on", "2026-11-22T06:00:00Z")[0])
    meta = rsc.find("configuration/resources/group[@id='services']/meta_attributes[@id='twonode-unmanaged-services']")
    assert meta.find("nvpair").attrib["name"] == "is-managed" and meta.find("nvpair").attrib["value"] == "false"


@pytest.mark.parametrize("scope,name,message", [
    ("node", "node3", "unknown node node3; the cluster has: node1, node2"),
    ("resource", "web", "unknown resource web; the cluster has: fence-node1, fence-node2, services"),
    ("node", None, "scope node needs a name"),
])
def test_unknown_targets(cib, scope, name, message):
    with pytest.raises(MaintenanceError, match=re.escape(message)):
        plan(cib, scope, name, "on")


def test_standby_of_the_node_that_serves_is_fine_when_the_peer_can_take_over(fixture_text):
    for fixture in ("crm_mon_group_healthy.xml", "crm_mon_p3_group_healthy.xml"):
        status = parse_crm_mon(fixture_text(fixture))
        assert standby_outage(status, "node1") is None
        # Nothing runs on node2 but its fence device (which any node may run): no outage.
        assert standby_outage(status, "node2") is None


def test_standby_is_an_outage_when_the_peer_is_offline(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_peer_stopped.xml"))
    outage = standby_outage(status, "node1")
    assert outage == "node1 runs services and node2 cannot take over: services: node2 is offline"


def test_standby_is_an_outage_when_the_peer_is_in_standby(fixture_text):
    text = fixture_text("crm_mon_group_healthy.xml").replace(
        'name="node2" id="2" online="true" standby="false"', 'name="node2" id="2" online="true" standby="true"')
    assert "node2 is in standby" in standby_outage(parse_crm_mon(text), "node1")


def test_standby_is_an_outage_when_drbd_is_not_up_to_date_on_both(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_healthy.xml"))
    drbd = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"})
    assert "DRBD r0 is not UpToDate on both nodes" in standby_outage(status, "node1", drbd)
    healthy = parse_proc_drbd(fixture_text("proc_drbd_84_healthy.txt"), {0: "r0"})
    assert standby_outage(status, "node1", healthy) is None
