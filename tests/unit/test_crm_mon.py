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


@pytest.mark.parametrize("fixture, version", [("crm_mon_group_healthy.xml", "2.1.5-a3f44794f94"),
                                              ("crm_mon_p3_group_healthy.xml", "3.0.0-3.0.0")])
def test_same_reading_from_pacemaker_2_1_and_3_0(fixture_text, fixture, version):
    """Both captured on the container bed: Debian 12 (2.1.5) and Debian 13 (3.0.0), same inventory."""
    status = parse_crm_mon(fixture_text(fixture))
    assert status["dc_version"] == version and status["mixed_version"] is False
    assert status["quorate"] is True and status["stonith_enabled"] is True
    assert all(n["online"] and not n["standby"] and not n["maintenance"] for n in status["nodes"].values())
    members = [r for r in status["resources"] if r["group"] == "services"]
    assert [r["id"] for r in members] == ["services-vip1", "services-nginx", "services-postfix"]
    assert all(r["active"] and r["role"] == "Started" and r["managed"] for r in members)
    assert len({tuple(r["nodes"]) for r in members}) == 1
    assert sorted(r["id"] for r in stonith_resources(status)) == ["fence-node1", "fence-node2"]
    assert status["failures"] == [] and status["fail_counts"] == []
