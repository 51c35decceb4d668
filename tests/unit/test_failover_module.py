"""The failover module against a fake node: what crm_mon shows (captured on the container bed), the exact
crm_resource commands the module runs, and what it returns. A fake clock stands in for its wait."""
import pytest

from ansible_collections.twonode.ha.plugins.modules import failover

CRM_MON = "crm_mon --one-shot --output-as=xml --inactive"
DRBD_NAMES = ["drbdadm sh-resources", "drbdadm sh-minor r0"]
# The default timeout is 120 s: the constraint lives 300 s longer, so a run that dies midway pins nothing for good.
MOVE = "crm_resource --resource services --move --node node2 --lifetime PT420S"
CLEAR = "crm_resource --resource services --clear"
CONSTRAINTS = "cibadmin --query --scope constraints"


def on_node2(text):
    """The group of crm_mon_group_healthy.xml after a move, which was not captured: its three members
    run on node2 instead of node1; everything else (fence devices, nodes, history) is as captured."""
    head, rest = text.split('<group id="services"', 1)
    group, tail = rest.split("</group>", 1)
    moved = group.replace('<node name="node1" id="1" cached="true"/>', '<node name="node2" id="2" cached="true"/>')
    assert moved.count('name="node2"') == 3
    return head + '<group id="services"' + moved + "</group>" + tail


def constraints_section(cib_text):
    """What `cibadmin --query --scope constraints` prints: the CIB's constraints element."""
    start = cib_text.index("<constraints>")
    end = cib_text.index("</constraints>") + len("</constraints>")
    return cib_text[start:end] + "\n"


# crm_resource --move --lifetime's constraint as Pacemaker writes it (cli_resource_prefer), left behind.
LEFTOVER_PREFER = """<rsc_location id="cli-prefer-services" rsc="services" role="Started">
        <rule id="cli-prefer-rule-services" score="INFINITY" boolean-op="and">
          <expression id="cli-prefer-expr-services" attribute="#uname" operation="eq" value="node2" type="string"/>
          <date_expression id="cli-prefer-lifetime-end-services" operation="lt" end="2026-11-22 04:07:00 +00:00"/>
        </rule>
      </rsc_location>
    </constraints>"""


@pytest.fixture
def pair(monkeypatch, clock, proc_drbd, fake_node, fixture_text):
    """A node of the container bed's pair: crm_mon answers each state in turn (the last one stays),
    DRBD r0 as /proc/drbd shows it, crm_resource and cibadmin answering as given."""
    monkeypatch.setattr(failover, "time", clock)

    def node(crm_mon_states, proc="proc_drbd_84_healthy.txt", constraints=None, move=MOVE, **answers):
        proc_drbd(proc)
        captured = fixture_text("cib_p2_services_running.xml")
        commands = {
            CRM_MON: [(0, state, "") for state in crm_mon_states],
            "drbdadm sh-resources": (0, "r0\n", ""),
            "drbdadm sh-minor r0": (0, "0\n", ""),
            # Keyed by the exact argv: any other lifetime or node is an unexpected command.
            move: (0, "", ""),
            CLEAR: (0, "", ""),
            CONSTRAINTS: (0, constraints or constraints_section(captured), ""),
        }
        commands.update(answers)
        return fake_node(commands)
    return node


def test_moves_the_group_to_the_peer_waits_for_it_and_clears_the_constraint(pair, run_module, fixture_text, clock):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    # crm_mon: before the move, at the first poll (still on node1), then on node2 for good.
    node = pair([healthy, healthy, on_node2(healthy)])
    result = run_module(failover, node, {"group": ["services"]})
    assert node.calls == [CRM_MON] + DRBD_NAMES + [MOVE, CRM_MON, CRM_MON, CLEAR, CONSTRAINTS, CRM_MON]
    assert result["changed"] is True and not result.get("failed")
    assert result["moved"] == [{"group": "services", "from": "node1", "to": "node2", "seconds": 0.5}]
    assert result["unchanged"] == [] and result["elapsed"] == 1.0


def test_all_moves_every_group_and_the_lifetime_follows_the_timeout(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    node = pair([healthy, on_node2(healthy)], move="crm_resource --resource services --move --node node2 --lifetime PT330S")
    result = run_module(failover, node, {"group": ["all"], "timeout": 30})
    assert node.calls[3] == "crm_resource --resource services --move --node node2 --lifetime PT330S"
    assert [m["group"] for m in result["moved"]] == ["services"] and CLEAR in node.calls


def test_check_mode_says_what_would_move_and_runs_no_crm_resource(pair, run_module, fixture_text):
    node = pair([fixture_text("crm_mon_group_healthy.xml")])
    result = run_module(failover, node, {"group": ["services"], "_ansible_check_mode": True})
    assert node.calls == [CRM_MON] + DRBD_NAMES
    assert result["changed"] is True
    assert result["moved"] == [{"group": "services", "from": "node1", "to": "node2", "seconds": None}]


def test_a_group_already_on_the_target_is_left_alone(pair, run_module, fixture_text):
    node = pair([fixture_text("crm_mon_group_healthy.xml")])
    result = run_module(failover, node, {"group": ["services"], "to": "node1"})
    assert node.calls == [CRM_MON] + DRBD_NAMES
    assert result["changed"] is False and result["unchanged"] == ["services"] and result["moved"] == []


@pytest.mark.parametrize("crm_mon, proc, reasons", [
    # node2 stopped: its DRBD peer is gone too (this node waits for it, WFConnection).
    ("crm_mon_group_peer_stopped.xml", "proc_drbd_84_disconnected.txt",
     ["services: node2 is offline", "DRBD r0 is not UpToDate on both nodes (WFConnection, local UpToDate, peer DUnknown)"]),
    # Both online, but node2's copy is still being resynchronised: it does not have every write.
    ("crm_mon_group_healthy.xml", "proc_drbd_84_syncing.txt",
     ["DRBD r0 is not UpToDate on both nodes (Connected, local UpToDate, peer Inconsistent)"]),
])
def test_a_move_the_peer_cannot_take_is_refused_and_nothing_is_changed(pair, run_module, fixture_text, crm_mon, proc, reasons):
    node = pair([fixture_text(crm_mon)], proc=proc)
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True
    assert result["msg"].startswith("refusing to move: ") and result["msg"].endswith(". Nothing was changed.")
    for reason in reasons:
        assert reason in result["msg"]
    assert node.calls == [CRM_MON] + DRBD_NAMES
    assert not [call for call in node.calls if call.startswith("crm_resource")]


def test_a_group_that_does_not_arrive_in_time_fails_with_its_constraint_cleared(pair, run_module, fixture_text, clock):
    start = clock.now
    # It stays on node1 whatever happens.
    node = pair([fixture_text("crm_mon_group_healthy.xml")], move="crm_resource --resource services --move --node node2 --lifetime PT305S")
    result = run_module(failover, node, {"group": ["services"], "timeout": 5})
    assert result["failed"] is True
    assert result["msg"] == ("services did not run on the target within 5 s; the move constraints were removed, "
                             "check the cluster (twonode.ha.cluster_status)")
    assert node.calls[3] == "crm_resource --resource services --move --node node2 --lifetime PT305S"
    # It polled until the deadline, then removed the constraint: nothing pins the group to node2 later.
    assert node.calls[-1] == CLEAR and node.calls.count(CRM_MON) > 2
    assert clock.now - start >= 5


def test_a_group_that_strays_back_once_the_constraint_is_cleared_fails(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    # On node2 while the constraint holds, back on node1 after --clear (resource-stickiness 0, a preference).
    node = pair([healthy, on_node2(healthy), healthy])
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True
    assert result["msg"] == "services left the target once the move constraint was removed (is resource-stickiness 0?)"
    assert node.calls[-3:] == [CLEAR, CONSTRAINTS, CRM_MON]


def test_a_constraint_that_survives_the_clear_fails(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    left = constraints_section(fixture_text("cib_p2_services_running.xml")).replace("</constraints>", LEFTOVER_PREFER)
    node = pair([healthy, on_node2(healthy)], constraints=left)
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True and result["msg"] == "move constraints remain for services"


def test_a_move_crm_resource_refuses_is_cleared_and_fails(pair, run_module, fixture_text):
    # crm_resource's error as Pacemaker 2.1 words it (here: the partition lost quorum meanwhile).
    refused = (1, "", "crm_resource: Error performing operation: Operation requires quorum\n")
    node = pair([fixture_text("crm_mon_group_healthy.xml")], **{MOVE: refused})
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True
    assert result["msg"] == "crm_resource could not move services: crm_resource: Error performing operation: Operation requires quorum"
    assert node.calls[-2:] == [MOVE, CLEAR]


def starting(text, rsc_id):
    """The same crm_mon with one member still starting, written as crm_mon_vm_nginx_starting.xml (captured on
    the VM bed) writes it: role Starting, and active already true."""
    marker = '<resource id="%s" resource_agent="' % rsc_id
    head, rest = text.split(marker, 1)
    agent, tail = rest.split('" role="Started" active="true"', 1)
    return head + marker + agent + '" role="Starting" active="true"' + tail


def test_a_member_still_starting_on_the_target_is_not_counted_as_moved(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    # On node2 with postfix still starting at the first poll, then started: only then has the group moved.
    node = pair([healthy, starting(on_node2(healthy), "services-postfix"), on_node2(healthy)])
    result = run_module(failover, node, {"group": ["services"]})
    assert node.calls == [CRM_MON] + DRBD_NAMES + [MOVE, CRM_MON, CRM_MON, CLEAR, CONSTRAINTS, CRM_MON]
    assert result["moved"] == [{"group": "services", "from": "node1", "to": "node2", "seconds": 0.5}]
    assert not result.get("failed")


def test_a_member_that_never_finishes_starting_is_a_timeout(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    node = pair([healthy, starting(on_node2(healthy), "services-postfix")],
                move="crm_resource --resource services --move --node node2 --lifetime PT305S")
    result = run_module(failover, node, {"group": ["services"], "timeout": 5})
    assert result["failed"] is True and result["msg"].startswith("services did not run on the target within 5 s")


def test_constraints_that_cannot_be_read_after_the_move_fail_the_run(pair, run_module, fixture_text):
    # cibadmin's answer when the CIB manager does not answer in time (Pacemaker's "Timer expired").
    healthy = fixture_text("crm_mon_group_healthy.xml")
    node = pair([healthy, on_node2(healthy)], constraints="", **{CONSTRAINTS: (62, "", "Call cib_query failed (-62): Timer expired\n")})
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True
    assert result["msg"].endswith("could not be read to check that the move's are gone: Call cib_query failed (-62): Timer expired")


def test_a_group_gone_from_the_status_after_the_clear_is_reported_not_a_crash(pair, run_module, fixture_text):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    head, rest = healthy.split('<group id="services"', 1)
    without_group = head + rest.split("</group>", 1)[1]
    node = pair([healthy, on_node2(healthy), without_group])
    result = run_module(failover, node, {"group": ["services"]})
    assert result["failed"] is True and result["msg"] == "services no longer in the cluster's status after the move"
