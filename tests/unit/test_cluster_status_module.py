"""The cluster_status module against a fake node (crm_mon captured on the container and VM beds): the exact
commands it runs, and what the roles' waits read from it (settle_problems for named groups)."""
import pytest

from ansible_collections.twonode.ha.plugins.modules import cluster_status

CRM_MON = "crm_mon --one-shot --output-as=xml --inactive --fence-history=2"
CFGTOOL = "corosync-cfgtool -s"
NAME = "crm_node --name"
RESOURCES = "cibadmin --query --scope resources"


@pytest.fixture
def pair(fake_node, fixture_text):
    def node(crm_mon, **answers):
        cib = fixture_text("cib_p2_services_running.xml")
        commands = {
            CRM_MON: crm_mon if isinstance(crm_mon, tuple) else (0, fixture_text(crm_mon), ""),
            CFGTOOL: (0, fixture_text("cfgtool_both_links.txt"), ""),
            NAME: (0, "node1\n", ""),
            RESOURCES: (0, cib[cib.index("<resources>"):cib.index("</resources>") + len("</resources>")], ""),
        }
        commands.update(answers)
        return fake_node(commands)
    return node


def test_a_settled_group_has_no_settle_problems(pair, run_module):
    node = pair("crm_mon_group_healthy.xml")
    result = run_module(cluster_status, node, {"drbd": "off", "settle_groups": ["services"]})
    assert node.calls == [CRM_MON, CFGTOOL, NAME, RESOURCES]
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
    node = pair((102, "", "crm_mon: Error: cluster is not available on this node\n"), **{CFGTOOL: (1, "", "")})
    result = run_module(cluster_status, node, {"drbd": "off", "settle_groups": ["services"]})
    # Without a stack there is no node name to ask for and no fence device to read.
    assert node.calls == [CRM_MON, CFGTOOL]
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
    assert node.calls == [CRM_MON, CFGTOOL, "drbdadm sh-resources", "drbdadm sh-minor r0", NAME, RESOURCES]
    assert [(v["name"], v["disk"]) for v in result["drbd"]] == [("r0", "UpToDate")]


def test_idle_asks_the_controller_and_pair_counts_a_node_offline(pair, run_module, fixture_text):
    node = pair("crm_mon_peer_offline.xml", **{
        "crmadmin --quiet --status node2": (0, fixture_text("crmadmin_status_p3_idle_stdout.txt"),
                                            fixture_text("crmadmin_status_p3_idle_stderr.txt"))})
    result = run_module(cluster_status, node, {"drbd": "off", "idle": True, "pair": True})
    assert node.calls == [CRM_MON, CFGTOOL, NAME, RESOURCES, "crmadmin --quiet --status node2"]
    assert result["settle_problems"] == ["1 of 2 nodes online (offline: node2)"]
    # A state said on stderr is found as well.
    node = pair("crm_mon_peer_offline.xml", **{
        "crmadmin --quiet --status node2": (0, "", "Controller on node2 in state S_POLICY_ENGINE: ok\nS_POLICY_ENGINE\n")})
    assert run_module(cluster_status, node, {"drbd": "off", "idle": True})["settle_problems"] == [
        "a transition has not finished (the controller on node2 is in state S_POLICY_ENGINE, not S_IDLE)"]
