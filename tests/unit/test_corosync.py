import pytest

from ansible_collections.twonode.ha.plugins.module_utils.corosync import (
    arbitrator_problems,
    arbitrator_state,
    links_down,
    parse_cfgtool_status,
    parse_quorumtool_status,
)


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


def test_quorumtool_two_node_pair_has_no_device(fixture_text):
    quorum = parse_quorumtool_status(fixture_text("quorumtool_two_node_trixie.txt"))
    assert quorum["flags"] == ["2Node", "Quorate", "WaitForAll"] and quorum["device"] is None
    assert quorum["members"] == [{"nodeid": 1, "votes": 1, "qdevice": None, "name": "node1", "local": True},
                                 {"nodeid": 2, "votes": 1, "qdevice": None, "name": "node2", "local": False}]
    assert arbitrator_state(quorum)["configured"] is False


def test_quorumtool_with_the_arbitrator_counts_its_vote(fixture_text):
    quorum = parse_quorumtool_status(fixture_text("quorumtool_qdevice_voting_trixie.txt"))
    assert (quorum["expected_votes"], quorum["total_votes"], quorum["quorum"]) == (3, 3, 2)
    assert quorum["device"] == {"votes": 1, "configured_votes": 1}
    assert quorum["members"][1] == {"nodeid": 2, "votes": 1, "qdevice": ["A", "V", "NMW"], "name": "node2", "local": False}
    assert arbitrator_problems(arbitrator_state(quorum)) == []


def test_an_arbitrator_gone_keeps_its_configured_vote_and_casts_none(fixture_text):
    quorum = parse_quorumtool_status(fixture_text("quorumtool_qdevice_unreachable_trixie.txt"))
    assert quorum["device"] == {"votes": 0, "configured_votes": 1} and quorum["total_votes"] == 2
    state = arbitrator_state(quorum)
    assert state["voting"] is False and state["nodes"]["node1"] == {"alive": True, "voting": False}


def test_a_removed_device_with_qdevice_stopped_is_not_configured(fixture_text):
    quorum = parse_quorumtool_status(fixture_text("quorumtool_qdevice_removed_trixie.txt"))
    assert quorum["device"] == {"votes": 0, "configured_votes": 0}
    assert [m["qdevice"] for m in quorum["members"]] == [["NR"], ["NA", "NV", "NMW"]]
    assert arbitrator_state(quorum) == {"configured": False, "voting": False, "votes": 0, "nodes": {}}


def test_a_qdevice_daemon_that_died_is_named():
    state = {"configured": True, "voting": True, "votes": 1,
             "nodes": {"node1": {"alive": True, "voting": True}, "node2": {"alive": False, "voting": False}}}
    assert arbitrator_problems(state) == ["corosync-qdevice does not run on node node2"]


def test_quorumtool_text_that_is_not_its_output_is_refused():
    with pytest.raises(ValueError):
        parse_quorumtool_status("Cannot initialize QUORUM service\n")


@pytest.mark.parametrize("release", ["trixie", "bookworm"])
def test_quorumtool_reads_the_same_on_both_releases(fixture_text, release):
    """corosync 3.1.9 (Debian 13) and 3.1.7 (Debian 12), qdevice 3.0.3 on both: captured on each bed."""
    pair = parse_quorumtool_status(fixture_text("quorumtool_two_node_%s.txt" % release))
    assert pair["flags"] == ["2Node", "Quorate", "WaitForAll"] and arbitrator_state(pair)["configured"] is False
    voting = arbitrator_state(parse_quorumtool_status(fixture_text("quorumtool_qdevice_voting_%s.txt" % release)))
    assert voting["configured"] and voting["voting"] and sorted(voting["nodes"]) == ["node1", "node2"]
