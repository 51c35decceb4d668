import pytest

from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import (
    authkey_source,
    fence_agent_packages,
    fence_cib_objects,
    fence_device_errors,
    cluster_name_errors,
    member_errors,
    property_errors,
    node_list,
    start_delay_errors,
    tolerance_errors,
)


def member(host, r0, r1, name=None, addresses=None):
    return {"host": host, "node_name": name or host, "ring0_addr": r0, "ring1_addr": r1,
            "addresses": addresses if addresses is not None else [r0, r1, "127.0.0.1"]}


PAIR = [member("node1", "10.213.10.11", "10.213.20.11"), member("node2", "10.213.10.12", "10.213.20.12")]


def test_a_good_pair_has_no_problems():
    assert member_errors(PAIR) == []


@pytest.mark.parametrize("members", [PAIR[:1], PAIR + [member("node3", "10.0.0.3", "10.0.1.3")]])
def test_one_or_three_hosts_are_refused(members):
    errors = member_errors(members)
    assert len(errors) == 1 and "exactly two members" in errors[0]
    assert "has %d" % len(members) in errors[0]


def test_address_not_on_the_node():
    pair = [PAIR[0], member("node2", "10.213.10.12", "10.213.20.99", addresses=["10.213.10.12", "10.213.20.12"])]
    errors = member_errors(pair)
    assert errors == ["node2: cluster_ring1_addr 10.213.20.99 is not an address of this host "
                      "(it has: 10.213.10.12, 10.213.20.12)"]


@pytest.mark.parametrize("bad", ["10.213.10", "node2.example", "", None, "10.213.10.300"])
def test_malformed_addresses(bad):
    pair = [PAIR[0], member("node2", bad, "10.213.20.12", addresses=None)]
    pair[1]["addresses"] = None
    errors = member_errors(pair)
    assert any("cluster_ring0_addr" in e and "not an IP address" in e for e in errors)


def test_loopback_duplicates_and_names():
    pair = [member("node1", "127.0.0.1", "10.213.20.11", addresses=None),
            member("node2", "10.213.10.12", "10.213.20.11", name="node1", addresses=None)]
    pair[0]["addresses"] = pair[1]["addresses"] = None
    errors = member_errors(pair)
    assert any("cannot carry cluster traffic" in e for e in errors)
    assert any("already used by node1 (ring1_addr)" in e for e in errors)
    assert any("both use the node name 'node1'" in e for e in errors)


@pytest.mark.parametrize("value,fragment", [
    ("3 seconds", "not a duration"), ("100ms", "use 500 ms to 60000 ms"), ("5m", "use 500 ms"),
])
def test_tolerance_errors(value, fragment):
    errors = tolerance_errors(value)
    assert len(errors) == 1 and fragment in errors[0] and errors[0].startswith("cluster_outage_tolerance")


def test_tolerance_ok():
    assert tolerance_errors("3s") == [] and tolerance_errors(2) == []


def test_start_delay():
    assert start_delay_errors("0") == [] and start_delay_errors("15s") == []
    assert "over 5 minutes" in start_delay_errors("10m")[0]
    assert "not a duration" in start_delay_errors("soon")[0]


DEVICES = [
    {"name": "fence-node1", "agent": "fence_ipmilan", "fences": "node1", "params": {"ip": "192.0.2.1"}},
    {"name": "fence-node2", "agent": "fence_ipmilan", "fences": "node2", "params": {"ip": "192.0.2.2"}},
]


def test_fencing_each_node_is_fine():
    assert fence_device_errors(DEVICES, ["node1", "node2"], False) == []


def test_fence_device_for_unknown_node():
    devices = [DEVICES[0], dict(DEVICES[1], fences="node3")]
    errors = fence_device_errors(devices, ["node1", "node2"], False)
    assert "fence device 'fence-node2': fences 'node3', which is not a node of this cluster (node1, node2)" in errors
    # ... and so node2 is left without fencing.
    assert any(e.startswith("no fence device fences node node2") for e in errors)


@pytest.mark.parametrize("secret_params,message", [
    ({"password": "pw"}, "secret_params must be a list of parameter names whose values are in params (got dict)"),
    (["password"], "secret_params names password, which params does not set"),
])
def test_fence_secret_params_that_would_hide_nothing_are_refused(secret_params, message):
    devices = [DEVICES[0], dict(DEVICES[1], secret_params=secret_params)]
    errors = fence_device_errors(devices, ["node1", "node2"], False)
    assert [e for e in errors if message in e and e.startswith("fence device 'fence-node2': ")], errors


def test_no_fencing_needs_the_loud_override():
    errors = fence_device_errors([], ["node1", "node2"], False)
    assert len(errors) == 2 and all("cluster_i_accept_data_loss_without_fencing" in e for e in errors)
    assert fence_device_errors([], ["node1", "node2"], True) == []


def test_bad_device_fields():
    devices = [{"name": "1bad", "agent": "ipmi", "fences": "node1", "params": []},
               {"name": "fence-node2", "agent": "fence_ipmilan", "fences": "node2"},
               {"name": "fence-node2", "agent": "fence_ipmilan", "fences": "node2"}]
    errors = fence_device_errors(devices, ["node1", "node2"], False)
    assert any("'1bad' is not a valid resource id" in e for e in errors)
    assert any("agent 'ipmi' is not a fence agent name" in e for e in errors)
    assert any("params must be a mapping" in e for e in errors)
    assert any("name 'fence-node2' is used twice" in e for e in errors)


def test_fence_objects_break_a_tie_for_the_survivor_and_keep_devices_off_their_target():
    objects = fence_cib_objects(DEVICES, survivor="node1", race_delay="5s")
    by_id = {r["id"]: r for r in objects["resources"]}
    # A fifth of the race delay: the node that serves (priority-fencing-delay 5 s) wins before it counts.
    # As a map (node:delay) even for one node: a bare value makes Pacemaker 3.0 log an error at each fencing.
    assert by_id["fence-node1"]["params"]["pcmk_delay_base"] == "node1:1000ms"
    assert "pcmk_delay_base" not in by_id["fence-node2"]["params"]
    assert by_id["fence-node1"]["params"]["pcmk_host_list"] == "node1"
    assert by_id["fence-node2"]["class"] == "stonith" and by_id["fence-node2"]["type"] == "fence_ipmilan"
    assert {(c["rsc"], c["node"], c["score"]) for c in objects["constraints"]} == {
        ("fence-node1", "node1", "-INFINITY"), ("fence-node2", "node2", "-INFINITY")}
    # The inventory's own data is not modified.
    assert "pcmk_host_list" not in DEVICES[0]["params"]


def test_fence_monitor_and_start_have_room_for_a_busy_node():
    # Pacemaker's default 20 s timed out for fence_sbd on a VM busy with a takeover and a resync:
    # first the monitor, and then (seen on the VM bed) the start, which runs the agent's monitor too.
    objects = fence_cib_objects(DEVICES, survivor="node1", race_delay="5s")
    assert objects["resources"][0]["ops"] == [{"name": "monitor", "interval": "60s", "timeout": "60s"},
                                              {"name": "start", "interval": "0s", "timeout": "60s"}]
    devices = [dict(DEVICES[0], monitor_interval="30s", monitor_timeout="2m")]
    assert fence_cib_objects(devices, "node1", "5s")["resources"][0]["ops"] == [
        {"name": "monitor", "interval": "30s", "timeout": "2m"}, {"name": "start", "interval": "0s", "timeout": "2m"}]


def test_fence_monitor_durations_are_checked():
    devices = [dict(DEVICES[0], monitor_timeout="soon"), dict(DEVICES[1], monitor_interval=0)]
    errors = fence_device_errors(devices, ["node1", "node2"], allow_no_fencing=False)
    assert any("fence device 'fence-node1': monitor_timeout 'soon' is not a duration" in e for e in errors)
    assert any("fence device 'fence-node2': monitor_interval 0 is not a duration" in e for e in errors)


def test_host_map_is_respected():
    devices = [dict(DEVICES[0], params={"pcmk_host_map": "node1:vm-1"})]
    params = fence_cib_objects(devices, "node2", "5s")["resources"][0]["params"]
    assert params == {"pcmk_host_map": "node1:vm-1"}


def test_node_list_numbers_in_inventory_order():
    assert node_list(PAIR) == [
        {"host": "node1", "name": "node1", "nodeid": 1, "ring0_addr": "10.213.10.11", "ring1_addr": "10.213.20.11"},
        {"host": "node2", "name": "node2", "nodeid": 2, "ring0_addr": "10.213.10.12", "ring1_addr": "10.213.20.12"},
    ]


@pytest.mark.parametrize("states,expected", [
    # Fresh pair, no keys: the first node makes one.
    ([("a", False, False), ("b", False, False)], "a"),
    # The packages made a key on each node: the first node's wins.
    ([("a", True, False), ("b", True, False)], "a"),
    # Node a was reinstalled: the running cluster's key (on b) wins.
    ([("a", True, False), ("b", True, True)], "b"),
    ([("a", False, False), ("b", True, False)], "b"),
])
def test_authkey_source(states, expected):
    assert authkey_source([{"host": h, "has_key": k, "in_cluster": c} for h, k, c in states]) == expected


def test_sbd_device_fences_both_nodes_and_the_survivor_waits():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import sbd_fence_devices
    devices = sbd_fence_devices(["/dev/vdc"], ["vm1", "vm2"])
    assert fence_device_errors(devices, ["vm1", "vm2"], False) == []
    objects = fence_cib_objects(devices, survivor="vm1", race_delay="5s")
    (resource,) = objects["resources"]
    assert (resource["id"], resource["type"]) == ("fence-sbd", "fence_sbd")
    assert resource["params"] == {"devices": "/dev/vdc", "pcmk_host_list": "vm1 vm2",
                                  "pcmk_delay_base": "vm1:1000ms;vm2:0s"}
    # One device for both nodes may run on either node.
    assert objects["constraints"] == []
    assert sbd_fence_devices([], ["vm1", "vm2"]) == []


def test_sbd_settings_are_checked():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import sbd_errors
    assert sbd_errors(["/dev/vdc"], 10) == []
    assert "not a disk path" in sbd_errors(["vdc"], 10)[0]
    assert "twice" in sbd_errors(["/dev/vdc", "/dev/vdc"], 10)[0]
    assert "one to three" in sbd_errors(["/dev/a", "/dev/b", "/dev/c", "/dev/d"], 10)[0]
    assert "whole seconds" in sbd_errors(["/dev/vdc"], 0)[0]
    assert "whole seconds" in sbd_errors(["/dev/vdc"], "10")[0]


def test_the_sbd_devices_read_cannot_fail_before_the_input_check_says_why():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import sbd_device_paths
    assert sbd_device_paths(["/dev/vdc"], "/dev/watchdog") == ["/dev/vdc", "/dev/watchdog"]
    assert sbd_device_paths([], "/dev/watchdog") == []
    # A string where a list belongs: sbd_errors names the mistake; the read asks for nothing.
    assert sbd_device_paths("/dev/vdc", "/dev/watchdog") == []


def test_the_serving_node_wins_the_race_and_the_fencing_timeout_covers_the_delays():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import fence_properties
    assert fence_properties(True, "5s") == {"stonith-enabled": True, "priority-fencing-delay": "5s",
                                            "stonith-timeout": "66s"}   # 60 s + 5 s + the 1 s tie-break
    assert fence_properties(True, "5s", 10) == {"stonith-enabled": True, "priority-fencing-delay": "5s",
                                                "stonith-timeout": "60s"}  # 20 s msgwait + 20 % + 6 s
    assert fence_properties(True, "5s", 30)["stonith-timeout"] == "78s"
    # No delay (an arbitrator decides splits): one set before is taken back, and the timeout with it.
    assert fence_properties(True, "0s") == {"stonith-enabled": True, "priority-fencing-delay": "0", "stonith-timeout": "60s"}
    assert fence_properties(False, "5s") == {"stonith-enabled": False}


def test_sbd_stonith_timeout_covers_the_message_wait():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import sbd_stonith_timeout
    assert sbd_stonith_timeout(5, 5000) == 60
    assert sbd_stonith_timeout(30, 5000) == 77   # msgwait 60 s + 20 % + 5 s race delay


def test_a_device_must_fence_nodes_of_this_cluster():
    errors = fence_device_errors([{"name": "f", "agent": "fence_sbd", "fences": ["vm1", "vm9"]}], ["vm1", "vm2"], False)
    assert any("'vm9'" in e for e in errors) and any("no fence device fences node vm2" in e for e in errors)


def test_fence_agent_packages_debian_12_has_one_package_for_all_agents():
    assert fence_agent_packages(["fence_ipmilan", "fence_sbd"], "Debian", "12") == ["fence-agents"]
    assert fence_agent_packages([], "Debian", "12") == []


def test_fence_agent_packages_debian_13_one_package_per_agent():
    # Package names as trixie ships them (fence-agents 4.16.0-3): fence_idrac, fence_ilo4 and
    # fence_ipmilan are all in fence-agents-ipmilan, fence_ilo4_ssh in fence-agents-ilo-ssh.
    assert fence_agent_packages(["fence_docker"], "Debian", "13") == ["fence-agents-docker"]
    assert fence_agent_packages(["fence_sbd", "fence_sbd"], "Debian", "13") == ["fence-agents-sbd"]
    assert fence_agent_packages(["fence_idrac", "fence_ilo4", "fence_ipmilan", "fence_ilo4_ssh",
                                 "fence_vmware_rest", "fence_ilo"], "Debian", "13") == [
        "fence-agents-ilo-ssh", "fence-agents-ilo2", "fence-agents-ipmilan", "fence-agents-vmware-rest"]


def test_fence_agent_packages_unknown_release_falls_back_to_the_whole_set():
    assert fence_agent_packages(["fence_docker"], "Debian", "") == ["fence-agents"]
    assert fence_agent_packages(["fence_docker"], "Ubuntu", "24") == ["fence-agents"]


def test_fence_secrets_travel_apart_from_the_plain_parameters():
    devices = [{"name": "fence-node1", "agent": "fence_ipmilan", "fences": "node1",
                "params": {"ip": "192.0.2.1", "username": "admin", "password": "pw1", "hexadecimal_kg": "00ff",
                           "snmp_community": "c0mm"},
                "secret_params": ["username"]}]
    device = fence_cib_objects(devices, survivor="node1", race_delay="5s")["resources"][0]
    assert device["secrets"] == {"password": "pw1", "hexadecimal_kg": "00ff", "snmp_community": "c0mm",
                                 "username": "admin"}
    assert set(device["params"]) == {"ip", "pcmk_host_list", "pcmk_delay_base"}


@pytest.mark.parametrize("name", ["twonode", "web-pair_01", "a", "x" * 32])
def test_cluster_names_corosync_and_dlm_accept(name):
    assert cluster_name_errors(name) == []


@pytest.mark.parametrize("name", ["", "my cluster", "web.pair", "-pair", "x" * 33, "pair{", 42, None])
def test_cluster_names_that_would_break_corosync_conf_or_dlm(name):
    errors = cluster_name_errors(name)
    assert len(errors) == 1 and "cluster_name" in errors[0] and "32" in errors[0]


@pytest.mark.parametrize("name,value", [("stonith-enabled", "false"), ("stonith-enabled", False),
                                        ("fencing-enabled", "no"), ("stonith-enabled", "0")])
def test_properties_that_turn_fencing_off_need_the_override(name, value):
    errors = property_errors({name: value}, False, "5s")
    assert len(errors) == 1 and "turns fencing off" in errors[0]
    assert "cluster_i_accept_data_loss_without_fencing" in errors[0]
    assert property_errors({name: value}, True, "5s") == []


def test_properties_that_keep_fencing_on_pass():
    assert property_errors({"stonith-enabled": "true", "no-quorum-policy": "stop"}, False, "5s") == []


def test_the_race_delay_must_be_a_duration_below_the_stonith_timeout():
    assert "cluster_fence_race_delay" in property_errors({}, False, "five seconds")[0]
    assert "default stonith-timeout (60000 ms)" in property_errors({}, False, "60s")[0]
    assert property_errors({}, False, "0") == []
    errors = property_errors({"stonith-timeout": "20s"}, False, "30s")
    assert len(errors) == 1 and "cluster_properties stonith-timeout (20000 ms)" in errors[0]
    assert property_errors({"stonith-timeout": "90s"}, False, "70s") == []
    assert "not a duration" in property_errors({"stonith-timeout": "soon"}, False, "5s")[0]
    # With SBD the timeout is worked out to cover the delay.
    assert property_errors({}, False, "70s", sbd_watchdog_timeout=5) == []


def test_properties_must_be_a_mapping():
    assert property_errors(["stonith-enabled=false"], False, "5s") == [
        "cluster_properties must be a mapping of Pacemaker property names to values"]


def test_the_one_host_message_names_what_to_change():
    message = member_errors(PAIR[:1])[0]
    assert "cluster_members" not in message and "twonode_pair" in message


def test_metrics_listen_on_one_address_of_the_node():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import metrics_address, metrics_errors
    assert metrics_address("10.213.10.11:9664") == ("10.213.10.11", 9664)
    assert metrics_address("[fd00::11]:9664") == ("fd00::11", 9664)
    for bad in ("10.213.10.11", "10.213.10.11:", "10.213.10.11:99999", "host.example:9664", "fd00::11:9664", ":9664"):
        assert metrics_address(bad) is None, bad
    node = {"host": "node1", "addresses": ["10.213.10.11", "10.213.20.11"]}
    assert metrics_errors([dict(node, metrics_address="")]) == []
    assert metrics_errors([dict(node, metrics_address="10.213.10.11:9664")]) == []
    assert metrics_errors([dict(node, metrics_address="127.0.0.1:9664")]) == []
    assert metrics_errors([dict(node, metrics_address="0.0.0.0:9664")]) == [
        "node1: cluster_metrics_address 0.0.0.0:9664 would publish the metrics on every address of the node; "
        "name one (the network your Prometheus scrapes from)"]
    assert metrics_errors([dict(node, metrics_address="10.9.9.9:9664")]) == [
        "node1: cluster_metrics_address 10.9.9.9:9664 is not an address of this host (it has: 10.213.10.11, 10.213.20.11)"]
    assert metrics_errors([dict(node, metrics_address="fd00::11:9664")])[0].startswith(
        "node1: cluster_metrics_address 'fd00::11:9664' is not ADDRESS:PORT")


def test_an_arbitrator_must_be_a_third_host_of_its_group():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import arbitrator_errors
    pair, group = ["node1", "node2"], ["arbiter"]
    assert arbitrator_errors("", pair, [], "", 5403, [], "testbed", []) == []
    assert arbitrator_errors("arbiter", pair, group, "10.213.10.13", 5403, ["10.213.10.1"], "testbed", []) == []
    assert arbitrator_errors("node2", pair, group, "10.213.10.12", 5403, [], "testbed", []) == [
        "cluster_arbitrator node2 is a node of this pair; the arbitrator must be a third host"]
    assert arbitrator_errors("qnetd1", pair, group, "qnetd1", 5403, [], "testbed", []) == [
        "cluster_arbitrator qnetd1 is not a host of the ha_arbitrator group (it has: arbiter)"]


@pytest.mark.parametrize("address, port, ping, fragment", [
    ("0.0.0.0", 5403, [], "not an address the nodes can reach"),
    ("qnetd host", 5403, [], "is not a host name or an address"),
    ("10.0.0.9", 70000, [], "is not a TCP port"),
    ("10.0.0.9", "5403", [], "is not a TCP port"),
    ("10.0.0.9", 5403, "10.0.0.1", "must be a list of IP addresses"),
    ("10.0.0.9", 5403, ["gateway"], "must be a list of IP addresses"),
])
def test_arbitrator_address_port_and_pings_are_checked(address, port, ping, fragment):
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import arbitrator_errors
    errors = arbitrator_errors("arbiter", ["node1", "node2"], ["arbiter"], address, port, ping, "testbed", [])
    assert len(errors) == 1 and fragment in errors[0], errors


def test_pairs_that_share_an_arbitrator_need_names_of_their_own():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import arbitrator_errors, namesakes
    hostvars = {"web1": {"cluster_ring0_addr": "10.1.0.11"}, "web2": {"cluster_ring0_addr": "10.1.0.12"},
                "db1": {"cluster_ring0_addr": "10.2.0.11", "cluster_name": "db"}, "arbiter": {}}
    others = ["web1", "web2", "db1", "arbiter"]
    assert namesakes(hostvars, others, "twonode") == ["web1", "web2"]
    assert namesakes(hostvars, others, "db") == ["db1"]
    assert namesakes(hostvars, others, "mail") == []
    errors = arbitrator_errors("arbiter", ["mail1", "mail2"], ["arbiter"], "10.0.0.9", 5403, [], "twonode",
                               namesakes(hostvars, others, "twonode"))
    assert errors == ["hosts web1, web2 are nodes of another cluster named twonode: pairs that share an arbitrator "
                      "need cluster names of their own (set cluster_name)"]


def test_both_clocks_must_be_synchronised_by_a_time_service_unless_not_required():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import time_sync_errors
    synced = {"node_name": "node1", "clock": {"synchronized": True, "services": ["chrony"]}}
    no_service = {"node_name": "node2", "clock": {"synchronized": False, "services": []}}
    unsynced = {"node_name": "node2", "clock": {"synchronized": False, "services": ["systemd-timesyncd"]}}
    assert time_sync_errors([synced, dict(synced, node_name="node2")]) == []
    assert time_sync_errors([synced, no_service]) == [
        "node2: no time service runs (chrony, systemd-timesyncd, ntpsec, ntp, openntpd): install and start one "
        "(chrony or systemd-timesyncd), or set cluster_require_time_sync: false"]
    assert time_sync_errors([synced, unsynced])[0].startswith(
        "node2: systemd-timesyncd runs but the clock is not synchronised")
    # The kernel could not be asked: not taken for synchronised.
    assert time_sync_errors([dict(synced, clock={"synchronized": None, "services": ["chrony"]})])
    assert time_sync_errors([no_service, unsynced], required=False) == []


def test_two_hosts_that_reach_one_machine_are_refused():
    from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_inputs import member_errors
    one = {"host": "web1", "node_name": "web1", "ring0_addr": "192.0.2.11", "ring1_addr": "198.51.100.11", "hostname": "web1"}
    two = {"host": "web2", "node_name": "web2", "ring0_addr": "192.0.2.12", "ring1_addr": "198.51.100.12", "hostname": "web1"}
    errors = member_errors([one, two])
    assert errors == ["web1 and web2 answered as the same machine (host name web1): each inventory host must reach its own "
                      "node (check ansible_host; after adopt.yml the server's old address belongs to a group)"]
    assert member_errors([one, dict(two, hostname="web2")]) == []
