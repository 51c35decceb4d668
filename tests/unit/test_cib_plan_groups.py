"""Groups, clones, constraints, defaults and removal, planned on the bed's fenced CIB."""
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import PlanError, managed_addresses, plan, without_history_of


def vip(address="10.213.10.100"):
    return {"id": "web-vip", "class": "ocf", "provider": "heartbeat", "type": "IPaddr2",
            "params": {"ip": address, "cidr_netmask": 24},
            "ops": [{"name": "monitor", "interval": "10s", "timeout": "20s"}]}


def nginx():
    return {"id": "web-nginx", "class": "systemd", "type": "nginx",
            "ops": [{"name": "monitor", "interval": "10s", "timeout": "30s"}]}


def web_desired(**extra):
    desired = {
        "rsc_defaults": {"resource-stickiness": 100, "migration-threshold": 3},
        "op_defaults": {"timeout": "60s"},
        "groups": [{"id": "web", "members": [vip(), nginx()], "meta": {}}],
        "constraints": [{"kind": "location", "id": "web-prefers-node1", "rsc": "web", "node": "node1",
                         "score": 50}],
    }
    desired.update(extra)
    return desired


@pytest.fixture
def fenced(fixture_text):
    return fixture_text("cib_fenced.xml")


def test_group_created_then_stable(fenced):
    result = plan(fenced, web_desired())
    assert result["changes"] == [
        "set resource default migration-threshold=3",
        "set resource default resource-stickiness=100",
        "set operation default timeout=60s",
        "create group web",
        "create constraint web-prefers-node1",
    ]
    cib = ET.fromstring(result["candidate"])
    config = [child.tag for child in cib.find("configuration")]
    assert config.index("rsc_defaults") == config.index("crm_config") + 1
    group = cib.find("configuration/resources/group[@id='web']")
    assert [p.get("id") for p in group.findall("primitive")] == ["web-vip", "web-nginx"]
    # The fence devices are still there.
    assert cib.find("configuration/resources/primitive[@id='fence-node1']") is not None
    assert plan(result["candidate"], web_desired())["changed"] is False


def test_member_order_and_parameters_count(fenced):
    first = plan(fenced, web_desired())["candidate"]
    moved = web_desired()
    moved["groups"][0]["members"] = [nginx(), vip()]
    assert plan(first, moved)["changes"] == ["update group web"]
    new_vip = web_desired()
    new_vip["groups"][0]["members"][0] = vip("10.213.10.101")
    result = plan(first, new_vip)
    assert result["changes"] == ["update group web"]
    assert "10.213.10.100" in result["before"] and "10.213.10.101" in result["after"]


def test_primitive_moves_into_a_group(fenced):
    first = plan(fenced, {"resources": [vip()]})["candidate"]
    result = plan(first, web_desired())
    cib = ET.fromstring(result["candidate"])
    assert cib.find("configuration/resources/primitive[@id='web-vip']") is None
    assert cib.find("configuration/resources/group[@id='web']/primitive[@id='web-vip']") is not None
    assert len(cib.findall(".//*[@id='web-vip']")) == 1


def test_operator_stopped_group_stays_stopped(fenced):
    first = ET.fromstring(plan(fenced, web_desired())["candidate"])
    group = first.find("configuration/resources/group[@id='web']")
    meta = ET.Element("meta_attributes", {"id": "web-meta_attributes"})
    ET.SubElement(meta, "nvpair", {"id": "web-meta_attributes-target-role", "name": "target-role",
                                   "value": "Stopped"})
    group.insert(0, meta)
    live = ET.tostring(first, encoding="unicode")
    assert plan(live, web_desired())["changed"] is False
    changed = web_desired()
    changed["groups"][0]["members"][0] = vip("10.213.10.101")
    cib = ET.fromstring(plan(live, changed)["candidate"])
    kept = cib.find("configuration/resources/group[@id='web']/meta_attributes/nvpair[@name='target-role']")
    assert kept is not None and kept.get("value") == "Stopped"


def test_promotable_clone_and_its_constraints(fenced):
    drbd = {"id": "drbd-r0", "class": "ocf", "provider": "linbit", "type": "drbd",
            "params": {"drbd_resource": "r0"},
            "ops": [{"name": "monitor", "interval": "29s", "role": "Promoted"},
                    {"name": "monitor", "interval": "31s", "role": "Unpromoted"}]}
    desired = web_desired(
        clones=[{"id": "drbd-r0-clone", "promotable": True, "primitive": drbd,
                 "meta": {"clone-max": 2, "notify": True}}],
        constraints=[
            {"kind": "colocation", "id": "web-with-drbd", "rsc": "web", "with_rsc": "drbd-r0-clone",
             "with_rsc_role": "Promoted", "score": "INFINITY"},
            {"kind": "order", "id": "drbd-before-web", "first": "drbd-r0-clone", "first_action": "promote",
             "then": "web", "then_action": "start"},
        ])
    result = plan(fenced, desired)
    cib = ET.fromstring(result["candidate"])
    clone = cib.find("configuration/resources/clone[@id='drbd-r0-clone']")
    meta = {nv.get("name"): nv.get("value") for nv in clone.find("meta_attributes")}
    assert meta == {"promotable": "true", "clone-max": "2", "notify": "true"}
    colo = cib.find("configuration/constraints/rsc_colocation")
    assert colo.attrib == {"id": "web-with-drbd", "rsc": "web", "with-rsc": "drbd-r0-clone",
                           "with-rsc-role": "Promoted", "score": "INFINITY"}
    order = cib.find("configuration/constraints/rsc_order")
    assert order.get("first-action") == "promote" and order.get("then") == "web"
    assert plan(result["candidate"], desired)["changed"] is False


@pytest.mark.parametrize("spec,message", [
    ({"kind": "colocation", "id": "c", "rsc": "web", "score": "INFINITY"}, "has no with-rsc"),
    ({"kind": "order", "id": "o", "first": "a", "then": "b", "node": "x"}, "unknown attribute(s) node"),
    ({"kind": "ticket", "id": "t"}, "is not one of colocation, location, order"),
    ({"kind": "order", "first": "a", "then": "b"}, "has no id"),
])
def test_bad_constraints(fenced, spec, message):
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(fenced, {"constraints": [spec]})


def test_absent_group_takes_its_constraints_along(fenced):
    first = plan(fenced, web_desired())["candidate"]
    result = plan(first, {"absent": ["web"]})
    assert result["changes"] == ["remove resource web (asked to be absent)",
                                 "remove constraint web-prefers-node1 (it refers to web)"]
    cib = ET.fromstring(result["candidate"])
    assert cib.find(".//*[@id='web-vip']") is None
    assert cib.find("configuration/constraints/rsc_location[@id='location-fence-node1-avoids-node1']") is not None


def test_purge_never_touches_fencing(fenced):
    first = plan(fenced, web_desired(resources=[{"id": "old", "class": "systemd", "type": "cron"}]))["candidate"]
    result = plan(first, web_desired(purge=True))
    assert result["changes"] == ["remove resource old (not listed, purge)"]
    cib = ET.fromstring(result["candidate"])
    assert {p.get("id") for p in cib.iter("primitive")} == {"fence-node1", "fence-node2", "web-vip", "web-nginx"}
    assert len(cib.findall("configuration/constraints/rsc_location")) == 3


def test_a_group_member_of_an_unmanaged_group_is_refused(fenced):
    first = plan(fenced, web_desired())["candidate"]
    with pytest.raises(PlanError, match="inside 'web', which this run does not manage"):
        plan(first, {"resources": [vip()]})


def test_managed_addresses(fenced):
    assert managed_addresses(fenced) == []
    candidate = plan(fenced, web_desired())["candidate"]
    assert managed_addresses(candidate) == ["10.213.10.100"]
    assert managed_addresses("Could not connect to the CIB: Transport endpoint is not connected") == []


def test_verify_before_a_removal_sees_the_nodes_but_not_the_removed_history(fixture_text):
    # Captured on Debian 12 (Pacemaker 2.1.5) with the group running. crm_verify of this CIB without
    # the group warns about active orphans; with an empty status section 2.1.5 warns that it would
    # fence both nodes (no node_state: unclean). Both made a removal of a running group fail on 12.
    live = fixture_text("cib_p2_services_running.xml")
    removed = ["services", "services-vip1", "services-nginx", "services-postfix"]
    checked = ET.fromstring(without_history_of(live, removed))
    assert sorted(n.get("uname") for n in checked.iter("node_state")) == ["node1", "node2"]
    left = sorted(set(e.get("id") for e in checked.iter("lrm_resource")))
    assert left == ["fence-node1", "fence-node2"]
    # Only the status changed.
    original = ET.fromstring(live)
    assert ET.tostring(checked.find("configuration")) == ET.tostring(original.find("configuration"))
