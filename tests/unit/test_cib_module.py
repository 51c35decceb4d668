"""The cib module against a fake Pacemaker CLI that records what it was asked to do."""
import json
import xml.etree.ElementTree as ET

from ansible_collections.twonode.ha.plugins.modules import cib
from conftest import run_main

SECRET = "ipmi-pa55word"


# crm_mon with nothing running (the fake's default).
NOTHING_RUNS = """<pacemaker-result api-version="2.30" request="crm_mon --output-as=xml">
  <summary><cluster_options stonith-enabled="true" maintenance-mode="false"/>
    <current_dc present="true" with_quorum="true"/></summary>
  <nodes/><resources/>
</pacemaker-result>"""


class FakePacemaker:
    """crm_mon_states: what crm_mon shows before the first patch, after it, ... (the last one stays)."""
    def __init__(self, live_cib, verify_rc=0, crm_mon_states=(NOTHING_RUNS,)):
        self.live_cib = live_cib
        self.verify_rc = verify_rc
        self.crm_mon_states = list(crm_mon_states)
        self.calls = []
        self.patches = []
        self.verified = []
        self.diffed = []

    def run_command(self, args, **kwargs):
        """Stands in for AnsibleModule.run_command (bound to this fake, not to the module)."""
        self.calls.append(args[0])
        if args[0] == "cibadmin" and args[1] == "--query":
            return 0, self.live_cib, ""
        if args[0] == "crm_verify":
            with open(args[2]) as handle:
                self.verified.append(handle.read())
            return self.verify_rc, "", "error: something the candidate got wrong" if self.verify_rc else ""
        if args[0] == "crm_diff":
            with open(args[4]) as handle:
                self.diffed.append(handle.read())
            return 1, "<diff/>", ""
        if args[0] == "crm_mon":
            return 0, self.crm_mon_states[min(len(self.patches), len(self.crm_mon_states) - 1)], ""
        if args[0] == "cibadmin" and args[1] == "--patch":
            with open(args[3]) as handle:
                self.patches.append(handle.read())
            return 0, "", ""
        raise AssertionError("unexpected command %r" % (args,))


def run_module(monkeypatch, capsys, fake, params):
    return run_main(monkeypatch, capsys, cib, fake.run_command, params)


def device(password=SECRET):
    return {"id": "fence-node1", "class": "stonith", "type": "fence_ipmilan",
            "params": {"ip": "192.0.2.1", "username": "admin", "password": password, "pcmk_host_list": "node1"},
            "ops": [{"name": "monitor", "interval": "60s"}]}


def test_applies_one_patch_and_hides_the_password(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    params = {"properties": {"stonith-enabled": True}, "resources": [device()], "_ansible_diff": True}
    result = run_module(monkeypatch, capsys, fake, params)
    assert result["changed"] is True
    assert fake.calls == ["cibadmin", "crm_verify", "crm_diff", "cibadmin"]
    assert fake.patches == ["<diff/>"]
    assert SECRET not in json.dumps(result)
    assert "create primitive fence-node1" in result["changes"]
    assert "********" in result["diff"]["after"]


def test_check_mode_verifies_but_changes_nothing(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    result = run_module(monkeypatch, capsys, fake, {"resources": [device()], "_ansible_check_mode": True})
    assert result["changed"] is True
    assert fake.calls == ["cibadmin", "crm_verify"]
    assert fake.patches == []


def test_refused_by_crm_verify_changes_nothing(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"), verify_rc=1)
    result = run_module(monkeypatch, capsys, fake, {"resources": [device()]})
    assert result["failed"] is True
    assert "crm_verify rejected" in result["msg"] and "something the candidate got wrong" in result["verify_output"]
    assert fake.patches == []


def test_nothing_to_do(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_fenced.xml"))
    result = run_module(monkeypatch, capsys, fake, {"properties": {"stonith-enabled": "true"}})
    assert result["changed"] is False
    assert fake.calls == ["cibadmin"]


def test_bad_object_is_a_clear_failure(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    result = run_module(monkeypatch, capsys, fake, {"resources": [{"id": "vip", "class": "ocf", "type": "IPaddr2"}]})
    assert result["failed"] is True and "needs a provider" in result["msg"]
    assert fake.patches == []


def journal_of(monkeypatch, capsys, fake, params):
    """Everything the module would write to the node's journal (AnsibleModule.log)."""
    logged = []
    monkeypatch.setattr(cib.AnsibleModule, "log", lambda self, msg, log_args=None: logged.append(
        msg + " " + json.dumps(log_args or {})))
    run_module(monkeypatch, capsys, fake, params)
    return "\n".join(logged)


def secret_device(**extra):
    spec = {"id": "fence-node1", "class": "stonith", "type": "fence_ipmilan",
            "params": {"ip": "192.0.2.1", "username": "admin", "pcmk_host_list": "node1"},
            "secrets": {"password": SECRET, "hexadecimal_kg": "0badc0de" * 5}}
    spec.update(extra)
    return spec


def test_secrets_never_reach_the_journal(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    journal = journal_of(monkeypatch, capsys, fake, {"resources": [secret_device()], "_ansible_diff": True})
    assert "Invoked with" in journal and "fence_ipmilan" in journal
    assert SECRET not in journal and "0badc0de" not in journal


def test_a_password_in_params_does_reach_the_journal(monkeypatch, capsys, fixture_text):
    # Why the roles pass secrets in `secrets`: AnsibleModule logs its arguments before the
    # module can add name-matched values to no_log_values.
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    journal = journal_of(monkeypatch, capsys, fake, {"resources": [device()]})
    assert SECRET in journal


def test_secrets_are_applied_and_masked_in_the_diff(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_empty.xml"))
    result = run_module(monkeypatch, capsys, fake, {"resources": [secret_device()], "_ansible_diff": True})
    assert result["changed"] is True
    assert SECRET not in json.dumps(result) and "0badc0de" not in json.dumps(result)
    assert 'name="password" value="********"' in result["diff"]["after"]
    assert 'name="hexadecimal_kg" value="********"' in result["diff"]["after"]


def test_a_removed_device_shows_no_parameter_value(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(fixture_text("cib_fenced.xml"))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["fence-node1"], "_ansible_diff": True})
    assert "remove resource fence-node1 (asked to be absent)" in result["changes"]
    assert 'name="ip" value="********"' in result["diff"]["before"]
    assert "10.213.10.1" not in result["diff"]["before"]


def _group_cib(fixture_text):
    from ansible_collections.twonode.ha.plugins.module_utils.cib_plan import plan
    group = {"id": "services", "members": [
        {"id": "services-vip1", "class": "ocf", "provider": "heartbeat", "type": "IPaddr2", "params": {"ip": "10.213.10.100"}},
        {"id": "services-nginx", "class": "systemd", "type": "nginx"},
        {"id": "services-postfix", "class": "ocf", "provider": "heartbeat", "type": "postfix"}]}
    return plan(fixture_text("cib_fenced.xml"), {"groups": [group]})["candidate"]


def _running_then_stopped(fixture_text):
    running = fixture_text("crm_mon_group_healthy.xml")
    stopped = running.replace('role="Started" active="true"', 'role="Stopped" active="false"')
    return running, stopped


def test_a_running_group_named_absent_is_stopped_then_removed(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(_group_cib(fixture_text), crm_mon_states=_running_then_stopped(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["services"]})
    assert result["changed"] is True and result["stopped"] == ["services"]
    assert result["changes"][0] == "stop services (it runs; removed next)"
    assert "remove resource services (asked to be absent)" in result["changes"]
    # Verified without the removed group's history first (no active orphans) but with the nodes'
    # states (Pacemaker 2.1 would call them unclean), then stopped, then removed.
    first = ET.fromstring(fake.verified[0])
    assert len(first.findall("status/node_state")) == 2
    assert not [e for e in first.iter("lrm_resource") if e.get("id").startswith("services")]
    assert len(fake.patches) == 2
    assert 'name="target-role" value="Stopped"' in fake.diffed[0] and 'id="services"' in fake.diffed[0]
    assert 'id="services"' not in fake.diffed[1]


def test_a_group_that_does_not_run_is_removed_in_one_change(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(_group_cib(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["services"]})
    assert result["changed"] is True and result["stopped"] == []
    assert len(fake.patches) == 1


def test_purge_does_not_stop_a_running_group_unless_forced(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(_group_cib(fixture_text), crm_mon_states=_running_then_stopped(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"purge": True})
    assert result["failed"] is True
    assert "purge would stop and remove services, which runs now" in result["msg"]
    assert "Nothing was changed" in result["msg"] and fake.patches == []
    fake = FakePacemaker(_group_cib(fixture_text), crm_mon_states=_running_then_stopped(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"purge": True, "force": True})
    assert result["stopped"] == ["services"] and len(fake.patches) == 2


def test_a_configuration_error_is_refused_before_anything_stops(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(_group_cib(fixture_text), verify_rc=1, crm_mon_states=_running_then_stopped(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["services"]})
    assert result["failed"] is True and "crm_verify rejected" in result["msg"]
    assert fake.patches == []


def test_check_mode_says_what_would_stop(monkeypatch, capsys, fixture_text):
    fake = FakePacemaker(_group_cib(fixture_text), crm_mon_states=_running_then_stopped(fixture_text))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["services"], "_ansible_check_mode": True})
    assert result["changed"] is True and result["stopped"] == ["services"]
    assert result["changes"][0] == "stop services (it runs; removed next)"
    assert fake.patches == []


def test_a_group_that_does_not_stop_is_left_configured(monkeypatch, capsys, fixture_text):
    running = _running_then_stopped(fixture_text)[0]
    fake = FakePacemaker(_group_cib(fixture_text), crm_mon_states=(running,))
    result = run_module(monkeypatch, capsys, fake, {"absent": ["services"], "stop_timeout": 1})
    assert result["failed"] is True
    assert "still run 1 s after target-role=Stopped" in result["msg"] and "nothing was removed" in result["msg"]
    assert len(fake.patches) == 1
