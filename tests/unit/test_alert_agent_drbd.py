"""The alert agent's DRBD mode (twonode_alert.py --drbd EVENT RESOURCE), run by DRBD's handlers through
roles/drbd/files/twonode-drbd-alarm: what it reads from the handler's environment, what it says, and
that it tries every channel.

The environments are what DRBD really passes to a handler, read from the sources (no bed produced
them: the container bed has no DRBD, the VM bed's kernel has DRBD 8.4 and no alarm channels):
- DRBD 8.4 (Debian's kernels): the kernel runs `drbdadm split-brain minor-N` with HOME, TERM, PATH,
  DRBD_PEER_AF and DRBD_PEER_ADDRESS; drbdadm-84 (drbd-utils user/v84/drbdadm_main.c, adm_khelper)
  adds DRBD_PEER_AF, DRBD_PEER_ADDRESS, DRBD_PEER, DRBD_PEERS, DRBD_MINOR, DRBD_VOLUME, DRBD_LL_DISK,
  DRBD_RESOURCE and DRBD_CONF.
- DRBD 9 (LINBIT/drbd drbd/drbd_nl.c, drbd_khelper): the kernel runs `drbdadm HANDLER RESOURCE` with
  HOME, TERM, PATH, DRBD_MINOR, DRBD_VOLUME, DRBD_BACKING_DEV (a device's handler), DRBD_MY_AF,
  DRBD_MY_ADDRESS, DRBD_PEER_AF, DRBD_PEER_ADDRESS, DRBD_PEER_NODE_ID, DRBD_CSTATE (a connection's),
  DRBD_MINOR_<vnr>, DRBD_BACKING_DEV_<vnr> (a connection's without a device: `disconnected`);
  drbdadm (user/v9/drbdadm_main.c, adm_khelper) adds DRBD_CONF, DRBD_RESOURCE, DRBD_NODE_ID_<id> (each
  host's name), DRBD_MY_NODE_ID, DRBD_MINOR, DRBD_VOLUME and DRBD_LL_DISK.
"""
import importlib.util
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("twonode_alert", os.path.join(REPO, "roles/cluster/files/twonode_alert.py"))
agent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agent)

TOKEN = "s3cr3t-t0ken"
_KERNEL = {"HOME": "/", "TERM": "linux", "PATH": "/sbin:/usr/sbin:/bin:/usr/bin"}

# vm2 found the split brain of r0 with vm1 (DRBD 8.4.11 module, drbd-utils 9.22's drbdadm-84).
SPLIT_BRAIN_84 = dict(_KERNEL, DRBD_PEER_AF="ipv4", DRBD_PEER_ADDRESS="10.213.40.11", DRBD_PEER="vm1",
                      DRBD_PEERS="vm1", DRBD_MINOR="0", DRBD_VOLUME="0", DRBD_LL_DISK="/dev/vdb",
                      DRBD_RESOURCE="r0", DRBD_CONF="/etc/drbd.conf")
# DRBD 8.4: vm2 was promoted while vm1's data was unknown (vm1 had lost its power); drbdadm-84 gives
# fence-peer what it gives split-brain.
FENCE_PEER_84 = dict(SPLIT_BRAIN_84)
# DRBD 9: vm1 (node-id 0) lost its connection to vm2 (node-id 1) on r0.
DISCONNECTED_9 = dict(_KERNEL, DRBD_MY_AF="ipv4", DRBD_MY_ADDRESS="10.213.40.11", DRBD_PEER_AF="ipv4",
                      DRBD_PEER_ADDRESS="10.213.40.12", DRBD_PEER_NODE_ID="1", DRBD_CSTATE="NetworkFailure",
                      DRBD_MINOR_0="0", DRBD_BACKING_DEV_0="/dev/vdb", DRBD_CONF="/etc/drbd.conf",
                      DRBD_RESOURCE="r0", DRBD_NODE_ID_0="vm1", DRBD_NODE_ID_1="vm2", DRBD_MY_NODE_ID="0",
                      DRBD_MINOR="0", DRBD_VOLUME="0", DRBD_LL_DISK="/dev/vdb")
# The peer shut its side down in order (drbdadm down there): a loss, but a planned one.
TORN_DOWN_9 = dict(DISCONNECTED_9, DRBD_CSTATE="TearDown")
# This node disconnected itself (drbdadm disconnect or down here, Pacemaker stopping DRBD).
DISCONNECTING_9 = dict(DISCONNECTED_9, DRBD_CSTATE="Disconnecting")
SPLIT_BRAIN_9 = dict(_KERNEL, DRBD_MINOR="0", DRBD_VOLUME="0", DRBD_BACKING_DEV="/dev/vdb", DRBD_MY_AF="ipv4",
                     DRBD_MY_ADDRESS="10.213.40.12", DRBD_PEER_AF="ipv4", DRBD_PEER_ADDRESS="10.213.40.11",
                     DRBD_PEER_NODE_ID="0", DRBD_CSTATE="Connecting", DRBD_CONF="/etc/drbd.conf", DRBD_RESOURCE="r0",
                     DRBD_NODE_ID_0="vm1", DRBD_NODE_ID_1="vm2", DRBD_MY_NODE_ID="1", DRBD_LL_DISK="/dev/vdb")


@pytest.fixture
def on_host(monkeypatch):
    def name(host):
        monkeypatch.setattr(agent.socket, "gethostname", lambda: host)
    return name


def test_the_event_names_the_node_the_resource_and_the_peer_from_drbd_84_and_9(on_host):
    on_host("vm2")
    event = agent.drbd_event("split-brain", "r0", SPLIT_BRAIN_84)
    assert (event["kind"], event["node"], event["rsc"], event["peer"], event["minor"]) == ("drbd", "vm2", "r0", "vm1", "0")
    on_host("vm1")
    event = agent.drbd_event("disconnected", "r0", DISCONNECTED_9)
    assert (event["node"], event["rsc"], event["peer"], event["cstate"]) == ("vm1", "r0", "vm2", "NetworkFailure")
    on_host("vm2")
    assert agent.drbd_event("split-brain", "r0", SPLIT_BRAIN_9)["peer"] == "vm1"


def test_a_peer_drbd_does_not_name_is_its_address_or_a_question_mark(on_host):
    on_host("vm1")
    bare = dict(DISCONNECTED_9)
    del bare["DRBD_NODE_ID_1"]
    assert agent.drbd_event("disconnected", "r0", bare)["peer"] == "10.213.40.12"
    assert agent.drbd_event("disconnected", "r0", {})["peer"] == "?"


def test_each_drbd_message_names_the_cluster_node_resource_and_peer(on_host):
    on_host("vm2")
    assert agent.summary("shop", agent.drbd_event("split-brain", "r0", SPLIT_BRAIN_84)) == (
        "[shop] DRBD split brain on r0 between vm2 and vm1: both wrote while apart, nothing is mirrored "
        "until it is resolved (playbooks/splitbrain.yml)")
    on_host("vm1")
    assert agent.summary("shop", agent.drbd_event("disconnected", "r0", DISCONNECTED_9)) == (
        "[shop] DRBD r0 on vm1 lost its connection to vm2 (NetworkFailure): not mirrored until it reconnects")
    assert agent.summary("shop", agent.drbd_event("disconnected", "r0", TORN_DOWN_9)) == (
        "[shop] DRBD r0 on vm1: vm2 closed the connection (TearDown): not mirrored until it reconnects")
    on_host("vm2")
    assert agent.summary("shop", agent.drbd_event("fence-peer", "r0", FENCE_PEER_84)) == (
        "[shop] DRBD r0 on vm2 is primary without vm1 (connection lost): not mirrored until it reconnects")


def test_a_split_brain_and_a_lost_connection_are_critical_a_peer_closing_in_order_is_not(on_host):
    on_host("vm1")
    assert agent.severity(agent.drbd_event("split-brain", "r0", SPLIT_BRAIN_84)) == "critical"
    assert agent.severity(agent.drbd_event("disconnected", "r0", DISCONNECTED_9)) == "critical"
    assert agent.severity(agent.drbd_event("disconnected", "r0", TORN_DOWN_9)) == "info"
    assert agent.severity(agent.drbd_event("fence-peer", "r0", FENCE_PEER_84)) == "critical"
    assert agent.worth_sending(agent.drbd_event("fence-peer", "r0", FENCE_PEER_84)) is True


def test_a_disconnect_this_node_asked_for_is_not_worth_a_message(on_host):
    # Its peer says TearDown in the same moment; the node that disconnected on purpose stays quiet.
    on_host("vm1")
    assert agent.worth_sending(agent.drbd_event("disconnected", "r0", DISCONNECTING_9)) is False
    assert agent.worth_sending(agent.drbd_event("disconnected", "r0", DISCONNECTED_9)) is True
    assert agent.worth_sending(agent.drbd_event("split-brain", "r0", SPLIT_BRAIN_84)) is True


@pytest.fixture
def syslogged(monkeypatch):
    logged = []
    monkeypatch.setattr(agent.syslog, "openlog", lambda ident, opts, facility: None)
    monkeypatch.setattr(agent.syslog, "syslog", lambda level, text: logged.append((level, text)))
    monkeypatch.setattr(agent.syslog, "closelog", lambda: None)
    return logged


def _config(tmp_path, channels):
    path = tmp_path / "alert.json"
    path.write_text(json.dumps({"cluster": "shop", "timeout": 5, "channels": channels}))
    return str(path)


def test_drbd_mode_sends_through_every_channel_the_cluster_role_configured(tmp_path, receiver, syslogged, on_host,
                                                                           capsys):
    server, handler = receiver
    url = "http://127.0.0.1:%d/alarm/%s" % (server.server_port, TOKEN)
    on_host("vm2")
    config = _config(tmp_path, {"webhook": {"url": url, "headers": {"Authorization": "Bearer " + TOKEN}},
                                "syslog": {}})
    env = dict(SPLIT_BRAIN_84, TWONODE_ALERT_CONFIG=config)
    assert agent.main(["twonode_alert.py", "--drbd", "split-brain", "r0"], env) == 0
    [request] = handler.received
    got = request["body"]
    assert (got["cluster"], got["node"], got["kind"], got["severity"]) == ("shop", "vm2", "drbd", "critical")
    assert got["summary"].startswith("[shop] DRBD split brain on r0 between vm2 and vm1")
    assert got["event"]["rsc"] == "r0" and got["event"]["peer"] == "vm1" and got["event"]["task"] == "split-brain"
    assert syslogged == [(agent.syslog.LOG_CRIT, got["summary"])]
    assert TOKEN not in capsys.readouterr().out


def test_drbd_mode_tries_the_other_channels_when_one_fails_and_says_which(tmp_path, syslogged, on_host, capsys):
    on_host("vm1")
    config = _config(tmp_path, {"webhook": {"url": "http://127.0.0.1:9/alarm/" + TOKEN}, "syslog": {}})
    env = dict(DISCONNECTED_9, TWONODE_ALERT_CONFIG=config)
    assert agent.main(["twonode_alert.py", "--drbd", "disconnected", "r0"], env) == 1
    assert [text for level, text in syslogged] == [
        "[shop] DRBD r0 on vm1 lost its connection to vm2 (NetworkFailure): not mirrored until it reconnects"]
    err = capsys.readouterr().err
    assert "webhook: webhook unreachable" in err and TOKEN not in err


def test_drbd_mode_reads_nothing_for_a_disconnect_asked_for_here(tmp_path, on_host):
    on_host("vm1")
    env = dict(DISCONNECTING_9, TWONODE_ALERT_CONFIG=str(tmp_path / "none.json"))
    assert agent.main(["twonode_alert.py", "--drbd", "disconnected", "r0"], env) == 0


def test_drbd_mode_wants_an_event_it_knows_and_a_resource(tmp_path, capsys):
    env = {"TWONODE_ALERT_CONFIG": str(tmp_path / "none.json")}
    assert agent.main(["twonode_alert.py", "--drbd", "before-resync-target", "r0"], env) == 2
    assert agent.main(["twonode_alert.py", "--drbd", "split-brain"], env) == 2
    assert "--drbd EVENT RESOURCE" in capsys.readouterr().err
