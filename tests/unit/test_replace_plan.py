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


def _vol(name, disk, connection="Connected"):
    return {"name": name, "disk": disk, "connection": connection}


def test_a_failed_disk_is_replaced_only_from_an_up_to_date_peer():
    from ansible_collections.twonode.ha.plugins.plugin_utils.replace_plan import disk_request_errors
    pair = [{"host": "vm1", "node_name": "vm1"}, {"host": "vm2", "node_name": "vm2"}]
    up = {"stack_running": True}
    statuses = {"vm1": dict(up, drbd=[_vol("r0", "Diskless"), _vol("r1", "UpToDate")]),
                "vm2": dict(up, drbd=[_vol("r0", "UpToDate"), _vol("r1", "UpToDate")])}
    assert disk_request_errors("vm1", "vmbed", "vmbed", pair, ["r0", "r1"], statuses) == ([], ["r0"])
    errors, mend = disk_request_errors("vm1", "shop", "vmbed", pair, ["r0", "r1"], statuses)
    assert errors == ["confirm=shop does not name this cluster: pass -e confirm=vmbed to give vm1's new disk the data of vm2"]
    # Named alone, a resource with its disk is nothing to replace.
    assert disk_request_errors("vm1", "vmbed", "vmbed", pair, ["r1"], statuses)[0] == ["DRBD r1 on vm1 has its disk (UpToDate): nothing to replace"]
    # The peer must hold a good copy, connected.
    statuses["vm2"]["drbd"][0] = _vol("r0", "UpToDate", "StandAlone")
    assert disk_request_errors("vm1", "vmbed", "vmbed", pair, ["r0"], statuses)[0] == [
        "DRBD r0: vm2's copy is UpToDate (StandAlone), not an UpToDate copy connected to vm1; the new disk could get no good data"]
    assert disk_request_errors("vm3", "vmbed", "vmbed", pair, ["r0"], statuses)[0] == [
        "node=vm3 is not a node of this pair (vm1, vm2): name the node whose disk failed"]
    healthy = {"vm1": dict(up, drbd=[_vol("r0", "UpToDate")]), "vm2": dict(up, drbd=[_vol("r0", "UpToDate")])}
    assert disk_request_errors("vm1", "vmbed", "vmbed", pair, ["r0"], healthy)[0] == ["DRBD r0 on vm1 has its disk (UpToDate): nothing to replace"]


def test_the_replace_disk_filter_reads_the_name_from_corosync_conf():
    from ansible_collections.twonode.ha.plugins.filter.remove import replace_disk_plan
    conf = "totem {\n    version: 2\n    cluster_name: vmbed\n}\n"
    up = {"stack_running": True}
    members = [{"host": "vm1", "node_name": "vm1", "conf": conf, "status": dict(up, drbd=[_vol("r0", "Diskless")])},
               {"host": "vm2", "node_name": "vm2", "conf": None, "status": dict(up, drbd=[_vol("r0", "UpToDate")])}]
    assert replace_disk_plan("vm1", "vmbed", members, ["r0"]) == {"errors": [], "mend": ["r0"]}
    assert replace_disk_plan("vm1", "other", members, ["r0"])["errors"][0].startswith("confirm=other does not name this cluster")
