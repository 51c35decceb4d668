"""The drills' alarms and roles judged from cluster_status's fields (nodes, links, drbd, groups), fed by
the module itself running on output captured from the beds, not by searching its reasons' words."""
import pytest

from ansible_collections.twonode.ha.plugins.plugin_utils.drill_plan import (
    describe_links_down, drbd_peer_lost, link_loss_seen, links_down, node_offline, pair_roles, standby_loss_seen)
from ansible_collections.twonode.ha.plugins.modules import cluster_status

CRM_MON = "crm_mon --one-shot --output-as=xml --inactive --fence-history=2"
CFGTOOL = "corosync-cfgtool -s"


@pytest.fixture
def status_of(fake_node, fixture_text, run_module, proc_drbd):
    """cluster_status's result on node1 for a captured crm_mon, corosync-cfgtool -s and /proc/drbd."""
    def run(crm_mon, cfgtool="cfgtool_both_links.txt", drbd=None):
        cib = fixture_text("cib_p2_services_running.xml")
        answers = {
            CRM_MON: (0, fixture_text(crm_mon), ""),
            CFGTOOL: (0, fixture_text(cfgtool), ""),
            "corosync-quorumtool -s": (0, fixture_text("quorumtool_two_node_trixie.txt"), ""),
            "crm_node --name": (0, "node1\n", ""),
            "cibadmin --query --scope resources": (0, cib[cib.index("<resources>"):cib.index("</resources>") + 12], ""),
            "drbdadm sh-resources": (0, "r0\n", ""),
            "drbdadm sh-minor r0": (0, "0\n", ""),
        }
        proc_drbd(drbd)
        result = run_module(cluster_status, fake_node(answers), {})
        assert not result.get("failed"), result
        return result
    return run


def test_the_standby_power_off_alarm_is_the_peer_offline_in_a_degraded_pair(status_of):
    # node1's view after node2 lost power: crm_mon has node2 offline, corosync has it gone on both links
    lost = status_of("crm_mon_peer_offline.xml", "cfgtool_peer_gone.txt")
    assert lost["verdict"] == "degraded"
    assert node_offline(lost, "node2") and not node_offline(lost, "node1")
    assert standby_loss_seen(lost, "node2")
    assert not standby_loss_seen(lost, "node1")
    healthy = status_of("crm_mon_group_healthy.xml")
    assert not standby_loss_seen(healthy, "node2")
    # no answer from the stack (until's default) or a node the cluster does not know: no alarm
    assert not standby_loss_seen({}, "node2") and not node_offline(lost, "node9")


def test_the_standby_power_off_alarm_needs_the_verdict_degraded(status_of):
    lost = status_of("crm_mon_peer_offline.xml", "cfgtool_peer_gone.txt")
    assert not standby_loss_seen(dict(lost, verdict="down"), "node2")


def test_the_link_cut_alarm_is_that_link_down_to_the_peer(status_of):
    cut = status_of("crm_mon_group_healthy.xml", "cfgtool_link1_down.txt")
    assert cut["verdict"] == "degraded"
    assert links_down(cut) == [{"link": 1, "peer": "node2", "state": "disconnected"}]
    assert link_loss_seen(cut, 1) and link_loss_seen(cut, "1")  # drill_link may come as text
    assert not link_loss_seen(cut, 0)
    assert describe_links_down(cut, 1) == "link 1 to node2 disconnected"
    whole = status_of("crm_mon_group_healthy.xml")
    assert links_down(whole) == [] and not link_loss_seen(whole, 1) and describe_links_down(whole) == ""
    # the peer's stack stopped: both links down, link 1 among them
    stopped = status_of("crm_mon_peer_offline.xml", "cfgtool_peer_stopped.txt")
    assert link_loss_seen(stopped, 1) and [d["link"] for d in links_down(stopped)] == [0, 1]
    # links_down reports what corosync printed, no more: this capture lists both links connected, so the
    # standby alarm reads the node's membership (nodes), never the links
    gone = status_of("crm_mon_peer_offline.xml", "cfgtool_peer_gone.txt")
    assert links_down(gone) == []


def test_drbd_shows_the_lost_peer_from_the_status_volumes(status_of):
    away = status_of("crm_mon_drbd_peer_away.xml", drbd="proc_drbd_84_disconnected.txt")
    assert [(v["name"], v["connection"]) for v in away["drbd"]] == [("r0", "WFConnection")]
    assert drbd_peer_lost(away["drbd"])
    healthy = status_of("crm_mon_group_healthy.xml", drbd="proc_drbd_84_healthy.txt")
    assert not drbd_peer_lost(healthy["drbd"])
    assert not drbd_peer_lost([])  # no DRBD (the container bed)
    # a split brain is its own alarm, not the lost peer's
    assert not drbd_peer_lost([dict(away["drbd"][0], connection="StandAlone", split_brain="2026-11-22 15:19:43")])


def test_pair_roles_from_where_the_group_runs(status_of):
    healthy = status_of("crm_mon_group_healthy.xml")
    assert pair_roles(healthy, "services", ["node1", "node2"]) == {"active": "node1", "standby": "node2"}
    assert pair_roles(healthy, "services", ["node2", "node1"]) == {"active": "node1", "standby": "node2"}
    assert pair_roles(healthy, "nothing", ["node1", "node2"]) == {}
    # a group still starting is not running whole anywhere: no roles, the drill does not start
    starting = status_of("crm_mon_vm_nginx_starting.xml")
    assert pair_roles(starting, "services", ["vm1", "vm2"]) == {}
    assert pair_roles(status_of("crm_mon_vm_nginx_restarted.xml"), "services", ["vm1", "vm2"]) == \
        {"active": "vm2", "standby": "vm1"}
