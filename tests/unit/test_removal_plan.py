"""Taking a pair apart (playbooks/remove.yml): the request's checks on DRBD states parsed from /proc/drbd captured
on the VM bed (DRBD 8.4.11), and what the node that keeps the data gets, on `ip -json address` captured on the
container bed (node2, standby: its own 10.213.10.12/24 on eth0)."""
import pytest

from ansible_collections.twonode.ha.plugins.module_utils.drbd import parse_proc_drbd
from ansible_collections.twonode.ha.plugins.plugin_utils import removal_plan as plan

CONF = "totem {\n    version: 2\n    cluster_name: shop\n    transport: knet\n}\n"


def volumes(fixture_text, name):
    return parse_proc_drbd(fixture_text(name), {0: "r0"})


def seen_from_the_peer(volume_list):
    """The same resource as the other node reports it (its role and disk are this one's peer's)."""
    return [dict(v, role=v["peer_role"], peer_role=v["role"], disk=v["peer_disk"], peer_disk=v["disk"]) for v in volume_list]


def members(node1_drbd, node2_drbd, conf=CONF):
    return [{"host": "vm1", "node_name": "node1", "conf": conf, "status": {"drbd": node1_drbd}},
            {"host": "vm2", "node_name": "node2", "conf": conf, "status": {"drbd": node2_drbd}}]


def test_the_name_is_the_one_corosync_conf_carries():
    assert plan.conf_cluster_name(CONF) == "shop"
    assert plan.conf_cluster_name(None) is None
    errors = plan.request_errors("node1", "twonode", members([], []), [], "twonode")
    assert errors == ["confirm=twonode does not name this cluster: pass -e confirm=shop to take the pair apart "
                      "(its groups stop: an outage)"]
    assert plan.request_errors("vm2", "shop", members([], []), [], "twonode") == []


def test_keep_must_be_a_node_of_the_pair():
    assert plan.request_errors("node3", "shop", members([], []), [], "shop") == [
        "keep=node3 is not a node of this pair: name the node that keeps the data and runs the services afterwards (node1, node2)"]
    assert plan.request_errors("", "shop", members([], []), [], "shop")[0].startswith("keep= is not a node")


def test_either_node_of_a_healthy_mirror_may_keep_the_data(fixture_text):
    healthy = volumes(fixture_text, "proc_drbd_84_healthy.txt")
    for keep in ("node1", "node2"):
        assert plan.request_errors(keep, "shop", members(healthy, seen_from_the_peer(healthy)), ["r0"], "shop") == []


def test_a_sync_target_or_an_outdated_copy_is_never_the_one_kept(fixture_text):
    syncing = volumes(fixture_text, "proc_drbd_84_syncing.txt")
    assert plan.request_errors("node2", "shop", members(syncing, seen_from_the_peer(syncing)), ["r0"], "shop") == [
        "node2's copy of DRBD r0 is Inconsistent, not UpToDate: name node1 as keep, or let the sync finish"]
    assert plan.request_errors("node1", "shop", members(syncing, seen_from_the_peer(syncing)), ["r0"], "shop") == []


def test_a_disconnected_copy_beside_a_primary_peer_may_be_older(fixture_text):
    # node1 serves alone (Primary, peer unknown); node2 kept its disk UpToDate as it was when the link went.
    primary_alone = volumes(fixture_text, "proc_drbd_84_disconnected.txt")
    stale = [dict(primary_alone[0], role="Secondary", peer_role="Unknown", connection="WFConnection")]
    errors = plan.request_errors("node2", "shop", members(primary_alone, stale), ["r0"], "shop")
    assert errors == ["DRBD r0 is not connected and node1 writes to it (Primary): node2's copy may be older; name node1 as "
                      "keep, or reconnect the resource first"]


def test_a_resource_up_on_the_peer_only_or_on_neither_node_is_refused_unless_forced(fixture_text):
    healthy = volumes(fixture_text, "proc_drbd_84_healthy.txt")
    assert "runs on node1 only" in plan.request_errors("node2", "shop", members(healthy, []), ["r0"], "shop")[0]
    neither = plan.request_errors("node1", "shop", members([], []), ["r0"], "shop")
    assert neither == ["neither node runs DRBD r0, so which copy is newer cannot be read: start the cluster, or pass "
                       "-e force=true to keep node1's copy as it is"]
    assert plan.request_errors("node1", "shop", members([], []), ["r0"], "shop", force=True) == []
    # A rerun after the removal took corosync.conf away: nothing left to compare, nothing refused.
    assert plan.request_errors("node1", "shop", members([], [], conf=None), ["r0"], "shop") == []


def test_the_kept_node_gets_the_vips_on_the_interface_whose_network_holds_them(fixture_text):
    groups = [{"name": "services", "vips": ["10.213.10.100"], "services": ["nginx", "postfix"],
               "storage": {"drbd": "r0", "mountpoint": "/srv/services", "options": "noatime"}},
              {"name": "shop", "vips": ["10.213.10.101"], "services": [{"name": "api", "agent": "systemd:shopapi"}]}]
    drbd = [{"name": "r0", "disk": {"node1": "/dev/vdb", "node2": "/dev/vdc"}, "port": 7789}]
    result = plan.keep_plan(groups, drbd, "node2", fixture_text("ip_json_p3_node2_standby.json"))
    assert result["errors"] == []
    assert result["vips"] == [{"address": "10.213.10.100", "prefix": 24, "nic": "eth0", "group": "services"},
                              {"address": "10.213.10.101", "prefix": 24, "nic": "eth0", "group": "shop"}]
    assert result["mounts"] == [{"resource": "r0", "disk": "/dev/vdc", "mountpoint": "/srv/services", "fstype": "ext4",
                                 "options": "noatime", "group": "services"}]
    assert result["units"] == ["nginx", "postfix", "shopapi"]
    # The type is named: blkid calls a disk with DRBD's metadata at its end "drbd", not ext4.
    assert plan.fstab_line(result["mounts"][0]) == "/dev/vdc /srv/services ext4 noatime 0 2"


def test_a_vip_no_interface_holds_is_an_error_before_any_change(fixture_text):
    result = plan.keep_plan([{"name": "web", "vips": ["192.0.2.10"]}], [], "node2", fixture_text("ip_json_p3_node2_standby.json"))
    assert result["errors"] == ["node2: no interface of node2 is in the network of group web's virtual IP 192.0.2.10"]
    # A group's nic narrows the search to that interface.
    on_eth1 = plan.keep_plan([{"name": "web", "vips": ["10.213.10.100"], "nic": "eth1"}], [], "node2",
                             fixture_text("ip_json_p3_node2_standby.json"))
    assert on_eth1["vips"] == [] and len(on_eth1["errors"]) == 1


@pytest.mark.parametrize("vips, units, expected", [
    ([{"address": "10.213.10.100", "prefix": 24, "nic": "eth0"}], ["nginx", "postfix"],
     ["Before=nginx.service postfix.service", "ExecStart=/usr/sbin/ip address replace 10.213.10.100/24 dev eth0",
      # Without the announcement the bed's host kept sending to the old node for half a minute.
      "ExecStartPost=-/usr/libexec/heartbeat/send_arp -i 200 -r 5 eth0 10.213.10.100 auto not_used not_used",
      "ExecStop=-/usr/sbin/ip address del 10.213.10.100/24 dev eth0", "WantedBy=multi-user.target"]),
    ([{"address": "fd00::100", "prefix": 64, "nic": "eth0"}], [],
     ["ExecStart=/usr/sbin/ip address replace fd00::100/64 dev eth0",
      "ExecStartPost=-/usr/libexec/heartbeat/send_ua -i 200 -c 5 fd00::100 64 eth0"]),
])
def test_the_address_unit_puts_the_vips_on_before_the_services(vips, units, expected):
    text = plan.address_unit(vips, "shop", units)
    lines = text.splitlines()
    assert all(line in lines for line in expected), text
    assert "Type=oneshot" in lines and "RemainAfterExit=yes" in lines


def test_a_disconnected_secondary_copy_is_not_kept_without_force(fixture_text):
    primary_alone = volumes(fixture_text, "proc_drbd_84_disconnected.txt")
    stale = [dict(primary_alone[0], role="Secondary", peer_role="Unknown", connection="WFConnection")]
    # node1 gone (its DRBD down): node2's Secondary copy may miss node1's last writes.
    errors = plan.request_errors("node2", "shop", members([], stale), ["r0"], "shop")
    assert len(errors) == 1 and "not the one in use (Secondary)" in errors[0]
    assert plan.request_errors("node2", "shop", members([], stale), ["r0"], "shop", force=True) == []
    # The Primary that served alone is kept without question.
    assert plan.request_errors("node1", "shop", members(primary_alone, []), ["r0"], "shop") == []


def test_a_split_brain_is_resolved_first(fixture_text):
    split = volumes(fixture_text, "proc_drbd_84_split_brain_primary.txt")
    split = [dict(v, split_brain=v.get("split_brain") or {"seen": True}) for v in split]
    errors = plan.request_errors("node1", "shop", members(split, []), ["r0"], "shop", force=True)
    assert errors == ["DRBD r0 is in split brain: resolve it first (playbooks/splitbrain.yml), then take the pair apart"]


def test_a_rerun_keeps_the_node_the_first_run_kept():
    assert plan.request_errors("node2", "shop", members([], [], conf=None), ["r0"], "shop", recorded_keeps=["node1", None]) == [
        "an earlier run of remove.yml kept the data on node1: finish it with keep=node1 (the other copy may be older)"]
    assert plan.request_errors("node1", "shop", members([], [], conf=None), ["r0"], "shop", recorded_keeps=["node1", "node1"]) == []
    # A pair built again since (corosync.conf back) is a new removal: the old record does not count.
    assert plan.request_errors("node2", "shop", members([], []), [], "shop", recorded_keeps=["node1", "node1"]) == []
