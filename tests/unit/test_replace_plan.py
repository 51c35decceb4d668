"""Replacing a dead node: the request's checks, on the survivor's crm_mon and /proc/drbd captured on the VM bed
(vm1 gone, vm2 serving alone with r0 Primary, UpToDate, waiting for its peer)."""
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import parse_proc_drbd
from ansible_collections.twonode.ha.plugins.plugin_utils.replace_plan import request_errors

MEMBERS = [{"host": "vm1", "node_name": "vm1"}, {"host": "vm2", "node_name": "vm2"}]
CONF = "totem {\n    cluster_name: vmbed\n}\n"


def survivor(fixture_text, crm_mon="crm_mon_drbd_peer_away.xml", proc_drbd="proc_drbd_84_disconnected.txt", **changes):
    status = parse_crm_mon(fixture_text(crm_mon))
    status.update(stack_running=True, drbd=parse_proc_drbd(fixture_text(proc_drbd), {0: "r0"}))
    status.update(changes)
    return status


def test_a_dead_node_beside_an_up_to_date_survivor_may_be_replaced(fixture_text):
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text), None) == []


def test_the_name_and_the_node_are_confirmed(fixture_text):
    assert request_errors("vm3", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text), None) == [
        "node=vm3 is not a node of this pair (vm1, vm2): name the node to replace"]
    assert request_errors("vm1", "twonode", MEMBERS, ["r0"], CONF, survivor(fixture_text), None) == [
        "confirm=twonode does not name this cluster: pass -e confirm=vmbed to replace vm1 (its new disks get the data from vm2)"]


def test_a_survivor_without_a_good_copy_gives_nothing(fixture_text):
    syncing_target = [dict(v, disk="Inconsistent") for v in parse_proc_drbd(fixture_text("proc_drbd_84_disconnected.txt"), {0: "r0"})]
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text, drbd=syncing_target), None) == [
        "vm2's copy of DRBD r0 is Inconsistent, not UpToDate: there is no good copy to give the new node"]
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text, drbd=[]), None) == [
        "DRBD r0 does not run on vm2: the survivor must hold the copy the new node gets"]


def test_a_node_that_is_not_gone_is_not_replaced(fixture_text):
    # Both online, r0 connected: crm_mon and /proc/drbd of the healthy pair.
    errors = request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF,
                            survivor(fixture_text, "crm_mon_p3_group_healthy.xml", "proc_drbd_84_healthy.txt",
                                     nodes={"vm1": {"online": True}, "vm2": {"online": True}}), None)
    assert errors == ["vm1 is a member of the cluster (online): it is not dead; replace.yml is for a node that is gone",
                      "DRBD r0 is connected to vm1: that node still runs it and is not gone"]


def test_a_node_never_fenced_is_confirmed_off_first(fixture_text):
    status = survivor(fixture_text, nodes={"vm1": {"online": True, "unclean": True}, "vm2": {"online": True}})
    status["nodes"]["vm1"]["online"] = False
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, status, None) == [
        "vm1 was never fenced (unclean): confirm it is off (stonith_admin --confirm vm1) before replacing it"]


def test_the_old_node_come_back_is_not_a_new_one(fixture_text):
    ours = "# twonode.ha identity 0123abcd\n" + CONF
    errors = request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text), ours)
    assert errors == ["vm1 still has the corosync.conf this collection wrote (cluster vmbed): it is the old node come back, "
                      "not a new one; start its cluster (systemctl start corosync pacemaker) or reinstall it"]


def test_a_fresh_debian_server_with_the_packages_own_cluster_is_new(fixture_text):
    # Seen on the VM bed's new vm2: the corosync package's corosync.conf, corosync and pacemaker running.
    package_default = "totem {\n\tversion: 2\n\tcluster_name: debian\n}\n"
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text), package_default) == []


def test_a_survivor_without_its_cluster_cannot_take_a_node_in(fixture_text):
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], None, survivor(fixture_text), None) == [
        "vm2 has no corosync.conf: there is no cluster to bring vm1 back into"]
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text, stack_running=False), None) == [
        "the cluster does not run on vm2: the survivor must serve while vm1 is replaced"]
    assert request_errors("vm1", "vmbed", MEMBERS, ["r0"], CONF, survivor(fixture_text, quorate=False), None) == [
        "vm2 is not quorate: it cannot take vm1 back in (start it as the only node first)"]
