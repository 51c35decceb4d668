import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import parse_proc_drbd
from ansible_collections.twonode.ha.plugins.module_utils.failover_plan import (
    FailoverRefused,
    move_constraints_left,
    plan_failover,
)


def test_move_to_the_peer(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_healthy.xml"))
    assert plan_failover(status, ["services"]) == [{"group": "services", "from": "node1", "to": "node2", "move": True}]
    assert plan_failover(status, ["all"], "node2") == plan_failover(status, ["services"])


def test_already_there_is_no_move(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_healthy.xml"))
    assert plan_failover(status, ["services"], "node1") == [
        {"group": "services", "from": "node1", "to": "node1", "move": False}]


@pytest.mark.parametrize("fixture,groups,target,message", [
    ("crm_mon_group_peer_stopped.xml", ["services"], None, "services: node2 is offline"),
    ("crm_mon_group_healthy.xml", ["mail"], None, "unknown group(s) mail; the cluster has: services"),
    ("crm_mon_group_healthy.xml", ["services"], "node3", "unknown node node3; the cluster has: node1, node2"),
    ("crm_mon_group_healthy.xml", ["fence-node1"], None, "unknown group(s) fence-node1"),
])
def test_refusals(fixture_text, fixture, groups, target, message):
    with pytest.raises(FailoverRefused, match=re.escape(message)):
        plan_failover(parse_crm_mon(fixture_text(fixture)), groups, target)


def test_fail_count_at_the_threshold_bans_the_target(fixture_text):
    text = fixture_text("crm_mon_group_failed_action.xml")
    text = text.replace('<node name="node1">\n      <resource_history id="fence-node2"',
                        '<node name="node1x">\n      <resource_history id="fence-node2"')
    text = text.replace('<node name="node2">', '<node name="node1">', 1).replace('<node name="node1x">', '<node name="node2">', 1)
    text = text.replace('fail-count="1"', 'fail-count="3"')
    with pytest.raises(FailoverRefused, match="node2 may not run services-nginx any more"):
        plan_failover(parse_crm_mon(text), ["services"])


def test_drbd_not_in_step_refuses(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_healthy.xml"))
    drbd = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"})
    with pytest.raises(FailoverRefused, match="DRBD r0 is not UpToDate on both nodes"):
        plan_failover(status, ["services"], drbd=drbd)


def test_a_ban_on_the_target_refuses_and_names_it(fixture_text):
    """Captured on the VM bed with `crm_resource --ban --resource services --node vm2`."""
    text = fixture_text("crm_mon_cli_ban.xml")
    with pytest.raises(FailoverRefused, match="services: constraint cli-ban-services-on-vm2 keeps services from running on vm2"):
        plan_failover(parse_crm_mon(text), ["services"])
    # DRBD's fence-peer constraint left behind on the target (the handler's rule, as crm_mon shows it)
    left = text.replace('<ban id="cli-ban-services-on-vm2" resource="services" node="vm2" weight="-1000000" '
                        'promoted-only="false" master_only="false"/>',
                        '<ban id="drbd-fence-by-handler-r0-rule-services-drbd-clone" resource="services-drbd-clone" '
                        'node="vm2" weight="-1000000" promoted-only="true" master_only="true"/>')
    assert left != text
    with pytest.raises(FailoverRefused, match="keeps services-drbd-clone from being promoted on vm2"):
        plan_failover(parse_crm_mon(left), ["services"])
    # the same ban on the node the group leaves does not stop it
    assert plan_failover(parse_crm_mon(text.replace('node="vm2" weight', 'node="vm1" weight')), ["services"])[0]["to"] == "vm2"


def test_the_constraints_a_move_or_ban_leaves_are_found_by_id(fixture_text):
    cib = ET.fromstring(fixture_text("cib_p2_services_running.xml"))
    constraints = cib.find("configuration/constraints")
    # The captured CIB's own constraints (fence devices kept off their target, services-prefers-node1) are not a move's.
    assert move_constraints_left(constraints, ["services"]) == []
    # As crm_resource --move --lifetime writes it (cli_resource_prefer): its rule's ids start alike but are not it.
    prefer = ET.fromstring('<rsc_location id="cli-prefer-services" rsc="services" role="Started"><rule '
                           'id="cli-prefer-rule-services" score="INFINITY"/></rsc_location>')
    constraints.append(prefer)
    assert move_constraints_left(constraints, ["services", "web"]) == ["services"]
    constraints.remove(prefer)
    constraints.append(ET.fromstring('<rsc_location rsc="services" node="node1" score="-INFINITY" id="cli-ban-services-on-node1"/>'))
    assert move_constraints_left(cib, ["services"]) == ["services"]
    # Another group whose name only starts the same keeps its own constraints.
    assert move_constraints_left(constraints, ["service"]) == []
