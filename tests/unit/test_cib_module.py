"""The cib module against a fake Pacemaker CLI that records what it was asked to do."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.twonode.ha.plugins.modules import cib

SECRET = "ipmi-pa55word"


class FakePacemaker:
    def __init__(self, live_cib, verify_rc=0):
        self.live_cib = live_cib
        self.verify_rc = verify_rc
        self.calls = []
        self.patches = []

    def run_command(self, args, **kwargs):
        """Stands in for AnsibleModule.run_command (bound to this fake, not to the module)."""
        self.calls.append(args[0])
        if args[0] == "cibadmin" and args[1] == "--query":
            return 0, self.live_cib, ""
        if args[0] == "crm_verify":
            return self.verify_rc, "", "error: something the candidate got wrong" if self.verify_rc else ""
        if args[0] == "crm_diff":
            return 1, "<diff/>", ""
        if args[0] == "cibadmin" and args[1] == "--patch":
            with open(args[3]) as handle:
                self.patches.append(handle.read())
            return 0, "", ""
        raise AssertionError("unexpected command %r" % (args,))


def run_module(monkeypatch, capsys, fake, params):
    monkeypatch.setattr(cib.AnsibleModule, "run_command", fake.run_command)
    monkeypatch.setattr(cib.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            cib.main()
    return json.loads(capsys.readouterr().out)


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
