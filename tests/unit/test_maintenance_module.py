"""The maintenance module against a fake node: the captured CIB and crm_mon of the container bed, the
commands it runs (cibadmin, crm_verify, crm_diff, crm_mon) and what it returns. A fake clock stands in
for its wait and for "now" in an expiry."""
import datetime
import re
import types
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.twonode.ha.plugins.module_utils.maintenance_plan import plan
from ansible_collections.twonode.ha.plugins.modules import maintenance

QUERY = "cibadmin --query"
CRM_MON = "crm_mon --one-shot --output-as=xml --inactive"
DRBD_NAMES = ["drbdadm sh-resources", "drbdadm sh-minor r0"]
VERIFY = "crm_verify --xml-file *"
DIFF = "crm_diff --original * --new * --no-version"
PATCH = "cibadmin --patch --xml-file *"
APPLY = [VERIFY, DIFF, PATCH]
# crm_diff's patch goes to cibadmin --patch as it is; what is in it is Pacemaker's business.
CRM_DIFF_PATCH = "<diff/>"


def on_node2(text):
    """crm_mon_group_healthy.xml's group after it moved, which was not captured: its three members run on
    node2 instead of node1."""
    head, rest = text.split('<group id="services"', 1)
    group, tail = rest.split("</group>", 1)
    moved = group.replace('<node name="node1" id="1" cached="true"/>', '<node name="node2" id="2" cached="true"/>')
    assert moved.count('name="node2"') == 3
    return head + '<group id="services"' + moved + "</group>" + tail


def stopped(text, *ids):
    """The same crm_mon with these resources stopped, written as the captures write a stopped resource
    (fence-node1 in crm_mon_group_peer_stopped.xml): role Stopped, inactive, no node."""
    for rsc_id in ids:
        text, count = re.subn(r'<resource id="%s" (resource_agent="[^"]+") role="Started" active="true" (.*?) '
                              r'nodes_running_on="1">\s*<node [^>]*/>\s*</resource>' % re.escape(rsc_id),
                              r'<resource id="%s" \1 role="Stopped" active="false" \2 nodes_running_on="0"/>' % rsc_id,
                              text, flags=re.S)
        assert count == 1, rsc_id
    return text


def node1_in_standby(text):
    """crm_mon_group_healthy.xml once node1's standby took effect (not captured): node1 in standby, the group on
    node2, and fence-node2 stopped, as it may not run on node2, the node it fences."""
    standby = on_node2(text).replace('<node name="node1" id="1" online="true" standby="false"',
                                     '<node name="node1" id="1" online="true" standby="true"')
    assert standby.count('standby="true"') == 1
    return stopped(standby, "fence-node2")


class Cib:
    """cibadmin, crm_verify and crm_diff of a node whose live CIB is `live`: keeps each candidate CIB that
    crm_verify checked and each patch that cibadmin applied."""

    def __init__(self, live):
        self.live = live
        self.verified = []
        self.patched = []

    def verify(self, args):
        with open(args[2]) as handle:
            self.verified.append(handle.read())
        return 0, "", ""

    def patch(self, args):
        with open(args[3]) as handle:
            self.patched.append(handle.read())
        return 0, "", ""

    def answers(self):
        return {QUERY: (0, self.live, ""), VERIFY: self.verify, DIFF: (1, CRM_DIFF_PATCH, ""), PATCH: self.patch}


@pytest.fixture
def node(monkeypatch, clock, proc_drbd, fake_node, fixture_text):
    """A node of the container bed's pair at 2026-11-22T04:00:00Z (the fake clock), with the captured CIB
    that runs the services group; crm_mon answers each state in turn (the last one stays)."""
    class Now(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(clock.time(), tz)
    monkeypatch.setattr(maintenance, "datetime", types.SimpleNamespace(datetime=Now, timezone=datetime.timezone))
    monkeypatch.setattr(maintenance, "time", clock)

    def make(crm_mon_states=("crm_mon_group_healthy.xml",), proc="proc_drbd_84_healthy.txt", live=None):
        proc_drbd(proc)
        cib = Cib(live or fixture_text("cib_p2_services_running.xml"))
        answers = cib.answers()
        answers.update({
            CRM_MON: [(0, state if state.startswith("<") else fixture_text(state), "") for state in crm_mon_states],
            "drbdadm sh-resources": (0, "r0\n", ""),
            "drbdadm sh-minor r0": (0, "0\n", ""),
        })
        fake = fake_node(answers)
        fake.cib = cib
        return fake
    return make


def standby_of(candidate, name):
    """{nvpair name: value} of a node's attribute sets in a candidate CIB."""
    config = ET.fromstring(candidate).find("configuration")
    return dict((nv.get("name"), nv.get("value")) for nv in config.findall("nodes/node[@uname='%s']//nvpair" % name))


def test_standby_moves_the_groups_and_waits_until_they_run_on_the_peer(node, run_module, fixture_text, clock):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    # crm_mon: for the outage check, at the first poll after the patch (nothing moved yet), then done.
    fake = node([healthy, healthy, node1_in_standby(healthy)])
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "_ansible_diff": True})
    assert fake.calls == [QUERY, CRM_MON] + DRBD_NAMES + APPLY + [CRM_MON, CRM_MON]
    assert result["changed"] is True and not result.get("failed")
    assert result["message"] == "standby of node node1 on" and result["ends"] is None
    assert result["diff"] == {"before": "node maintenance: off\n", "after": "node maintenance: on\n"}
    (candidate,) = fake.cib.verified
    assert standby_of(candidate, "node1") == {"standby": "on"} and standby_of(candidate, "node2") == {}
    assert fake.cib.patched == [CRM_DIFF_PATCH]
    assert clock.slept == 1


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("crm_mon, proc, reason", [
    # node2 stopped: the DRBD peer is gone with it (WFConnection).
    ("crm_mon_group_peer_stopped.xml", "proc_drbd_84_disconnected.txt",
     "node1 runs services and node2 cannot take over: services: node2 is offline; DRBD r0 is not UpToDate on both "
     "nodes (WFConnection, local UpToDate, peer DUnknown): the peer may not have every write"),
    # node2 online, but its copy is still being resynchronised.
    ("crm_mon_group_healthy.xml", "proc_drbd_84_syncing.txt",
     "node1 runs services and node2 cannot take over: DRBD r0 is not UpToDate on both nodes "
     "(Connected, local UpToDate, peer Inconsistent): the peer may not have every write"),
])
def test_standby_is_refused_when_the_peer_cannot_take_the_groups(node, run_module, crm_mon, proc, reason, check_mode):
    fake = node([crm_mon], proc=proc)
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "_ansible_check_mode": check_mode})
    assert result["failed"] is True
    assert result["msg"] == ("refusing standby: %s. The groups would stop. Nothing was changed; "
                             "force=true accepts the outage." % reason)
    # Refused before crm_verify: no candidate was even checked.
    assert fake.calls == [QUERY, CRM_MON] + DRBD_NAMES
    assert fake.cib.patched == []


def test_force_puts_the_node_in_standby_although_its_groups_stop(node, run_module, fixture_text):
    # node2 is offline: with node1 in standby nothing can run the group or fence-node2 (not captured:
    # derived by stopping them in the capture).
    before = fixture_text("crm_mon_group_peer_stopped.xml")
    after = stopped(before, "fence-node2", "services-vip1", "services-nginx", "services-postfix")
    fake = node([before, after], proc="proc_drbd_84_disconnected.txt")
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "force": True, "timeout": 3})
    # The outage is looked at, accepted, and the change made.
    assert fake.calls[:5] == [QUERY, CRM_MON] + DRBD_NAMES + [VERIFY]
    assert fake.cib.patched == [CRM_DIFF_PATCH] and standby_of(fake.cib.verified[0], "node1") == {"standby": "on"}
    # The accepted outage is no failure: done once nothing runs on node1 (the groups have nowhere to go).
    assert not result.get("failed"), result
    assert result["changed"] is True


def test_a_node_that_does_not_empty_in_time_fails_naming_what_is_left(node, run_module, fixture_text, clock):
    healthy = fixture_text("crm_mon_group_healthy.xml")
    fake = node([healthy])  # the standby never takes effect
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "timeout": 5})
    assert result["failed"] is True
    assert result["msg"] == ("node node1 is in standby but after 5 s still waiting for: "
                             "fence-node2, services-vip1, services-nginx, services-postfix")
    assert fake.cib.patched == [CRM_DIFF_PATCH] and clock.slept == 5


def test_check_mode_verifies_the_standby_but_changes_nothing(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "_ansible_check_mode": True})
    assert fake.calls == [QUERY, CRM_MON] + DRBD_NAMES + [VERIFY]
    assert result["changed"] is True and result["message"] == "standby of node node1 on"
    assert len(fake.cib.verified) == 1 and fake.cib.patched == []


def test_standby_off_of_a_node_that_is_not_in_standby_changes_nothing(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "off"})
    assert fake.calls == [QUERY]
    assert result["changed"] is False and result["message"] == "already off"


def test_an_unknown_node_is_refused_with_nothing_changed(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "node", "name": "node3", "state": "on"})
    assert result["failed"] is True
    assert result["msg"] == "unknown node node3; the cluster has: node1, node2. Nothing was changed."
    assert fake.calls == [QUERY]


def expiring_cluster_maintenance(candidate):
    nvset = ET.fromstring(candidate).find("configuration/crm_config/cluster_property_set[@id='twonode-maintenance']")
    return nvset.find("rule/date_expression").attrib, dict((nv.get("name"), nv.get("value")) for nv in nvset.findall("nvpair"))


def test_an_expiry_becomes_a_rule_so_the_cluster_leaves_maintenance_by_itself(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "cluster", "state": "on", "expiry": "30m", "_ansible_diff": True})
    # Cluster maintenance moves nothing: no crm_mon, no wait.
    assert fake.calls == [QUERY] + APPLY
    assert result["changed"] is True and result["ends"] == "2026-11-22T04:30:00Z"
    assert result["message"] == "cluster maintenance mode on until 2026-11-22T04:30:00Z"
    assert result["diff"]["after"] == "cluster maintenance: on until 2026-11-22T04:30:00Z\n"
    expr, nvpairs = expiring_cluster_maintenance(fake.cib.verified[0])
    assert (expr["operation"], expr["end"]) == ("lt", "2026-11-22T04:30:00Z")
    assert nvpairs == {"maintenance-mode": "true"}


def test_the_same_end_again_changes_nothing_but_an_expiry_is_re_armed(node, run_module, fixture_text, clock):
    # The CIB as the previous test left it: maintenance until 04:30.
    live = plan(fixture_text("cib_p2_services_running.xml"), "cluster", None, "on", "2026-11-22T04:30:00Z")[0]
    fake = node(live=live)
    result = run_module(maintenance, fake, {"scope": "cluster", "state": "on", "ends": "2026-11-22T05:30:00+01:00"})
    assert result["changed"] is False and fake.calls == [QUERY]
    clock.now += 600  # ten minutes later, the same expiry counts from now again
    fake = node(live=live)
    result = run_module(maintenance, fake, {"scope": "cluster", "state": "on", "expiry": "30m"})
    assert result["changed"] is True and result["ends"] == "2026-11-22T04:40:00Z"
    assert expiring_cluster_maintenance(fake.cib.verified[0])[0]["end"] == "2026-11-22T04:40:00Z"


def test_an_end_in_the_past_is_refused_with_nothing_changed(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "node", "name": "node1", "state": "on", "ends": "2026-11-22T03:59:00Z"})
    assert result["failed"] is True
    assert result["msg"] == "the expiry 2026-11-22T03:59:00Z is in the past (now 2026-11-22T04:00:00Z). Nothing was changed."
    assert fake.calls == [QUERY]


def test_expiry_and_ends_together_are_refused_before_anything_runs(node, run_module):
    fake = node()
    result = run_module(maintenance, fake, {"scope": "cluster", "state": "on", "expiry": "1h", "ends": "2026-11-22T06:00:00Z"})
    assert result["failed"] is True and "mutually exclusive: expiry|ends" in result["msg"]
    assert fake.calls == []
