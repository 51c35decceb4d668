"""Failure drills (playbooks/drill.yml) on the container bed, under client load from the host.

CI runs a short list; the rest run with `-e drill_list=...` on request (README). The verdicts are read
from results.json, which the drill role writes on the control node (this machine).
"""
import os

from conftest import BED_STATE, REPO, cluster_status, run_playbook
from bedtools import check_drills_passed, drill_results, drill_summary, run_drills

# Each test drives the pair from the control node: once, not once per node.
testinfra_hosts = ["node1"]
INVENTORY = os.path.join(REPO, "inventories/testbed/hosts.yml")
# CI runs the standby's power cut (with its alarm), a cut link and a killed daemon; --full adds the cascades here
# (two rounds, three by default: two power-offs hit both nodes in turn) and runs every drill twice on a fresh bed
# (tests/drills-twice.sh). The active node's power cut runs in CI with the arbitrator (test_arbitrator.py).
CI_DRILLS = ["standby_power_off", "link_cut_one", "daemon_kill"]
FULL_DRILLS = ["cascade_power_off", "cascade_switchover"]


def test_drills_refuse_without_the_cluster_name(node1, tmp_path):
    before = cluster_status(node1)
    result = run_drills("not-this-cluster", ["active_power_off"], inventory=INVENTORY, state_dir=str(tmp_path))
    assert result.returncode != 0
    output = " ".join(result.stdout.split())  # the output wraps long lines
    assert "To confirm, run again with -e drill_confirm=testbed" in output
    assert "Pull the plug" not in output
    # refused before the client load started: no results at all
    assert drill_results(str(tmp_path)) is None
    assert cluster_status(node1) == before


def test_a_split_is_won_by_the_node_that_serves_wherever_it_runs(node1, tmp_path):
    # On the node that is not the race survivor (node1, the first), so the static tie-break is against it.
    moved = run_playbook("-e", "group=services", "-e", "to=node2", playbook="failover.yml")
    assert moved.returncode == 0, (moved.stdout + moved.stderr)[-3000:]
    try:
        result = run_drills("testbed", ["link_cut_both"], "-e", "drill_link_cut_seconds=20",
                            inventory=INVENTORY, state_dir=str(tmp_path))
        summary = drill_summary(result)
        print(summary)
        results = drill_results(str(tmp_path))
        assert result.returncode == 0, summary + result.stderr[-2000:]
        check_drills_passed(results, ["link_cut_both"])
        (drill,) = results["drills"]
        assert drill["measured"]["cut_on"] == "node1" and drill["measured"]["fenced"] == "node1", drill
    finally:
        run_playbook("-e", "group=services", "-e", "to=node1", playbook="failover.yml")


def test_drills_pass_under_load(tmp_path):
    full = "full" in os.environ.get("TWONODE_VERIFY", "").split(",")
    drill_list = CI_DRILLS + (FULL_DRILLS if full else [])
    result = run_drills("testbed", drill_list, "-e", "drill_link_cut_seconds=20", "-e", "drill_cascade_count=2",
                        inventory=INVENTORY, state_dir=str(tmp_path), alarm_log=os.path.join(BED_STATE, "alarms.jsonl"))
    summary = drill_summary(result)
    print(summary)
    results = drill_results(str(tmp_path))
    assert result.returncode == 0, summary + result.stderr[-2000:]
    check_drills_passed(results, drill_list)
    drills = {d["drill"]: d for d in results["drills"]}
    # The lost standby was told at the receiver on this machine within the 10 s.
    assert 0 < float(drills["standby_power_off"]["measured"]["alarm_seconds"]) <= 10, drills["standby_power_off"]
    if full:
        assert drills["cascade_power_off"]["measured"]["rounds"] == 2 and len(drills["cascade_power_off"]["samples"]) == 2
        assert drills["cascade_switchover"]["measured"]["switchovers"] == 2
    assert drills["link_cut_one"]["measured"]["fences"] == 0 and drills["link_cut_one"]["measured"]["rebooted"] == []
