"""The pair's firewall: what a node's nftables ruleset drops (``nft -j list ruleset`` captured on the container
bed, nftables 1.1.3, Debian 13), what the pair needs through it, and the files that open exactly that."""
import json
import os

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.firewall import input_hooks, parse_active_zones, parse_rich_rules, zone_changes
from ansible_collections.twonode.ha.plugins.modules import firewalld_rules, node_state
from ansible_collections.twonode.ha.plugins.plugin_utils import firewall_plan as plan

CHAIN = "twonode_ha_twonode"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEMBERS = [
    {"host": "node1", "node_name": "node1", "ring0_addr": "10.213.10.11", "ring1_addr": "10.213.20.11",
     "drbd_address": "10.213.20.11", "metrics_address": "10.213.10.11:9664"},
    {"host": "node2", "node_name": "node2", "ring0_addr": "10.213.10.12", "ring1_addr": "10.213.20.12",
     "drbd_address": "10.213.20.12", "metrics_address": "10.213.10.12:9664"},
]
GROUPS = [{"name": "services", "vips": ["10.213.10.100", "fd00::100"], "services": ["nginx", "postfix"]},
          {"name": "shop", "vips": ["10.213.10.101"], "services": [{"name": "shopapi", "agent": "systemd:shopapi"}],
           "ports": [8443, "5353/udp"], "clients": ["192.0.2.0/24"]}]


def ruleset(fixture_text, name):
    return json.loads(fixture_text("nft_ruleset_p3_%s.json" % name))


def test_a_default_drop_input_chain_is_the_one_to_open(fixture_text):
    assert input_hooks(ruleset(fixture_text, "default_drop"), CHAIN) == [
        {"family": "inet", "table": "filter", "chain": "input", "owner": "nft", "jumps": False, "jump_handles": [], "loaded": False}]


def test_once_opened_the_chain_is_loaded_and_jumped_to(fixture_text):
    assert input_hooks(ruleset(fixture_text, "default_drop_opened"), CHAIN) == [
        {"family": "inet", "table": "filter", "chain": "input", "owner": "nft", "jumps": True, "jump_handles": [19], "loaded": True}]
    # Another pair's chain in the same table is not this one's.
    assert input_hooks(ruleset(fixture_text, "default_drop_opened"), "twonode_ha_other")[0]["jumps"] is False


def test_a_chain_that_accepts_by_policy_but_rejects_at_its_end_drops_and_one_that_drops_a_port_does_not(fixture_text):
    # table ip filter4: policy accept, last rule "counter reject"; table inet open: policy accept, "udp dport 53 drop".
    assert input_hooks(ruleset(fixture_text, "final_reject"), CHAIN) == [
        {"family": "ip", "table": "filter4", "chain": "inbound", "owner": "nft", "jumps": False, "jump_handles": [], "loaded": False}]


def test_a_table_iptables_keeps_is_told_apart(fixture_text):
    assert input_hooks(ruleset(fixture_text, "iptables_nft"), CHAIN) == [
        {"family": "ip", "table": "filter", "chain": "INPUT", "owner": "iptables", "jumps": False, "jump_handles": [], "loaded": False}]


def test_no_ruleset_drops_nothing():
    assert input_hooks({"nftables": [{"metainfo": {"version": "1.1.3"}}]}, CHAIN) == []
    assert input_hooks(None, CHAIN) == []


def test_each_node_gets_corosync_and_drbd_from_its_peer_only_and_the_services_from_their_clients():
    openings = plan.pair_openings(MEMBERS, [{"name": "r0", "port": 7789}, {"name": "r1", "port": 7790}], GROUPS,
                                  ["10.213.10.0/24"], ["10.213.10.1"])
    assert sorted(openings) == ["node1", "node2"]
    assert [plan.opening_text(o) for o in openings["node1"]] == [
        "udp 5405 from 10.213.10.12 to 10.213.10.11 (corosync link 0 from node2)",
        "udp 5406 from 10.213.20.12 to 10.213.20.11 (corosync link 1 from node2)",
        "tcp 7789,7790 from 10.213.20.12 to 10.213.20.11 (DRBD r0, r1 from node2)",
        "tcp 9664 from 10.213.10.1 to 10.213.10.11 (metrics)",
        "tcp 25,80,443 from 10.213.10.0/24 to 10.213.10.100, fd00::100 (group services)",
        "tcp 8443 from 192.0.2.0/24 to 10.213.10.101 (group shop)",
        "udp 5353 from 192.0.2.0/24 to 10.213.10.101 (group shop)",
    ]
    assert openings["node2"][0]["sources"] == ["10.213.10.11"] and openings["node2"][0]["destinations"] == ["10.213.10.12"]


def test_nothing_is_opened_for_services_or_metrics_no_network_is_named_for():
    openings = plan.pair_openings(MEMBERS, [], GROUPS[:1], [], [])
    assert [o["why"] for o in openings["node1"]] == ["corosync link 0 from node2", "corosync link 1 from node2"]
    # A group's own empty list closes it even where the pair names clients.
    closed = dict(GROUPS[0], clients=[])
    assert [o["why"] for o in plan.pair_openings(MEMBERS, [], [closed], ["0.0.0.0/0"], [])["node1"]][2:] == []


def test_the_arbitrator_gets_its_port_from_both_nodes_link_addresses():
    assert plan.arbitrator_openings(MEMBERS, 5403, "twonode") == [
        {"protocol": "tcp", "ports": [5403], "sources": ["10.213.10.11", "10.213.20.11", "10.213.10.12", "10.213.20.12"],
         "destinations": [], "why": "arbitrator of cluster twonode"}]


def test_the_rules_file_holds_each_opening_once_per_address_family_the_table_takes(fixture_text):
    hooks = input_hooks(ruleset(fixture_text, "default_drop"), CHAIN)
    openings = plan.pair_openings(MEMBERS, [{"name": "r0", "port": 7789}], GROUPS, ["10.213.10.0/24", "::/0"], [])
    text = plan.host_plan({"hooks": hooks}, openings["node1"], "twonode")["rules"]
    body = [line.strip() for line in text.splitlines() if line.startswith("\t\t")]
    assert body == [
        'ip saddr 10.213.10.12 ip daddr 10.213.10.11 udp dport 5405 accept comment "corosync link 0 from node2"',
        'ip saddr 10.213.20.12 ip daddr 10.213.20.11 udp dport 5406 accept comment "corosync link 1 from node2"',
        'ip saddr 10.213.20.12 ip daddr 10.213.20.11 tcp dport 7789 accept comment "DRBD r0 from node2"',
        'ip saddr 10.213.10.0/24 ip daddr 10.213.10.100 tcp dport { 25, 80, 443 } accept comment "group services"',
        'ip6 saddr ::/0 ip6 daddr fd00::100 tcp dport { 25, 80, 443 } accept comment "group services"',
        'ip saddr 192.0.2.0/24 ip daddr 10.213.10.101 tcp dport 8443 accept comment "group shop"',
        'ip saddr 192.0.2.0/24 ip daddr 10.213.10.101 udp dport 5353 accept comment "group shop"',
    ]
    # The chain is emptied before it is filled, in the same file: loading it again keeps each rule once.
    assert text.index("flush chain inet filter %s" % CHAIN) < text.index("udp dport 5405")
    # An ip table takes no IPv6 rule.
    ip_only = plan.host_plan({"hooks": [dict(hooks[0], family="ip")]}, openings["node1"], "twonode")["rules"]
    assert "ip6 saddr" not in ip_only and "table ip filter {" in ip_only


def test_nftables_conf_includes_the_file_and_each_dropping_chain_jumps_to_it_first(fixture_text):
    hooks = input_hooks(ruleset(fixture_text, "default_drop"), CHAIN)
    host = plan.host_plan({"hooks": hooks}, [], "twonode")
    assert host["conf_block"] == ('include "/etc/nftables.d/twonode-ha-twonode.nft"\n'
                                  "insert rule inet filter input jump twonode_ha_twonode")
    assert host["jumps_missing"] == hooks and host["loaded"] is False
    opened = plan.host_plan({"hooks": input_hooks(ruleset(fixture_text, "default_drop_opened"), CHAIN)}, [], "twonode")
    assert opened["jumps_missing"] == [] and opened["loaded"] is True


def test_a_host_whose_firewall_drops_nothing_gets_nothing():
    host = plan.host_plan({"nft": True, "hooks": []}, [], "twonode")
    assert host["rules"] == "" and host["conf_block"] == "" and host["jumps_missing"] == [] and host["acts"] is False


def test_a_firewall_iptables_keeps_stops_the_run_and_names_what_to_open(fixture_text):
    openings = plan.pair_openings(MEMBERS, [], [], [], [])
    states = {"node1": {"nft": True, "conf": True, "firewalld": False,
                        "hooks": input_hooks(ruleset(fixture_text, "iptables_nft"), CHAIN)},
              "node2": {"nft": True, "conf": True, "firewalld": True, "hooks": []}}
    errors = plan.firewall_errors(openings, states)
    assert len(errors) == 1
    assert errors[0].startswith("node1: iptables keeps this host's firewall")
    assert "udp 5405 from 10.213.10.12 to 10.213.10.11 (corosync link 0 from node2)" in errors[0]


def test_a_dropping_ruleset_not_saved_in_nftables_conf_stops_the_run(fixture_text):
    openings = plan.pair_openings(MEMBERS, [], [], [], [])
    states = {"node1": {"nft": True, "conf": False, "hooks": input_hooks(ruleset(fixture_text, "default_drop"), CHAIN)},
              "node2": None}
    errors = plan.firewall_errors(openings, states)
    assert len(errors) == 1 and "/etc/nftables.conf" in errors[0] and "missing" in errors[0]


@pytest.mark.parametrize("groups, clients, metrics_clients, expected", [
    ([{"name": "web", "ports": [80, "443/tcp", "53/udp"]}], ["0.0.0.0/0", "::/0"], ["10.0.0.5"], []),
    ([{"name": "web", "ports": ["http", 70000, "80/sctp"]}], [], [],
     ["resources_groups web: ports http, 70000, 80/sctp: write each as a number or NUMBER/udp (80, 443, 53/udp)"]),
    ([{"name": "web", "clients": ["everyone"]}], ["10.0.0.0/33"], "10.0.0.5", [
        "cluster_firewall_clients: 10.0.0.0/33 is not a network (write 10.0.0.0/24, 192.0.2.7, 2001:db8::/64)",
        "cluster_metrics_clients must be a list of networks (10.0.0.0/24, 2001:db8::/64, 0.0.0.0/0 for all)",
        "resources_groups web: clients: everyone is not a network (write 10.0.0.0/24, 192.0.2.7, 2001:db8::/64)"]),
])
def test_ports_and_networks_that_are_not_ones_are_refused(groups, clients, metrics_clients, expected):
    assert plan.input_errors(groups, clients, metrics_clients) == expected


def test_chain_names_are_what_nft_accepts():
    assert plan.chain_name("shop-eu") == "twonode_ha_shop_eu"


def test_the_module_reads_the_ruleset_and_whether_firewalld_runs(fake_node, run_module, fixture_text):
    node = fake_node({"systemctl is-active --quiet firewalld": (3, "", ""),
                      "nft -j list ruleset": (0, fixture_text("nft_ruleset_p3_default_drop.json"), "")})
    result = run_module(node_state, node, {"firewall_chain": CHAIN})
    assert result["firewall"]["nft"] is True and result["firewall"]["firewalld"] is False
    assert result["firewall"]["hooks"][0]["chain"] == "input"
    # Without nft there is no nftables rule to read.
    node = fake_node({"systemctl is-active --quiet firewalld": (3, "", "")})
    result = run_module(node_state, node, {"firewall_chain": CHAIN}, missing=("nft",))
    assert result["firewall"]["nft"] is False and result["firewall"]["hooks"] == []


# firewalld: the rich rules in firewalld's canonical form (firewalld's rich.py Rich_Rule.__str__, as
# --list-rich-rules prints them). Not yet captured from a node with firewalld: the container bed's nodes run none.
ACTIVE_ZONES = "public\n  interfaces: eth0 eth1\ninternal\n  sources: 10.213.20.0/24\n"


def test_the_openings_become_one_rich_rule_per_source_destination_and_port():
    openings = plan.pair_openings(MEMBERS, [{"name": "r0", "port": 7789}], GROUPS[:1], ["10.213.10.0/24", "::/0"], [])
    rules = plan.rich_rules(openings["node1"])
    assert rules[:3] == [
        'rule family="ipv4" source address="10.213.10.12" destination address="10.213.10.11" port port="5405" protocol="udp" accept',
        'rule family="ipv4" source address="10.213.20.12" destination address="10.213.20.11" port port="5406" protocol="udp" accept',
        'rule family="ipv4" source address="10.213.20.12" destination address="10.213.20.11" port port="7789" protocol="tcp" accept',
    ]
    # Each family's source with its own family's virtual IPs only.
    assert 'rule family="ipv4" source address="10.213.10.0/24" destination address="10.213.10.100" port port="443" protocol="tcp" accept' in rules
    assert 'rule family="ipv6" source address="::/0" destination address="fd00::100" port port="25" protocol="tcp" accept' in rules
    assert not [r for r in rules if 'family="ipv4"' in r and "fd00::100" in r]
    # The arbitrator's opening names no destination.
    assert plan.rich_rules(plan.arbitrator_openings(MEMBERS[:1], 5403, "twonode")) == [
        'rule family="ipv4" source address="10.213.10.11" port port="5403" protocol="tcp" accept',
        'rule family="ipv4" source address="10.213.20.11" port port="5403" protocol="tcp" accept']


def test_firewalld_is_opened_through_its_rules_not_refused():
    openings = plan.pair_openings(MEMBERS, [], [], [], [])
    state = {"nft": True, "conf": False, "firewalld": True,
             "hooks": [{"family": "inet", "table": "firewalld", "chain": "filter_INPUT", "owner": "firewalld", "jumps": False}]}
    assert plan.firewall_errors(openings, {"node1": state, "node2": state}) == []
    host = plan.host_plan(state, openings["node1"], "twonode")
    # firewalld's own table is not edited with nft.
    assert host["hooks"] == [] and host["rules"] == "" and host["firewalld"] is True and host["acts"] is True
    assert len(host["rich_rules"]) == 2 and host["firewalld_record"] == "/var/lib/twonode/firewalld-twonode.rules"


def test_active_zones_and_rich_rules_are_read_from_firewall_cmd():
    assert parse_active_zones(ACTIVE_ZONES) == ["public", "internal"]
    # firewalld 2.1 and later (Debian 13) mark the default zone.
    assert parse_active_zones("public (default)\n  interfaces: eth0\n") == ["public"]
    assert parse_rich_rules('rule family="ipv4" source address="192.0.2.1" accept\n\n') == [
        'rule family="ipv4" source address="192.0.2.1" accept']


def test_each_zone_gets_the_wanted_rules_and_loses_only_those_the_module_added_before():
    admins = 'rule family="ipv4" source address="192.0.2.1" service name="ssh" accept'
    old, new = 'rule old', 'rule new'
    changes = zone_changes({"public": [admins, old], "internal": [new]}, [new], [old])
    assert changes == {"public": {"add": [new], "remove": [old]}}
    assert zone_changes({"public": [admins, new]}, [new], [new]) == {}


def test_the_module_adds_to_permanent_and_running_zones_and_records_what_it_added(fake_node, run_module, tmp_path):
    record = str(tmp_path / "firewalld-twonode.rules")
    rule = 'rule family="ipv4" source address="10.213.10.12" destination address="10.213.10.11" port port="5405" protocol="udp" accept'
    added = []

    def add(args):
        added.append(args[-1])
        return 0, "success\n", ""
    node = fake_node({
        "firewall-cmd --get-active-zones": (0, ACTIVE_ZONES, ""),
        "firewall-cmd --get-default-zone": (0, "public\n", ""),
        "firewall-cmd --permanent --zone=public --list-rich-rules": (0, "", ""),
        "firewall-cmd --permanent --zone=internal --list-rich-rules": (0, rule + "\n", ""),
        # "*": the rule, one argument with spaces in it
        "firewall-cmd --permanent --zone=public *": add,
        "firewall-cmd --zone=public *": add,
    })
    result = run_module(firewalld_rules, node, {"rules": [rule], "record": record})
    assert result["changed"] is True and result["zones"] == ["public", "internal"]
    assert result["changes"] == {"public": {"add": [rule], "remove": []}}
    # the permanent configuration, then the running one (no reload)
    assert node.calls[-2:] == ["firewall-cmd --permanent --zone=public *", "firewall-cmd --zone=public *"]
    assert added == ["--add-rich-rule=" + rule] * 2
    with open(record) as handle:
        assert handle.read() == rule + "\n"
    # Next run: in both zones and recorded, nothing to do; asked for none, it takes out only its own.
    node = fake_node({
        "firewall-cmd --get-active-zones": (0, ACTIVE_ZONES, ""),
        "firewall-cmd --get-default-zone": (0, "public\n", ""),
        "firewall-cmd --permanent --zone=public --list-rich-rules": (0, rule + "\n", ""),
        "firewall-cmd --permanent --zone=internal --list-rich-rules": (0, rule + "\n", ""),
    })
    assert run_module(firewalld_rules, node, {"rules": [rule], "record": record})["changed"] is False
    node = fake_node({
        "firewall-cmd --get-active-zones": (0, "public\n  interfaces: eth0\n", ""),
        "firewall-cmd --get-default-zone": (0, "public\n", ""),
        "firewall-cmd --permanent --zone=public --list-rich-rules": (0, rule + "\n", ""),
    })
    checked = run_module(firewalld_rules, node, {"rules": [], "record": record, "_ansible_check_mode": True})
    assert checked["changed"] is True and checked["changes"] == {"public": {"add": [], "remove": [rule]}}
    assert len(node.calls) == 3


def test_a_rule_the_administrator_had_before_is_not_recorded_as_the_modules(fake_node, run_module, tmp_path):
    record = str(tmp_path / "firewalld-twonode.rules")
    theirs = 'rule family="ipv4" source address="10.213.10.12" port port="5405" protocol="udp" accept'
    node = fake_node({
        "firewall-cmd --get-active-zones": (0, "public (default)\n  interfaces: eth0\n", ""),
        "firewall-cmd --get-default-zone": (0, "public\n", ""),
        "firewall-cmd --permanent --zone=public --list-rich-rules": (0, theirs + "\n", ""),
    })
    result = run_module(firewalld_rules, node, {"rules": [theirs], "record": record})
    assert result["changed"] is False and result["zones"] == ["public"]
    import os
    assert not os.path.exists(record)


def test_nftables_conf_must_make_the_dropping_table_and_flush_first(fixture_text):
    from ansible_collections.twonode.ha.plugins.module_utils.firewall import conf_facts
    with open(os.path.join(REPO, "molecule/default/files/nftables-default-drop.conf")) as handle:
        admins = handle.read()
    assert conf_facts(admins) == {"tables": [["inet", "filter"]], "flushes": True}
    assert conf_facts("table filter {\n}\n") == {"tables": [["ip", "filter"]], "flushes": False}
    hooks = input_hooks(ruleset(fixture_text, "default_drop"), CHAIN)
    openings = plan.pair_openings(MEMBERS, [], [], [], [])
    fine = {"nft": True, "conf": True, "conf_declares": conf_facts(admins), "hooks": hooks}
    assert plan.firewall_errors(openings, {"node1": fine}) == []
    elsewhere = dict(fine, conf_declares=conf_facts(admins.replace("table inet filter", "table inet other")))
    assert "the table of its dropping input chain (inet filter) is not in /etc/nftables.conf" in plan.firewall_errors(
        openings, {"node1": elsewhere})[0]
    no_flush = dict(fine, conf_declares=conf_facts(admins.replace("flush ruleset", "")))
    assert "does not begin with flush ruleset" in plan.firewall_errors(openings, {"node1": no_flush})[0]


def test_overlapping_client_networks_are_merged_for_nft():
    openings = plan.service_openings([{"name": "web", "vips": ["10.0.0.10"], "ports": [80]}],
                                     ["10.0.0.0/8", "10.1.0.0/16", "10.0.0.5/8", "192.0.2.7"])
    assert plan.rule_lines(openings, "inet") == [
        'ip saddr { 10.0.0.0/8, 192.0.2.7 } ip daddr 10.0.0.10 tcp dport 80 accept comment "group web"']
