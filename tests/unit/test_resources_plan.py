import pytest

from ansible_collections.twonode.ha.plugins.filter.resources import (
    resources_cib_objects,
    resources_input_errors,
    service_network,
)
from ansible_collections.twonode.ha.plugins.module_utils.resources_plan import services_used

NODES = [
    {"name": "node1", "service_network": "10.213.10.0/24", "addresses": ["10.213.10.11", "10.213.20.11"]},
    {"name": "node2", "service_network": "10.213.10.0/24", "addresses": ["10.213.10.12", "10.213.20.12"]},
]
DEFAULTS = {"stickiness": 100, "migration_threshold": 3, "failure_timeout": "120s", "preferred_score": 50}


def group(**extra):
    base = {"name": "services", "vips": ["10.213.10.100"], "services": ["nginx", "postfix"],
            "mail_domain": "testbed.example", "preferred_node": "node1"}
    base.update(extra)
    return base


def test_testbed_group_is_fine():
    assert resources_input_errors([group()], NODES) == []


@pytest.mark.parametrize("vips,message", [
    (["10.213.11.5"], "is outside node1's service network 10.213.10.0/24"),
    (["10.213.10.12"], "is an address of node node2 itself"),
    (["10.213.10.255"], "is the network or broadcast address of 10.213.10.0/24"),
    (["10.213.10.0"], "is the network or broadcast address"),
    (["10.213.10.300"], "is not an IP address"),
    (["vip.example"], "is not an IP address"),
])
def test_bad_vips(vips, message):
    errors = resources_input_errors([group(vips=vips)], NODES)
    assert any(message in e for e in errors), errors
    assert all(e.startswith("group 'services': virtual IP") for e in errors)


def test_vip_used_twice():
    groups = [group(), group(name="other", services=[], vips=["10.213.10.100"])]
    assert resources_input_errors(groups, NODES) == [
        "group 'other': virtual IP '10.213.10.100' is also used by group 'services'"]


def test_nodes_on_different_service_networks():
    nodes = [NODES[0], dict(NODES[1], service_network="10.213.30.0/24")]
    errors = resources_input_errors([group()], nodes)
    assert any("service networks differ" in e for e in errors)


@pytest.mark.parametrize("changes,message", [
    ({"services": ["apache"]}, "service 'apache' is not one the role knows (nginx, postfix)"),
    ({"services": [{"name": "cron"}]}, "needs a name and an agent"),
    ({"mail_domain": None}, "postfix needs mail_domain"),
    ({"preferred_node": "node3"}, "preferred_node 'node3' is not a node of this cluster (node1, node2)"),
    ({"failure_timeout": "soon"}, "failure_timeout: 'soon' is not a duration"),
    ({"migration_threshold": -1}, "migration_threshold must be a whole number"),
    ({"name": "9web"}, "is not a valid id"),
    ({"vips": [], "services": []}, "has no virtual IP and no service"),
    ({"storage": {"drbd": "r0"}}, "storage (DRBD and a filesystem) is not supported by this release"),
])
def test_bad_groups(changes, message):
    errors = resources_input_errors([group(**changes)], NODES)
    assert any(message in e for e in errors), errors


def test_a_service_runs_in_one_group_only():
    groups = [group(), group(name="second", vips=["10.213.10.101"], services=["nginx"])]
    assert any("service 'nginx' already runs in group 'services'" in e
               for e in resources_input_errors(groups, NODES))


def test_cib_objects_order_and_meta():
    objects = resources_cib_objects([group(vips=["10.213.10.100", "10.213.10.101"])], "10.213.10.0/24", DEFAULTS)
    (grp,) = objects["groups"]
    member_ids = [m["id"] for m in grp["members"]]
    assert member_ids == ["services-vip1", "services-vip2", "services-nginx", "services-postfix"]
    assert grp["members"][0]["params"] == {"ip": "10.213.10.100", "cidr_netmask": 24}
    assert (grp["members"][2]["class"], grp["members"][2]["type"]) == ("systemd", "nginx")
    assert (grp["members"][3]["provider"], grp["members"][3]["type"]) == ("heartbeat", "postfix")
    assert grp["meta"] == {"resource-stickiness": 100, "migration-threshold": 3, "failure-timeout": "120s"}
    assert objects["constraints"] == [{"kind": "location", "id": "services-prefers-node1", "rsc": "services",
                                       "node": "node1", "score": 50}]
    assert objects["clones"] == []


def test_custom_service_agent():
    custom = {"name": "cron", "agent": "systemd:cron"}
    objects = resources_cib_objects([group(services=[custom], preferred_node=None)], "10.213.10.0/24", DEFAULTS)
    member = objects["groups"][0]["members"][1]
    assert (member["id"], member["class"], member["type"]) == ("services-cron", "systemd", "cron")
    assert "provider" not in member and objects["constraints"] == []


def test_services_used():
    assert services_used([group()]) == {
        "nginx": {"vips": ["10.213.10.100"], "group": "services", "mail_domain": "testbed.example"},
        "postfix": {"vips": ["10.213.10.100"], "group": "services", "mail_domain": "testbed.example"}}


def test_service_network_from_gathered_facts():
    facts = {"interfaces": ["lo", "eth0", "eth1"],
             "eth0": {"ipv4": {"address": "10.213.10.11", "netmask": "255.255.255.0"}},
             "eth1": {"ipv4": {"address": "10.213.20.11", "netmask": "255.255.255.0"}},
             "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}}}
    assert service_network(facts, "10.213.10.11") == "10.213.10.0/24"
    assert service_network(facts, "10.213.20.11") == "10.213.20.0/24"
    assert service_network(facts, "10.9.9.9") == ""
