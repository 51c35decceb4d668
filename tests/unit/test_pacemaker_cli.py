"""The node layer every module runs its commands through: the exact argv of each read, captured output
(Pacemaker 2.1 and 3.0 containers, the VM bed's corosync and DRBD 8.4) to parsed data, and the errors."""
import pytest

from ansible_collections.twonode.ha.plugins.module_utils.cib_apply import ApplyError, verify_and_apply
from ansible_collections.twonode.ha.plugins.module_utils.drbd import drbd_problems
from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import CommandFailed, Node, NodeError

CRM_MON = "crm_mon --one-shot --output-as=xml --inactive"
# Not captured: what a node whose stack is stopped answers is only shape here (rc, a line on stderr).
STACK_DOWN = (102, "", "crm_mon: Error: cluster is not available on this node\n")


@pytest.fixture
def node_with(fake_node):
    """A Node on a FakeNode answering the given commands; returns (node, fake) to check the calls."""
    def make(answers):
        fake = fake_node(answers)
        return Node(fake.run_command), fake
    return make


@pytest.mark.parametrize("fixture, version", [("crm_mon_group_healthy.xml", "2.1.5-a3f44794f94"),
                                              ("crm_mon_p3_group_healthy.xml", "3.0.0-3.0.0")])
def test_status_is_crm_mon_parsed(node_with, fixture_text, fixture, version):
    node, fake = node_with({CRM_MON: (0, fixture_text(fixture), "")})
    status = node.status()
    assert fake.calls == [CRM_MON]
    assert status["dc_version"] == version and status["quorate"] is True
    assert sorted(status["nodes"]) == ["node1", "node2"]
    assert [r["id"] for r in status["resources"] if r["group"] == "services"] == ["services-vip1", "services-nginx", "services-postfix"]


def test_cluster_status_asks_for_the_fencing_history_too(node_with, fixture_text):
    node, fake = node_with({CRM_MON + " --fence-history=2": (0, fixture_text("crm_mon_group_peer_fenced.xml"), "")})
    status = node.status(fence_history=True)
    assert fake.calls == [CRM_MON + " --fence-history=2"]
    assert status["fence_history"] and status["fence_history"][0]["action"] == "reboot"


def test_a_stack_that_does_not_answer_is_a_command_failure_with_its_words(node_with):
    node, dummy = node_with({CRM_MON: STACK_DOWN})
    with pytest.raises(CommandFailed) as failed:
        node.status()
    assert str(failed.value) == ("the cluster stack does not answer on this node (crm_mon rc=102): "
                                 "crm_mon: Error: cluster is not available on this node")
    assert failed.value.rc == 102 and failed.value.command == CRM_MON.split(" ")


def test_output_that_is_not_crm_mon_xml_is_a_read_error_not_a_stopped_stack(node_with):
    node, dummy = node_with({CRM_MON: (0, "Segmentation fault\n", "")})
    with pytest.raises(NodeError) as failed:
        node.status()
    assert not isinstance(failed.value, CommandFailed)
    assert str(failed.value).startswith("cannot read crm_mon's output: crm_mon output is not XML")


def test_a_failure_says_stderr_or_else_stdout_and_leaves_their_braces_alone(node_with):
    node, dummy = node_with({"crm_resource --resource services --clear": (1, "ignored\n", " {rc} {said} went wrong \n"),
                             "drbdadm sh-dev r0": (10, "'r0' not defined in your config\n", "")})
    with pytest.raises(CommandFailed) as failed:
        node.must(["crm_resource", "--resource", "services", "--clear"], "could not clear services: {said}")
    assert str(failed.value) == "could not clear services: {rc} {said} went wrong"
    with pytest.raises(CommandFailed) as failed:
        node.must(["drbdadm", "sh-dev", "r0"])
    assert str(failed.value) == "drbdadm sh-dev r0 failed (rc 10): 'r0' not defined in your config"
    assert failed.value.out == "'r0' not defined in your config\n" and failed.value.err == ""


def test_ask_gives_the_exit_code_the_caller_accepts_and_passes_stdin_on(node_with, fixture_text):
    node, fake = node_with({"blkid -p -o export /dev/vdb": [(2, "", ""), (0, fixture_text("blkid_ext4.txt"), ""),
                                                            (4, "", "blkid: error: /dev/vdb: No such device\n")],
                            "drbdadm create-md r0": (0, "", "")})
    assert node.ask(["blkid", "-p", "-o", "export", "/dev/vdb"], ok=(0, 2)) == (2, "")
    assert node.ask(["blkid", "-p", "-o", "export", "/dev/vdb"], ok=(0, 2))[0] == 0
    with pytest.raises(CommandFailed, match=r"^blkid -p -o export /dev/vdb failed \(rc 4\): blkid: error"):
        node.ask(["blkid", "-p", "-o", "export", "/dev/vdb"], ok=(0, 2))
    node.must(["drbdadm", "create-md", "r0"], data="no\n")
    assert fake.stdin == {"drbdadm create-md r0": ["no\n"]}


def test_the_cib_whole_or_one_section_as_text_or_parsed(node_with, fixture_text):
    cib = fixture_text("cib_p2_services_running.xml")
    node, fake = node_with({"cibadmin --query": (0, cib, ""),
                            "cibadmin --query --scope constraints": (0, "<constraints/>\n", "")})
    assert node.cib() == cib
    assert node.cib_tree().find("configuration/resources/group").get("id") == "services"
    assert node.cib_tree("constraints").tag == "constraints"
    assert fake.calls == ["cibadmin --query", "cibadmin --query", "cibadmin --query --scope constraints"]


def test_a_cib_read_that_fails_says_so_in_the_callers_words(node_with):
    node, dummy = node_with({"cibadmin --query": [(0, "<cib", ""), (105, "", "Call cib_query failed (-107): Transport endpoint is not connected\n")]})
    with pytest.raises(NodeError, match="^cibadmin --query did not give XML: "):
        node.cib_tree()
    with pytest.raises(CommandFailed) as failed:
        node.cib(failure="cannot read the CIB (is the cluster running on this node?): {said}")
    assert str(failed.value) == ("cannot read the CIB (is the cluster running on this node?): "
                                 "Call cib_query failed (-107): Transport endpoint is not connected")


def test_the_node_name_is_none_when_the_stack_cannot_tell(node_with):
    node, dummy = node_with({"crm_node --name": [(0, "node1\n", ""), (0, "\n", ""), (102, "", "error\n")]})
    assert [node.name(), node.name(), node.name()] == ["node1", None, None]


def test_corosync_links(node_with, fixture_text):
    node, fake = node_with({"corosync-cfgtool -s": [(0, fixture_text("cfgtool_link1_down.txt"), ""), (0, "nonsense\n", "")]})
    links = node.links()
    assert fake.calls == ["corosync-cfgtool -s"]
    assert [link["link"] for link in links["links"]] == [0, 1]
    with pytest.raises(NodeError, match="^cannot read corosync-cfgtool's output"):
        node.links()


@pytest.fixture
def drbd_node(node_with, tmp_path, fixture_text):
    """A Node whose /proc/drbd is a captured one (None: the kernel module is not loaded)."""
    def make(proc, answers, marks=None):
        node, fake = node_with(answers)
        node.proc_drbd = str(tmp_path / "proc_drbd")
        node.split_brain_dir = str(tmp_path / "marks")
        if proc:
            (tmp_path / "proc_drbd").write_text(proc if proc.startswith("version") else fixture_text(proc))
        if marks:
            (tmp_path / "marks").mkdir()
            for name, when in marks.items():
                (tmp_path / "marks" / name).write_text(when)
        return node, fake
    return make


NAMES = {"drbdadm sh-resources": (0, "r0\n", ""), "drbdadm sh-minor r0": (0, "0\n", "")}


def test_drbd_84_is_read_from_proc_drbd_with_names_from_drbdadm(drbd_node):
    node, fake = drbd_node("proc_drbd_84_healthy.txt", NAMES)
    (volume,) = node.drbd()
    assert fake.calls == ["drbdadm sh-resources", "drbdadm sh-minor r0"]
    assert (volume["name"], volume["connection"], volume["disk"], volume["peer_disk"]) == ("r0", "Connected", "UpToDate", "UpToDate")


def test_drbd_9_is_read_from_drbdsetup_and_its_failure_is_worded(drbd_node, fixture_text):
    node, fake = drbd_node("version: 9.2.4 (api:2/proto:86-122)\n", {"drbdsetup status --json": [
        (0, fixture_text("drbdsetup_9_syncing.json"), ""), (10, "", "drbdsetup: unknown command\n"), (0, "[{", "")]})
    (volume,) = node.drbd()
    assert fake.calls == ["drbdsetup status --json"]
    assert volume["replication"] == "SyncTarget" and volume["name"] == "r0"
    with pytest.raises(CommandFailed, match="^drbdsetup status --json failed: drbdsetup: unknown command$"):
        node.drbd()
    with pytest.raises(NodeError, match="^drbdsetup status --json did not give JSON"):
        node.drbd()


def test_no_drbd_kernel_module_means_no_volumes_and_no_command(drbd_node):
    node, fake = drbd_node(None, {})
    assert node.drbd() == [] and fake.calls == []


def test_a_split_brain_mark_makes_a_standalone_resource_a_split_brain(drbd_node):
    """/proc/drbd of both VMs in a real split brain (molecule/vms test_split_brain.py)."""
    node, dummy = drbd_node("proc_drbd_84_split_brain_primary.txt", NAMES, marks={"r0": "2026-12-03T14:00:00Z\n"})
    (volume,) = node.drbd()
    assert volume["split_brain"] == "2026-12-03T14:00:00Z"
    assert drbd_problems([volume]) == [
        "DRBD r0 is in split brain since 2026-12-03T14:00:00Z: both nodes wrote while apart (44 KiB written here "
        "that the peer does not have), nothing is mirrored until one side's writes are discarded "
        "(playbooks/splitbrain.yml -e discard=NODE)"]


def test_without_the_handlers_mark_standalone_is_only_not_connected(drbd_node):
    node, dummy = drbd_node("proc_drbd_84_split_brain_primary.txt", NAMES)
    (volume,) = node.drbd()
    assert volume["split_brain"] is None
    assert drbd_problems([volume])[0].startswith("DRBD r0 is not connected to its peer (StandAlone)")


def test_verify_and_apply_runs_crm_verify_crm_diff_and_one_patch(node_with):
    node, fake = node_with({"crm_verify --xml-file *": (0, "", ""), "crm_diff --original * --new * --no-version": (1, "<diff/>", ""),
                            "cibadmin --patch --xml-file *": [(0, "", ""), (103, "", "Update does not conform to the schema\n")]})
    assert verify_and_apply(node, "<cib/>", "<cib/>") == ""
    assert fake.calls == ["crm_verify --xml-file *", "crm_diff --original * --new * --no-version", "cibadmin --patch --xml-file *"]
    with pytest.raises(ApplyError) as refused:
        verify_and_apply(node, "<cib/>", "<cib/>")
    assert refused.value.args == ("cibadmin --patch failed (rc=103): Update does not conform to the schema", "")
