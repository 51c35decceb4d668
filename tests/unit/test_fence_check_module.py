"""The fence_check module against a fake node: the CIB it reads and the agent's status answers."""
import json

from ansible_collections.twonode.ha.plugins.modules import fence_check
from conftest import run_main

SECRET = "bmc-pa55word"


def ipmi(node, plug_ip, **extra):
    return dict({"id": "fence-" + node, "class": "stonith", "type": "fence_ipmilan",
                 "params": {"ip": plug_ip, "username": "admin", "lanplus": 1, "pcmk_host_list": node},
                 "secrets": {"password": SECRET}}, **extra)


class FakeNode:
    def __init__(self, cib_resources="<resources/>", agent_answers=None):
        self.cib_resources = cib_resources
        self.agent_answers = agent_answers or {}
        self.agent_inputs = []

    def run_command(self, args, data=None, **kwargs):
        if args[0] == "cibadmin":
            return 0, self.cib_resources, ""
        if args[0] == "timeout":
            self.agent_inputs.append(data)
            plug = [line for line in data.splitlines() if line.startswith("plug=")][0][5:]
            return self.agent_answers.get(plug, (0, "Status: ON\n", ""))
        raise AssertionError("unexpected command %r" % (args,))


def run_module(monkeypatch, capsys, fake, params):
    return run_main(monkeypatch, capsys, fence_check, fake.run_command, params)


def test_each_node_asks_the_device_of_its_peer_with_the_secret_on_stdin_only(monkeypatch, capsys):
    fake = FakeNode()
    devices = [ipmi("alpha", "192.0.2.21"), ipmi("beta", "192.0.2.22")]
    result = run_module(monkeypatch, capsys, fake, {"node": "alpha", "devices": devices})
    assert not result.get("failed") and not result["changed"]
    assert [(d["device"], d["node"], d["status"]) for d in result["devices"]] == [("fence-beta", "beta", "ON")]
    (stdin,) = fake.agent_inputs
    assert "password=%s" % SECRET in stdin.splitlines() and "action=status" in stdin
    assert SECRET not in json.dumps(result)


def test_a_device_that_sees_its_node_off_or_fails_stops_the_run(monkeypatch, capsys):
    fake = FakeNode(agent_answers={"beta": (1, "", "Failed: Unable to obtain correct plug status; password %s rejected\n"
                                            % SECRET)})
    result = run_module(monkeypatch, capsys, fake, {"node": "alpha", "devices": [ipmi("beta", "192.0.2.99")]})
    assert result["failed"]
    assert result["msg"].startswith("fence device fence-beta cannot give the status of node beta (plug beta)")
    assert SECRET not in json.dumps(result)


def test_a_device_the_cluster_already_runs_as_given_is_not_asked_again(monkeypatch, capsys):
    cib = """<resources><primitive id="fence-beta" class="stonith" type="fence_ipmilan"><instance_attributes id="i">
      <nvpair id="a" name="ip" value="192.0.2.22"/><nvpair id="b" name="username" value="admin"/>
      <nvpair id="c" name="lanplus" value="1"/><nvpair id="d" name="pcmk_host_list" value="beta"/>
      <nvpair id="e" name="password" value="%s"/></instance_attributes></primitive></resources>""" % SECRET
    fake = FakeNode(cib_resources=cib)
    result = run_module(monkeypatch, capsys, fake, {"node": "alpha", "devices": [ipmi("beta", "192.0.2.22")]})
    assert (result["devices"], result["unchanged"], fake.agent_inputs) == ([], ["fence-beta"], [])
    changed = run_module(monkeypatch, capsys, fake, {"node": "alpha", "devices": [ipmi("beta", "192.0.2.23")]})
    assert [d["status"] for d in changed["devices"]] == ["ON"]
