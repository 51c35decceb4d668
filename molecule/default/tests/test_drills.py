"""Failure drills (playbooks/drill.yml) on the container bed, under client load from the host.

CI runs a short list; the rest run with `-e drill_list=...` on request (README).
"""
import os

from conftest import REPO, cluster_status
from bedtools import drill_summary, run_drills

INVENTORY = os.path.join(REPO, "inventories/testbed/hosts.yml")
# The cascades run two rounds here (three by default): two power-offs hit both nodes in turn.
CI_DRILLS = ["standby_power_off", "cascade_power_off", "link_cut_one", "daemon_kill", "cascade_switchover"]


def test_drills_refuse_without_the_cluster_name(node1):
    before = cluster_status(node1)
    result = run_drills("not-this-cluster", ["active_power_off"], inventory=INVENTORY)
    assert result.returncode != 0
    output = " ".join(result.stdout.split())  # the output wraps long lines
    assert "To confirm, run again with -e drill_confirm=testbed" in output
    assert "Pull the plug" not in output
    assert cluster_status(node1) == before


def test_drills_pass_under_load():
    result = run_drills("testbed", CI_DRILLS, "-e", "drill_link_cut_seconds=20", "-e", "drill_cascade_count=2", inventory=INVENTORY)
    summary = drill_summary(result)
    print(summary)
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert "%d of %d drills passed" % (len(CI_DRILLS), len(CI_DRILLS)) in summary
