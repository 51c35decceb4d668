"""What an administrator checks on each node of a freshly built pair."""
import json
import re
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from conftest import check_release, cluster_status, config_fingerprint, run_playbook


def test_node_runs_the_release_the_bed_was_built_from(host):
    check_release(host)


def test_both_nodes_online_and_quorate(host):
    status = cluster_status(host)
    assert status["quorate"]
    assert status["nodes"] == {"node1": True, "node2": True}


def test_corosync_quorum_is_two_node(host):
    out = host.check_output("corosync-quorumtool -s")
    flags = re.search(r"^Flags:\s+(.*)$", out, re.M).group(1).split()
    assert "2Node" in flags and "Quorate" in flags and "WaitForAll" in flags
    assert re.search(r"^Total votes:\s+2$", out, re.M)
    assert host.check_output("corosync-cmapctl -g quorum.two_node").endswith("= 1")


def test_both_corosync_links_connected(host):
    out = host.check_output("corosync-cfgtool -s")
    links = re.split(r"^LINK ID ", out, flags=re.M)[1:]
    assert [link.split()[0] for link in links] == ["0", "1"]
    for link in links:
        peers = dict(re.findall(r"nodeid:\s+(\d+):\s+(\S+)", link))
        assert sorted(peers.values()) == ["connected", "localhost"], link


def test_links_use_the_service_and_replication_networks(host):
    out = host.check_output("corosync-cfgtool -s")
    addrs = re.findall(r"addr\s+=\s+(\S+)", out)
    assert addrs[0].startswith("10.213.10.") and addrs[1].startswith("10.213.20.")


def test_crypto_is_on(host):
    assert host.check_output("corosync-cmapctl -g totem.crypto_cipher").endswith("= aes256")
    assert host.check_output("corosync-cmapctl -g totem.crypto_hash").endswith("= sha256")


def test_authkey_is_root_only_and_shared(host, node1):
    key = host.file("/etc/corosync/authkey")
    assert key.mode == 0o400 and key.user == "root" and key.group == "root"
    assert key.size == 256
    assert host.check_output("sha256sum /etc/corosync/authkey").split()[0] == \
        node1.check_output("sha256sum /etc/corosync/authkey").split()[0]


def test_stack_enabled_for_the_next_boot(host):
    for service in ("corosync", "pacemaker"):
        assert host.service(service).is_enabled and host.service(service).is_running


def test_fencing_enabled_and_devices_started_away_from_their_target(host):
    status = cluster_status(host)
    devices = {rid: r for rid, r in status["resources"].items() if r["agent"].startswith("stonith:")}
    assert sorted(devices) == ["fence-node1", "fence-node2"]
    for rid, device in devices.items():
        assert device["active"], rid
        target = rid.replace("fence-", "")
        assert device["nodes"] and target not in device["nodes"]
    cib = ET.fromstring(host.check_output("cibadmin --query --scope crm_config"))
    props = {nv.get("name"): nv.get("value") for nv in cib.iter("nvpair")}
    assert props["stonith-enabled"] == "true"


def test_fence_device_really_reaches_the_peer(host):
    """The agent, with the cluster's own parameters, reads the peer's power state."""
    peer = "node2" if host.backend.get_hostname() == "node1" else "node1"
    out = host.check_output("stonith_admin --list %s", peer)
    assert "fence-" + peer in out
    result = host.run("stonith_admin --query %s", "fence-" + peer)
    assert result.rc == 0


def test_a_fence_device_aimed_at_another_machine_fails_the_deploy_before_any_change(host):
    """fence-node2 with a plug that is no container of this bed: its monitor (a login) would pass,
    the status of node2's plug does not; site.yml stops with the device's answer, nothing changed."""
    if host.backend.get_hostname() != "node1":
        pytest.skip("one run of site.yml for the pair")
    devices = [
        {"name": "fence-node1", "agent": "fence_docker", "fences": "node1",
         "params": "{{ twonode_bed_fence_params | combine({'pcmk_host_map': 'node1:twonode-node1'}) }}"},
        {"name": "fence-node2", "agent": "fence_docker", "fences": "node2",
         "params": "{{ twonode_bed_fence_params | combine({'pcmk_host_map': 'node2:twonode-elsewhere'}) }}"},
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"cluster_fence_devices": devices}, handle)
    before = config_fingerprint(host)
    result = run_playbook("-e", "@" + handle.name)
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "fence device fence-node2 cannot give the status of node node2 (plug twonode-elsewhere)" in output, \
        output[-3000:]
    assert config_fingerprint(host) == before
    assert "twonode-elsewhere" not in host.check_output("cibadmin --query --scope resources")


ADDRESSES = {"node1": ("10.213.10.11", "10.213.20.11"), "node2": ("10.213.10.12", "10.213.20.12")}


def _scrape(address):
    with urllib.request.urlopen("http://%s:9664/metrics" % address, timeout=10) as response:
        return response.read().decode()


def test_metrics_are_served_on_the_service_address_only(host):
    """Prometheus scrapes each node's exporter (cluster_metrics_address: ring0 address, port 9664) and sees
    the pair as it is: both nodes online, quorate; the replication network does not serve them."""
    service, replication = ADDRESSES[host.backend.get_hostname()]
    text = _scrape(service)
    assert re.search(r"^ha_cluster_corosync_quorate 1$", text, re.M), text[:2000]
    online = re.findall(r'^ha_cluster_pacemaker_nodes\{[^}]*node="(node[12])"[^}]*status="online"[^}]*\} 1$', text, re.M)
    assert sorted(online) == ["node1", "node2"], text[:3000]
    assert re.search(r'^ha_cluster_pacemaker_resources\{[^}]*resource="services-vip1"', text, re.M), text[:3000]
    with pytest.raises(urllib.error.URLError):
        _scrape(replication)
    assert host.service("ha_cluster_exporter").is_enabled


def test_metrics_on_every_address_are_refused_before_any_change(host):
    if host.backend.get_hostname() != "node1":
        pytest.skip("one run of site.yml for the pair")
    before = config_fingerprint(host)
    result = run_playbook("-e", "cluster_metrics_address=0.0.0.0:9664")
    output = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert "cluster_metrics_address 0.0.0.0:9664 would publish the metrics on every address of the node" in output, \
        output[-3000:]
    assert config_fingerprint(host) == before
