"""The cluster_status module against a fake node (crm_mon captured on the container and VM beds): the exact
commands it runs, and what the roles' waits read from it (settle_problems for named groups)."""
import pytest

from ansible_collections.twonode.ha.plugins.modules import cluster_status

CRM_MON = "crm_mon --one-shot --output-as=xml --inactive --fence-history=2"
CFGTOOL = "corosync-cfgtool -s"
QUORUM = "corosync-quorumtool -s"
NAME = "crm_node --name"
RESOURCES = "cibadmin --query --scope resources"


@pytest.fixture
def pair(fake_node, fixture_text):
    def node(crm_mon, **answers):
        cib = fixture_text("cib_p2_services_running.xml")
        commands = {
            CRM_MON: crm_mon if isinstance(crm_mon, tuple) else (0, fixture_text(crm_mon), ""),
            CFGTOOL: (0, fixture_text("cfgtool_both_links.txt"), ""),
            QUORUM: (0, fixture_text("quorumtool_two_node_trixie.txt"), ""),
            NAME: (0, "node1\n", ""),
            RESOURCES: (0, cib[cib.index("<resources>"):cib.index("</resources>") + len("</resources>")], ""),
        }
        commands.update(answers)
        return fake_node(commands)
    return node


def test_a_settled_group_has_no_settle_problems(pair, run_module):
    node = pair("crm_mon_group_healthy.xml")
    result = run_module(cluster_status, node, {"drbd": "off", "settle_groups": ["services"]})
    assert node.calls == [CRM_MON, CFGTOOL, QUORUM, NAME, RESOURCES]
    assert result["settle_problems"] == [] and result["stack_running"] is True and result["local_node"] == "node1"
    assert result["groups"]["services"]["nodes"] == ["node1"]


def test_a_member_still_starting_or_a_group_not_there_yet_is_a_settle_problem(pair, run_module):
    node = pair("crm_mon_vm_nginx_starting.xml")
    result = run_module(cluster_status, node, {"drbd": "off", "settle_groups": ["services", "web"]})
    assert result["settle_problems"] == ["group services: 3 of 4 resources run",
                                         "group web is not in the cluster's status yet",
                                         "resource services-nginx is starting on vm2"]


def test_without_settle_groups_only_operations_in_flight_count(pair, run_module):
    node = pair("crm_mon_vm_nginx_starting.xml")
    result = run_module(cluster_status, node, {"drbd": "off"})
    assert result["settle_problems"] == ["resource services-nginx is starting on vm2"]


def test_a_stopped_stack_is_a_verdict_and_the_reason_a_wait_goes_on(pair, run_module):
    node = pair((102, "", "crm_mon: Error: cluster is not available on this node\n"), **{
        CFGTOOL: (1, "", ""), QUORUM: (1, "", "Cannot initialize QUORUM service\n")})
    result = run_module(cluster_status, node, {"drbd": "off", "settle_groups": ["services"]})
    # Without a stack there is no node name to ask for and no fence device to read.
    assert node.calls == [CRM_MON, CFGTOOL, QUORUM]
    assert not result.get("failed") and result["verdict"] == "down" and result["stack_running"] is False
    assert result["settle_problems"] == ["the cluster stack does not answer on this node (crm_mon rc=102): "
                                         "crm_mon: Error: cluster is not available on this node"]
    assert result["nodes"] == {} and result["quorate"] is False


def test_crm_mon_output_it_cannot_read_fails_the_module(pair, run_module):
    node = pair((0, "<html/>", ""))
    result = run_module(cluster_status, node, {"drbd": "off"})
    assert result["failed"] is True and result["msg"] == "cannot read crm_mon's output: crm_mon output has no pacemaker-result element"


def test_drbd_is_read_after_corosync_when_its_kernel_module_is_loaded(pair, run_module, proc_drbd):
    proc_drbd("proc_drbd_84_healthy.txt")
    node = pair("crm_mon_group_healthy.xml", **{"drbdadm sh-resources": (0, "r0\n", ""), "drbdadm sh-minor r0": (0, "0\n", "")})
    result = run_module(cluster_status, node, {})
    assert node.calls == [CRM_MON, CFGTOOL, QUORUM, "drbdadm sh-resources", "drbdadm sh-minor r0", NAME, RESOURCES]
    assert [(v["name"], v["disk"]) for v in result["drbd"]] == [("r0", "UpToDate")]


def test_idle_asks_the_controller_and_pair_counts_a_node_offline(pair, run_module, fixture_text):
    node = pair("crm_mon_peer_offline.xml", **{
        "crmadmin --quiet --status node2": (0, fixture_text("crmadmin_status_p3_idle_stdout.txt"),
                                            fixture_text("crmadmin_status_p3_idle_stderr.txt"))})
    result = run_module(cluster_status, node, {"drbd": "off", "idle": True, "pair": True})
    assert node.calls == [CRM_MON, CFGTOOL, QUORUM, NAME, RESOURCES, "crmadmin --quiet --status node2"]
    assert result["settle_problems"] == ["1 of 2 nodes online (offline: node2)"]
    # A state said on stderr is found as well.
    node = pair("crm_mon_peer_offline.xml", **{
        "crmadmin --quiet --status node2": (0, "", "Controller on node2 in state S_POLICY_ENGINE: ok\nS_POLICY_ENGINE\n")})
    assert run_module(cluster_status, node, {"drbd": "off", "idle": True})["settle_problems"] == [
        "a transition has not finished (the controller on node2 is in state S_POLICY_ENGINE, not S_IDLE)"]


def test_the_arbitrator_votes_or_the_pair_is_degraded(pair, run_module, fixture_text):
    # Captured on the container bed: both nodes voting through the arbitrator; then its container killed.
    node = pair("crm_mon_group_healthy.xml", **{QUORUM: (0, fixture_text("quorumtool_qdevice_voting_trixie.txt"), "")})
    result = run_module(cluster_status, node, {"drbd": "off"})
    assert result["arbitrator"] == {"configured": True, "voting": True, "votes": 1, "nodes": {
        "node1": {"alive": True, "voting": True}, "node2": {"alive": True, "voting": True}}}
    assert result["verdict"] == "available", result["reasons"]
    node = pair("crm_mon_group_healthy.xml", **{QUORUM: (0, fixture_text("quorumtool_qdevice_unreachable_trixie.txt"), "")})
    result = run_module(cluster_status, node, {"drbd": "off"})
    assert result["arbitrator"]["configured"] is True and result["arbitrator"]["voting"] is False
    assert result["verdict"] == "degraded"
    assert result["reasons"] == ["the arbitrator casts no vote (unreachable, or it refused this node): a split or "
                                 "the loss of either node now stops the service"]


def test_a_pair_without_arbitrator_or_after_its_removal_has_none(pair, run_module, fixture_text):
    for capture in ("quorumtool_two_node_trixie.txt", "quorumtool_qdevice_removed_trixie.txt",
                    "quorumtool_qdevice_removed_node1_trixie.txt"):
        node = pair("crm_mon_group_healthy.xml", **{QUORUM: (0, fixture_text(capture), "")})
        result = run_module(cluster_status, node, {"drbd": "off"})
        assert result["arbitrator"] == {"configured": False, "voting": False, "votes": 0, "nodes": {}}, capture
        assert result["verdict"] == "available", (capture, result["reasons"])
