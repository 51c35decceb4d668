import pytest

from ansible_collections.twonode.ha.plugins.module_utils.corosync import links_down, parse_cfgtool_status


def test_both_links_connected(fixture_text):
    status = parse_cfgtool_status(fixture_text("cfgtool_both_links.txt"))
    assert status["local_nodeid"] == 1
    assert status["transport"] == "knet"
    assert [link["link"] for link in status["links"]] == [0, 1]
    assert [link["addr"] for link in status["links"]] == ["10.213.10.11", "10.213.20.11"]
    assert all(link["peers"] == {1: "localhost", 2: "connected"} for link in status["links"])
    assert links_down(status) == []


def test_a_link_down_is_named(fixture_text):
    # Captured on the bed with node2's replication interface down: link 0 carried on.
    status = parse_cfgtool_status(fixture_text("cfgtool_link1_down.txt"))
    assert links_down(status) == [(1, 2, "disconnected")]
    assert status["links"][0]["peers"][2] == "connected"


def test_not_cfgtool_output():
    with pytest.raises(ValueError, match="Local node ID"):
        parse_cfgtool_status("Could not initialize corosync configuration API error 2")
