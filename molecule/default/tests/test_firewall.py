"""An administrator's default-drop nftables firewall (only SSH and ping come in) on both nodes: site.yml opens
exactly what the pair needs, keeps it across a reload of /etc/nftables.conf (what a boot does) and a second run,
and nothing else gets in. The role's commands are the same on both releases: the first release's run covers it."""
import json
import os
import socket
import urllib.request

from conftest import REPO, cluster_status, run_playbook, wait_until
from test_resources import http_get

testinfra_hosts = ["node1"]

ADMIN_RULESET = os.path.join(REPO, "molecule/default/files/nftables-default-drop.conf")
ADDRESSES = {"node1": "10.213.10.11", "node2": "10.213.10.12"}
OPENED = ["-e", json.dumps({"cluster_firewall_clients": ["10.213.10.0/24"], "cluster_metrics_clients": ["10.213.10.1"]})]


def reaches(address, port):
    try:
        socket.create_connection((address, port), timeout=2).close()
        return True
    except OSError:
        return False


def metrics_answer(address):
    with urllib.request.urlopen("http://%s:9664/metrics" % address, timeout=5) as response:
        return response.status


def quorate_with_both_links(node):
    status = cluster_status(node)
    links = node.run("corosync-cfgtool -s").stdout
    return status["quorate"] and all(status["nodes"].values()) and links.count("connected") >= 2


def test_site_opens_exactly_what_the_pair_needs_in_a_default_drop_firewall(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    with open(ADMIN_RULESET) as handle:
        ruleset = handle.read()
    try:
        # Stopped first: a drop firewall under a running pair would split it, and each node would fence the other.
        for host in nodes.values():
            host.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables")
        for host in nodes.values():
            host.check_output("systemctl stop pacemaker corosync")
        for host in nodes.values():
            host.check_output("cat > /etc/nftables.conf <<'EOF'\n%sEOF" % ruleset)
            host.check_output("systemctl enable --now nftables && systemctl reload nftables")
        # The firewall works: the host reaches neither node's metrics.
        assert not reaches(ADDRESSES["node1"], 9664)

        result = run_playbook(*OPENED)
        assert result.returncode == 0, result.stdout[-3000:]
        wait_until("both nodes online over both links", lambda: quorate_with_both_links(node1), 60)
        assert http_get()[0] == 200
        for name, address in ADDRESSES.items():
            assert metrics_answer(address) == 200
            chain = nodes[name].check_output("nft list chain inet filter input")
            assert chain.count("jump twonode_ha_testbed") == 1, chain
        # Nothing more: a port the pair does not use stays shut, for this machine and for the peer; the peer
        # (not a metrics client) does not reach the metrics either.
        node1.check_output("systemd-run --unit twonode-test-listener python3 -m http.server 7000 --bind %s" % ADDRESSES["node1"])
        wait_until("the test listener", lambda: node1.socket("tcp://%s:7000" % ADDRESSES["node1"]).is_listening, 20)
        assert not reaches(ADDRESSES["node1"], 7000)
        peer_probe = "python3 -c 'import socket; socket.create_connection((\"%s\", %d), timeout=2)'"
        assert node2.run(peer_probe % (ADDRESSES["node1"], 7000)).rc != 0
        assert node2.run(peer_probe % (ADDRESSES["node1"], 9664)).rc != 0

        again = run_playbook(*OPENED)
        assert again.returncode == 0, again.stdout[-3000:]
        assert "changed=0" in again.stdout and "changed=1" not in again.stdout, again.stdout[-3000:]

        # What a boot loads: /etc/nftables.conf as a whole (flush ruleset, the administrator's tables, the pair's).
        for host in nodes.values():
            host.check_output("systemctl reload nftables")
            assert host.check_output("nft list chain inet filter input").count("jump twonode_ha_testbed") == 1
        assert quorate_with_both_links(node1)

        # Either node may hold the VIP: both let its clients in.
        for host in nodes.values():
            assert 'ip saddr 10.213.10.0/24 ip daddr 10.213.10.100 tcp dport { 25, 80, 443 } accept' in \
                host.check_output("nft list chain inet filter twonode_ha_testbed")
    finally:
        node1.run("systemctl stop twonode-test-listener")
        for host in nodes.values():
            host.run("systemctl disable --now nftables; nft flush ruleset; rm -f /etc/nftables.conf /etc/nftables.d/twonode-ha-testbed.nft")


def test_site_opens_firewalld_with_rich_rules_and_takes_out_those_no_longer_needed(node1, node2):
    """firewalld in its default zone (public: SSH in, nothing else): site.yml adds the pair's rich rules, permanent
    and running, a reload of firewalld (what a boot does) keeps them, a second run changes nothing, and a metrics
    client no longer named loses its rule while the administrator's own rule stays."""
    nodes = {"node1": node1, "node2": node2}
    admins_rule = 'rule family="ipv4" source address="192.0.2.1" port port="8080" protocol="tcp" accept'
    try:
        for host in nodes.values():
            host.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -q firewalld")
        for host in nodes.values():
            host.check_output("systemctl stop pacemaker corosync")
        for host in nodes.values():
            host.check_output("systemctl enable --now firewalld && firewall-cmd --state")
            host.check_output("firewall-cmd --permanent --add-rich-rule='%s' && firewall-cmd --reload" % admins_rule)
        assert not reaches(ADDRESSES["node1"], 9664)

        result = run_playbook(*OPENED)
        assert result.returncode == 0, result.stdout[-3000:]
        wait_until("both nodes online over both links", lambda: quorate_with_both_links(node1), 60)
        assert http_get()[0] == 200 and metrics_answer(ADDRESSES["node2"]) == 200
        node1.check_output("systemd-run --unit twonode-test-listener python3 -m http.server 7000 --bind %s" % ADDRESSES["node1"])
        wait_until("the test listener", lambda: node1.socket("tcp://%s:7000" % ADDRESSES["node1"]).is_listening, 20)
        assert not reaches(ADDRESSES["node1"], 7000)

        again = run_playbook(*OPENED)
        assert again.returncode == 0 and "changed=0" in again.stdout and "changed=1" not in again.stdout, again.stdout[-3000:]

        # What a boot loads: firewalld's permanent configuration.
        for host in nodes.values():
            host.check_output("firewall-cmd --reload")
        assert quorate_with_both_links(node1) and http_get()[0] == 200

        fewer = run_playbook("-e", json.dumps({"cluster_firewall_clients": ["10.213.10.0/24"]}))
        assert fewer.returncode == 0, fewer.stdout[-3000:]
        assert not reaches(ADDRESSES["node1"], 9664)
        for host in nodes.values():
            rules = host.check_output("firewall-cmd --permanent --list-rich-rules")
            assert admins_rule in rules and "9664" not in rules, rules
    finally:
        node1.run("systemctl stop twonode-test-listener")
        for host in nodes.values():
            host.run("systemctl disable --now firewalld; DEBIAN_FRONTEND=noninteractive apt-get purge -y -q firewalld;"
                     " rm -rf /etc/firewalld /var/lib/twonode/firewalld-testbed.rules; nft flush ruleset")
        run_playbook()
