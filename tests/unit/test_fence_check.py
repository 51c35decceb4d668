"""Fence device status checks, on the CIB captured on the container bed (fence_docker, two devices)."""
from ansible_collections.twonode.ha.plugins.module_utils.fence_check import (
    answer_lines,
    reboot_request_errors,
    agent_stdin, checks_from, desired_devices, judge, plugs, problem, secret_values, stonith_devices, unchanged,
    unfenceable_nodes)


def test_the_devices_and_their_plugs_come_from_the_cib(fixture_text):
    devices = stonith_devices(fixture_text("cib_fenced.xml"))
    assert [(d["id"], d["agent"]) for d in devices] == [("fence-node1", "fence_docker"), ("fence-node2", "fence_docker")]
    assert plugs(devices[0]["params"]) == {"node1": "twonode-node1"}


def test_each_node_asks_about_its_peer_only(fixture_text):
    devices = stonith_devices(fixture_text("cib_fenced.xml"))
    asked = [(device["id"], node, plug) for device, node, plug in checks_from(devices, "node1")]
    assert asked == [("fence-node2", "node2", "twonode-node2")]


def test_the_agent_gets_its_own_parameters_on_stdin_without_pacemakers(fixture_text):
    device = stonith_devices(fixture_text("cib_fenced.xml"))[1]
    lines = agent_stdin(device["params"], "twonode-node2").splitlines()
    assert "ip=10.213.10.1" in lines and "tlskey=/etc/twonode/fence/client.key" in lines
    assert lines[-2:] == ["action=status", "plug=twonode-node2"]
    assert not [line for line in lines if line.startswith("pcmk_")]


def test_host_maps_and_lists_in_pacemakers_syntaxes():
    assert plugs({"pcmk_host_map": "alpha:10;beta:11"}) == {"alpha": "10", "beta": "11"}
    assert plugs({"pcmk_host_map": "alpha=vm-a beta=vm-b"}) == {"alpha": "vm-a", "beta": "vm-b"}
    assert plugs({"pcmk_host_list": "vm1 vm2"}) == {"vm1": "vm1", "vm2": "vm2"}
    assert plugs({}) == {}


def test_only_on_passes_and_secrets_are_masked():
    device = {"id": "fence-beta", "agent": "fence_ipmilan", "params": {"ip": "192.0.2.21", "password": "hunter22"}}
    on = judge(device, "beta", "beta", 0, "Status: ON\n", "")
    assert (on["status"], on["answer"], problem(on)) == ("ON", "Status: ON", None)
    off = judge(device, "beta", "beta", 2, "Status: OFF\n", "")
    assert "reports node beta (plug beta) as powered off" in problem(off)
    failed = judge(device, "beta", "beta", 1, "", "Failed: Unable to obtain correct plug status or plug is not available\n"
                   "ipmitool -P hunter22 refused\n")
    assert failed["status"] == "failed" and "hunter22" not in failed["answer"] and "********" in failed["answer"]
    assert problem(failed).startswith("fence device fence-beta cannot give the status of node beta (plug beta)")


def test_a_node_without_a_started_device_is_named(fixture_text):
    devices = stonith_devices(fixture_text("cib_fenced.xml"))
    assert unfenceable_nodes(devices, ["fence-node1", "fence-node2"], ["node1", "node2"]) == []
    assert unfenceable_nodes(devices, ["fence-node1"], ["node1", "node2"]) == ["node2"]
    sbd = [{"id": "fence-sbd", "agent": "fence_sbd", "params": {"devices": "/dev/vdc", "pcmk_host_list": "vm1 vm2"}}]
    assert unfenceable_nodes(sbd, ["fence-sbd"], ["vm1", "vm2"]) == []


def test_devices_from_the_role_carry_their_secrets_and_skip_when_unchanged(fixture_text):
    current = stonith_devices(fixture_text("cib_fenced.xml"))
    same = {"id": "fence-node2", "class": "stonith", "type": "fence_docker", "params": dict(current[1]["params"]),
            "secrets": {}}
    (device,) = desired_devices([same])
    assert unchanged(device, current)
    moved = dict(same, params=dict(same["params"], pcmk_host_map="node2:twonode-node1"))
    assert not unchanged(desired_devices([moved])[0], current)
    ipmi = {"id": "fence-beta", "class": "stonith", "type": "fence_ipmilan", "params": {"ip": "192.0.2.22", "port": 623},
            "secrets": {"bmc_word": "Tr0ub4dor"}}
    (device,) = desired_devices([ipmi])
    assert device["params"] == {"ip": "192.0.2.22", "port": "623", "bmc_word": "Tr0ub4dor"}
    assert secret_values(device) == ["Tr0ub4dor"]
    assert "Tr0ub4dor" not in judge(device, "beta", "beta", 1, "login as Tr0ub4dor failed", "")["answer"]


# What cluster_status returned on the container bed (the fields the request check reads).
AVAILABLE = {"verdict": "available", "reasons": [],
             "groups": {"services": {"members": ["services-vip1", "services-nginx", "services-postfix"],
                                     "nodes": ["node1"], "running": 3, "wanted": 3, "kind": "group"},
                        "fence-node1": {"members": ["fence-node1"], "nodes": ["node2"], "running": 1, "wanted": 1,
                                        "kind": "primitive"}}}


def test_fencing_on_request_of_the_standby_confirmed_is_allowed():
    assert reboot_request_errors("node2", ["node1", "node2"], "testbed", "testbed", AVAILABLE) == []


def test_fencing_on_request_is_refused_for_the_serving_node_without_force_and_when_unconfirmed():
    errors = reboot_request_errors("node1", ["node1", "node2"], "", "testbed", AVAILABLE)
    assert errors == ["fencing node1 needs -e confirm=testbed (the cluster's name)",
                      "node1 runs services: fencing it moves them to its peer, an outage like a failover; "
                      "add -e force=true to fence it anyway"]
    assert reboot_request_errors("node1", ["node1", "node2"], "testbed", "testbed", AVAILABLE, force=True) == []


def test_fencing_on_request_is_refused_for_an_unknown_node_or_a_degraded_pair():
    degraded = dict(AVAILABLE, verdict="degraded", reasons=["node node2 is offline"])
    assert reboot_request_errors("node3", ["node1", "node2"], "testbed", "testbed", AVAILABLE) == [
        "reboot=node3 is not a node of this pair (node1, node2)"]
    assert reboot_request_errors("node2", ["node1", "node2"], "testbed", "testbed", degraded) == [
        "the pair is degraded, not available (node node2 is offline): fence a node only when its peer can serve"]


def test_the_answers_are_one_line_each():
    answers = [{"device": "fence-node2", "agent": "fence_docker", "node": "node2", "plug": "twonode-node2",
                "status": "ON", "answer": "Status: ON"},
               {"device": "fence-node1", "agent": "fence_ipmilan", "node": "node1", "plug": "",
                "status": "failed", "answer": "Connection timed out\nUnable to connect/login to fencing device\n"}]
    assert answer_lines(answers) == [
        "fence-node2 (fence_docker): node2, plug twonode-node2: ON",
        "fence-node1 (fence_ipmilan): node1, plug -: failed (Unable to connect/login to fencing device)"]
    assert answer_lines([]) == ["no fence device configured"]
