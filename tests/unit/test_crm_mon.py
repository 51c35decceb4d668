import pytest

from ansible_collections.twonode.ha.plugins.module_utils.crm_mon import parse_crm_mon, stonith_resources


def test_healthy_pair_from_the_bed(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_healthy.xml"))
    assert status["quorate"] is True
    assert status["dc"] in ("node1", "node2")
    assert sorted(status["nodes"]) == ["node1", "node2"]
    assert all(n["online"] and not n["standby"] for n in status["nodes"].values())
    assert status["stonith_enabled"] is True
    devices = {r["id"]: r for r in stonith_resources(status)}
    assert sorted(devices) == ["fence-node1", "fence-node2"]
    # Each device runs on the node that would have to fence the other.
    assert devices["fence-node1"]["nodes"] == ["node2"]
    assert devices["fence-node2"]["nodes"] == ["node1"]
    assert all(d["active"] and d["role"] == "Started" for d in devices.values())
    assert status["failures"] == []


def test_peer_fenced_and_offline(fixture_text):
    status = parse_crm_mon(fixture_text("crm_mon_peer_offline.xml"))
    assert status["quorate"] is True  # two_node: the survivor keeps quorum
    assert status["nodes"]["node1"]["online"] is True
    assert status["nodes"]["node2"]["online"] is False
    running = [r["id"] for r in status["resources"] if r["active"]]
    assert running == ["fence-node2"]


def test_not_xml_is_a_clear_error():
    with pytest.raises(ValueError, match="not XML"):
        parse_crm_mon("crm_mon: Connection to cluster failed: Connection refused")
    with pytest.raises(ValueError, match="pacemaker-result"):
        parse_crm_mon("<cib/>")
