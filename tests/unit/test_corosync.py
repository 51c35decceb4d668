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


def test_a_link_down_is_named():
    text = """Local node ID 2, transport knet
LINK ID 0 udp
	addr	= 10.213.10.12
	status:
		nodeid:          1:	connected
		nodeid:          2:	localhost
LINK ID 1 udp
	addr	= 10.213.20.12
	status:
		nodeid:          1:	disconnected
		nodeid:          2:	localhost
"""
    assert links_down(parse_cfgtool_status(text)) == [(1, 1, "disconnected")]


def test_not_cfgtool_output():
    with pytest.raises(ValueError, match="Local node ID"):
        parse_cfgtool_status("Could not initialize corosync configuration API error 2")
