"""The verdict on states captured from the container bed (group services on node1)."""
from ansible_collections.twonode.ha.plugins.module_utils.corosync import parse_cfgtool_status
from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon
from ansible_collections.twonode.ha.plugins.module_utils.drbd import parse_proc_drbd
from ansible_collections.twonode.ha.plugins.module_utils.health import groups_of, settle_problems, verdict

NAMES = {1: "node1", 2: "node2"}


def status(fixture_text, name):
    return parse_crm_mon(fixture_text(name))


def test_healthy_pair_is_available(fixture_text):
    links = parse_cfgtool_status(fixture_text("cfgtool_both_links.txt"))
    assert verdict(status(fixture_text, "crm_mon_group_healthy.xml"), links, [], NAMES) == ("available", [])
    groups = groups_of(status(fixture_text, "crm_mon_group_healthy.xml"))
    assert groups == {"services": {"members": ["services-vip1", "services-nginx", "services-postfix"],
                                   "nodes": {"node1"}, "running": 3, "wanted": 3, "kind": "group"}}


def test_peer_stopped(fixture_text):
    links = parse_cfgtool_status(fixture_text("cfgtool_peer_stopped.txt"))
    result, reasons = verdict(status(fixture_text, "crm_mon_group_peer_stopped.xml"), links, [], NAMES)
    assert result == "degraded"
    assert reasons == ["node node2 is offline", "fence device fence-node1 is not running",
                       "corosync link 0 to node2 is disconnected", "corosync link 1 to node2 is disconnected"]


def test_one_link_down(fixture_text):
    links = parse_cfgtool_status(fixture_text("cfgtool_link1_down.txt"))
    assert verdict(status(fixture_text, "crm_mon_group_healthy.xml"), links, [], NAMES) == \
        ("degraded", ["corosync link 1 to node2 is disconnected"])


def test_failed_action(fixture_text):
    parsed = status(fixture_text, "crm_mon_group_failed_action.xml")
    assert parsed["fail_counts"] == [{"node": "node1", "resource": "services-nginx", "fail_count": 1,
                                      "migration_threshold": "3"}]
    assert verdict(parsed, None, [], NAMES) == \
        ("degraded", ["failed action services-nginx_monitor_10000 on node1: failed"])


def test_maintenance(fixture_text):
    result, reasons = verdict(status(fixture_text, "crm_mon_group_maintenance.xml"), None, [], NAMES)
    assert result == "degraded"
    assert reasons == ["the cluster is in maintenance mode: it does not start, stop or recover resources"]


def test_fence_history(fixture_text):
    parsed = status(fixture_text, "crm_mon_group_peer_fenced.xml")
    assert parsed["fence_history"] == [{"action": "reboot", "target": "node2", "status": "success",
                                        "delegate": "node1", "origin": "node1", "completed": "2026-11-22 05:03:42Z"}]


def test_drbd_resync_degrades(fixture_text):
    drbd = parse_proc_drbd(fixture_text("proc_drbd_84_syncing.txt"), {0: "r0"})
    result, reasons = verdict(status(fixture_text, "crm_mon_group_healthy.xml"), None, drbd, NAMES)
    assert result == "degraded" and reasons[0].startswith("DRBD r0 is resynchronising (SyncSource) 29.0% done")


def test_stack_stopped_is_down_and_says_so():
    result, reasons = verdict(None)
    assert result == "down" and "not running on this node" in reasons[0]


def test_group_stopped_everywhere_is_down(fixture_text):
    text = fixture_text("crm_mon_group_healthy.xml").replace('role="Started" active="true"', 'role="Stopped" active="false"')
    result, reasons = verdict(parse_crm_mon(text), None, [], NAMES)
    assert result == "down"
    assert "group services is not running anywhere" in reasons


def test_status_lines_for_a_degraded_pair():
    from ansible_collections.twonode.ha.plugins.module_utils.health import status_lines
    lines = status_lines({
        "verdict": "degraded", "reasons": ["node node2 is offline"], "local_node": "node1",
        "nodes": {"node1": {"online": True, "dc": True}, "node2": {"online": False}},
        "groups": {"services": {"kind": "group", "nodes": ["node1"], "running": 3, "wanted": 3}},
        "links": [{"link": 0, "address": "10.213.10.11", "peers": {"node1": "localhost", "node2": "disconnected"}}],
        "drbd": [{"name": "r0", "minor": 0, "role": "Primary", "peer_role": "Unknown", "disk": "UpToDate",
                  "peer_disk": "DUnknown", "replication": None, "connection": "WFConnection", "sync_percent": None}],
        "fence_devices": [{"id": "fence-node2", "active": True, "nodes": ["node1"]}],
    })
    assert lines == [
        "verdict: degraded (seen from node1)", "  - node node2 is offline",
        "nodes:", "  node1        online (dc)", "  node2        OFFLINE",
        "groups:", "  services     group on node1 (3/3 running)",
        "corosync links (from node1):", "  link 0 10.213.10.11    node2 disconnected",
        "drbd:", "  r0           Primary/Unknown UpToDate/DUnknown WFConnection",
        "fence devices:", "  fence-node2  started on node1",
    ]


def test_bans_on_services_degrade_and_say_where_they_come_from(fixture_text):
    """Captured on the VM bed: vm1 powered off (DRBD's fence-peer constraint set), and a crm_resource --ban."""
    away = status(fixture_text, "crm_mon_drbd_peer_away.xml")
    assert away["bans"] == [{"id": "drbd-fence-by-handler-r0-rule-services-drbd-clone", "resource": "services-drbd-clone",
                             "node": "vm1", "weight": "-1000000", "promoted_only": True}]
    drbd = parse_proc_drbd(fixture_text("proc_drbd_84_peer_outdated.txt"), {0: "r0"})
    result, reasons = verdict(away, None, drbd, {})
    assert result == "degraded"
    assert "DRBD r0 is not connected to its peer (WFConnection): writes are not mirrored" in reasons
    assert ("constraint drbd-fence-by-handler-r0-rule-services-drbd-clone keeps services-drbd-clone from being promoted "
            "on vm1 (DRBD's fence-peer handler set it while vm1's data was behind; it is removed after a resync)") in reasons
    banned = status(fixture_text, "crm_mon_cli_ban.xml")
    assert verdict(banned, None, [], {}) == ("degraded", [
        "constraint cli-ban-services-on-vm2 keeps services from running on vm2 "
        "(left by crm_resource --ban or --move; crm_resource --clear removes it)"])


def test_fence_devices_kept_off_their_target_are_not_a_problem(fixture_text):
    healthy = status(fixture_text, "crm_mon_group_healthy.xml")
    assert [ban["resource"] for ban in healthy["bans"]] == ["fence-node2", "fence-node1"]
    assert verdict(healthy, None, [], NAMES)[0] == "available"


def test_a_member_still_starting_is_not_available_yet(fixture_text):
    # Captured on the VM bed after nginx was killed: nginx is back, postfix (restarted after it) still starting.
    starting = status(fixture_text, "crm_mon_vm_nginx_back_postfix_starting.xml")
    restarted = status(fixture_text, "crm_mon_vm_nginx_restarted.xml")
    result, reasons = verdict(starting, None, [], NAMES)
    assert result == "degraded"
    # The kill's failed monitor stays listed until it expires; the only difference is the member still starting.
    assert reasons == verdict(restarted, None, [], NAMES)[1] + [
        "resource services-postfix is starting on vm2 (the operation has not finished)"]
    healthy = status(fixture_text, "crm_mon_group_healthy.xml")
    assert verdict(healthy, None, [], NAMES) == ("available", [])


def test_a_group_whose_service_is_still_starting_has_not_settled(fixture_text):
    """Captured on the VM bed while nginx started: crm_mon calls nginx active already."""
    status = parse_crm_mon(fixture_text("crm_mon_vm_nginx_starting.xml"))
    assert settle_problems(status, ["services"]) == [
        "group services: 3 of 4 resources run", "resource services-nginx is starting on vm2"]


def test_settled_groups(fixture_text):
    for fixture in ("crm_mon_group_healthy.xml", "crm_mon_p3_group_healthy.xml", "crm_mon_group_peer_stopped.xml"):
        assert settle_problems(parse_crm_mon(fixture_text(fixture)), ["services"]) == []


def test_a_group_not_yet_in_the_status_has_not_settled(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_group_healthy.xml"))
    assert settle_problems(status, ["services", "mail"]) == ["group mail is not in the cluster's status yet"]


def test_a_node_no_started_device_can_fence_degrades_the_pair(fixture_text):
    links = parse_cfgtool_status(fixture_text("cfgtool_both_links.txt"))
    healthy = status(fixture_text, "crm_mon_group_healthy.xml")
    assert verdict(healthy, links, [], NAMES, unfenceable=[]) == ("available", [])
    result, reasons = verdict(healthy, links, [], NAMES, unfenceable=["node2"])
    assert result == "degraded"
    assert reasons == ["no started fence device can fence node node2: if it hangs, the cluster cannot take over "
                       "its resources"]


def test_the_clocks_are_shown_and_disagreeing_clocks_degrade_an_available_pair():
    from ansible_collections.twonode.ha.plugins.module_utils.health import status_lines, with_clocks
    view = {"verdict": "available", "reasons": [], "local_node": "node1"}
    node1 = dict(view, clock={"now": 1796652000.250, "synchronized": True})
    node2 = {"local_node": "node2", "clock": {"now": 1796652000.950, "synchronized": False}}
    shown = with_clocks(view, [node1, node2])
    assert shown["verdict"] == "available" and shown["reasons"] == []
    assert shown["clocks"] == {"node1": {"synchronized": True, "ahead": 0.0},
                               "node2": {"synchronized": False, "ahead": 0.7}}
    skewed = with_clocks(view, [node1, dict(node2, clock={"now": 1796652042.0, "synchronized": False})])
    assert skewed["verdict"] == "degraded"
    assert skewed["reasons"] == ["the nodes' clocks differ by about 42 s (node2 is ahead): check their time service"]
    assert view == {"verdict": "available", "reasons": [], "local_node": "node1"}  # not changed in place
    down = with_clocks(dict(view, verdict="down"), [node1, dict(node2, clock={"now": 1796652100.0})])
    assert down["verdict"] == "down"
    assert with_clocks(view, [node1], max_skew=5) == dict(view, clocks={"node1": {"synchronized": True, "ahead": 0.0}})
    assert with_clocks(view, []) == view


def test_the_status_table_lists_the_clocks(fixture_text):
    from ansible_collections.twonode.ha.plugins.module_utils.health import status_lines
    status = {"verdict": "available", "reasons": [], "local_node": "node1", "nodes": {}, "groups": {}, "links": [],
              "drbd": [], "fence_devices": [],
              "clocks": {"node1": {"synchronized": True, "ahead": 0.0}, "node2": {"synchronized": False, "ahead": 0.7}}}
    lines = status_lines(status)
    assert lines[-3:] == ["clocks:", "  node1        synchronised, +0.0 s", "  node2        NOT synchronised, +0.7 s"]
