"""address_handover on a fake node: the new address added beside the old on its interface, the one configuration line
rewritten, promote_secondaries set; then nothing more to do; refusals change nothing."""
import json

import pytest

from ansible_collections.twonode.ha.plugins.modules import address_handover

NETWORKD = "[Match]\nName=ens4\n[Network]\nAddress=10.213.30.11/24\n"


def ip_json(*addresses):
    """`ip -json -4 address show` of a guest whose ens4 holds addresses (the first primary)."""
    infos = [{"family": "inet", "local": a, "prefixlen": 24, "scope": "global", "label": "ens4", "secondary": i > 0}
             for i, a in enumerate(addresses)]
    return json.dumps([{"ifindex": 1, "ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host"}]},
                       {"ifindex": 3, "ifname": "ens4", "addr_info": infos}])


@pytest.fixture
def root(monkeypatch, tmp_path):
    (tmp_path / "etc/systemd/network").mkdir(parents=True)
    (tmp_path / "etc/systemd/network/20-service.network").write_text(NETWORKD)
    (tmp_path / "etc/sysctl.d").mkdir(parents=True)
    (tmp_path / "proc/sys/net/ipv4/conf/ens4").mkdir(parents=True)
    (tmp_path / "proc/sys/net/ipv4/conf/ens4/promote_secondaries").write_text("0\n")
    monkeypatch.setattr(address_handover, "ROOT", str(tmp_path))
    return tmp_path


PARAMS = {"address": "10.213.30.11", "new_address": "10.213.30.21", "_ansible_diff": True}


def test_the_new_address_is_added_and_the_configuration_names_it(root, fake_node, run_module):
    def promote(args):
        (root / "proc/sys/net/ipv4/conf/ens4/promote_secondaries").write_text("1\n")
        return 0, "", ""
    node = fake_node({"ip -json -4 address show": (0, ip_json("10.213.30.11"), ""),
                      "sysctl -q -w net.ipv4.conf.ens4.promote_secondaries=1": promote,
                      "ip address add 10.213.30.21/24 dev ens4": (0, "", "")})
    result = run_module(address_handover, node, PARAMS)
    assert result["changed"] and result["steps"] == ["address", "configuration", "promote_secondaries"]
    # promote_secondaries before the new address: the old one's removal by Pacemaker never takes the new one along.
    assert node.calls == ["ip -json -4 address show", "sysctl -q -w net.ipv4.conf.ens4.promote_secondaries=1",
                          "ip address add 10.213.30.21/24 dev ens4"]
    assert (root / "etc/systemd/network/20-service.network").read_text() == NETWORKD.replace("10.213.30.11", "10.213.30.21")
    assert (root / "etc/sysctl.d/90-twonode-promote-secondaries.conf").read_text() == "net.ipv4.conf.ens4.promote_secondaries = 1\n"
    assert result["where"] == ["/etc/systemd/network/20-service.network:4"] and result["interface"] == "ens4" and result["prefix"] == 24
    assert result["diff"] == {"before": "ens4: 10.213.30.11/24\n/etc/systemd/network/20-service.network:4: Address=10.213.30.11/24\n",
                              "after": "ens4: 10.213.30.11/24, 10.213.30.21/24\n/etc/systemd/network/20-service.network:4: Address=10.213.30.21/24\n"}
    # Run again: nothing left to do.
    (root / "proc/sys/net/ipv4/conf/ens4/promote_secondaries").write_text("1\n")
    again = fake_node({"ip -json -4 address show": (0, ip_json("10.213.30.11", "10.213.30.21"), "")})
    second = run_module(address_handover, again, PARAMS)
    assert not second["changed"] and second["steps"] == [] and second["diff"]["before"] == second["diff"]["after"]
    # After a failover the old address lives on the other node: still done.
    moved = fake_node({"ip -json -4 address show": (0, ip_json("10.213.30.21"), "")})
    assert not run_module(address_handover, moved, PARAMS)["changed"]


def test_check_mode_changes_nothing(root, fake_node, run_module):
    node = fake_node({"ip -json -4 address show": (0, ip_json("10.213.30.11"), "")})
    result = run_module(address_handover, node, dict(PARAMS, _ansible_check_mode=True))
    assert result["changed"] and node.calls == ["ip -json -4 address show"]
    assert (root / "etc/systemd/network/20-service.network").read_text() == NETWORKD
    assert not (root / "etc/sysctl.d/90-twonode-promote-secondaries.conf").exists()


@pytest.mark.parametrize("params,held,message", [
    ({"new_address": "10.213.31.21"}, ["10.213.30.11"], "10.213.31.21 is not in the network of 10.213.30.11/24"),
    ({"new_address": "10.213.30.11"}, ["10.213.30.11"], "the new address 10.213.30.11 is the address it replaces"),
    ({"address": "10.213.30.99"}, ["10.213.30.11"], "10.213.30.99 is in none of the server's network files"),
    ({"new_address": "10.213.30.21/24"}, ["10.213.30.11"], "new_address '10.213.30.21/24' is not an IPv4 address"),
])
def test_refusals_change_nothing(root, fake_node, run_module, params, held, message):
    node = fake_node({"ip -json -4 address show": (0, ip_json(*held), "")})
    result = run_module(address_handover, node, dict(PARAMS, **params))
    assert result.get("failed") and message in result["msg"] and "nothing was changed" in result["msg"]
    assert [call for call in node.calls if call != "ip -json -4 address show"] == []
    assert (root / "etc/systemd/network/20-service.network").read_text() == NETWORKD
