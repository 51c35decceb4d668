"""Alarms as an administrator checks them: the deploy's test alarm reached the receiver on the host,
a lost standby is told within seconds naming it, and the webhook's secret shows nowhere on the nodes."""
import json
import os
import time

from conftest import BED_STATE, cluster_status, podman, wait_until

testinfra_hosts = ["node1"]
ALARMS = os.path.join(BED_STATE, "alarms.jsonl")


def alarms(since=0.0):
    if not os.path.exists(ALARMS):
        return []
    with open(ALARMS) as handle:
        return [line for line in (json.loads(text) for text in handle if text.strip()) if line["received"] >= since]


def test_the_channels_are_private_and_the_cib_names_the_agent(node1, node2):
    for node in (node1, node2):
        channels = node.file("/etc/twonode/alert.json")
        assert (channels.user, channels.group, channels.mode) == ("root", "haclient", 0o640)
        assert node.file("/usr/local/lib/twonode/twonode_alert.py").mode == 0o755
    alerts = node1.check_output("cibadmin --query --scope alerts")
    assert 'path="/usr/local/lib/twonode/twonode_alert.py"' in alerts
    assert 'value="webhook"' in alerts and 'value="syslog"' in alerts


def test_the_deploy_sent_a_test_alarm():
    tests = [a["alarm"] for a in alarms() if a["alarm"]["kind"] == "test"]
    assert tests, "no test alarm reached the receiver"
    assert tests[0]["cluster"] == "testbed" and tests[0]["summary"].startswith("[testbed] test alarm from node")


def test_the_webhook_secret_is_nowhere_on_the_nodes_but_its_file(node1, node2):
    with open(os.path.join(BED_STATE, "alarm.token")) as handle:
        token = handle.read().strip()
    for node in (node1, node2):
        journal = node.run("journalctl --no-pager")
        assert journal.rc == 0 and journal.stdout and token not in journal.stdout
        assert token not in node.run("cat /var/log/pacemaker/pacemaker.log 2>/dev/null").stdout
        assert token not in node1.check_output("cibadmin --query")


def test_a_lost_standby_is_told_within_seconds_naming_it(node1, node2):
    nodes = {"node1": node1, "node2": node2}
    wait_until("both nodes online", lambda: cluster_status(node1)["nodes"] == {"node1": True, "node2": True}, timeout=180)
    resources = cluster_status(node1)["resources"]
    serving = {n for rid, r in resources.items() if rid.startswith("services-") and r["active"] for n in r["nodes"]}
    assert len(serving) == 1, resources
    (active,) = serving
    standby = "node2" if active == "node1" else "node1"
    t0 = time.time()
    podman("kill", "twonode-" + standby)

    def lost():
        return [a for a in alarms(t0) if a["alarm"]["kind"] == "node" and a["alarm"]["node"] == standby
                and a["alarm"]["event"]["desc"] == "lost"]
    wait_until("an alarm that %s was lost" % standby, lost, timeout=60, interval=0.5)
    told = lost()[0]
    print("standby %s killed: alarm after %.1f s: %s" % (standby, told["received"] - t0, told["alarm"]["summary"]))
    assert told["alarm"]["cluster"] == "testbed" and told["alarm"]["severity"] == "critical"
    assert told["received"] - t0 <= 10
    wait_until("the fencing of %s told" % standby,
               lambda: [a for a in alarms(t0) if a["alarm"]["kind"] == "fencing" and a["alarm"]["node"] == standby],
               timeout=120)
    wait_until(standby + " back", lambda: cluster_status(nodes[active])["nodes"] == {"node1": True, "node2": True},
               timeout=240)
    wait_until("an alarm that %s is back" % standby,
               lambda: [a for a in alarms(t0) if a["alarm"]["kind"] == "node" and a["alarm"]["node"] == standby
                        and a["alarm"]["event"]["desc"] == "member"], timeout=60)
