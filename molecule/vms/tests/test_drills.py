"""Failure drills (playbooks/drill.yml) on the VM bed: the active VM's power cut under load (qemu
killed, SBD fencing, takeover, the VM booted again and resynchronised), then fsck of the DRBD
filesystem and every write the client saw acknowledged found on DRBD.

One power-off in CI: each costs about four minutes under emulation (service back after ~60 s, the
VM rebooted, rejoined and resynchronised after ~200 s). The cascade of several back to back runs
on the container bed in CI and on this bed in the benchmark (tests/benchmark.sh, five in a row).
The verdicts are read from results.json, which the drill role writes on the control node (this machine).
"""
import time

from conftest import INVENTORY
from bedtools import check_drills_passed, drill_results, drill_summary, run_drills

testinfra_hosts = ["vm1"]


def alarms(node, since):
    """What the alert agent sent to this node's syslog (the bed's cluster_alerts) since a moment."""
    return node.check_output("journalctl -t twonode-alert --no-pager -o cat --since @%d" % int(since))


def test_a_power_cut_under_load_loses_nothing(tmp_path, nodes):
    started = time.time()
    result = run_drills("vmbed", ["cascade_power_off"], "-e", "drill_cascade_count=1", inventory=INVENTORY,
                        state_dir=str(tmp_path))
    summary = drill_summary(result)
    print(summary)
    results = drill_results(str(tmp_path))
    assert result.returncode == 0, summary + result.stderr[-2000:]
    check_drills_passed(results, ["cascade_power_off"])
    measured = results["drills"][0]["measured"]
    # fsck clean, every acknowledged write found on DRBD
    assert measured["fsck_rc"] == 0
    assert measured["writes"]["acked"] > 0 and measured["writes"]["missing"] == 0, measured["writes"]
    assert results["client_load"]["acked"] > 0
    # The alarms, as syslog got them on the survivor: Pacemaker's alert for the lost node, and DRBD 8.4's
    # fence-peer handler (it has no `disconnected` one) when the survivor became primary without its peer.
    [victim] = measured["victims"]
    survivor = "vm2" if victim == "vm1" else "vm1"
    told = alarms(nodes[survivor], started - 30)  # the guests' clocks may lag a little
    print("alarms on %s:\n%s" % (survivor, told))
    assert "[vmbed] node %s was lost" % victim in told
    assert "[vmbed] DRBD r0 on %s is primary without %s (connection lost)" % (survivor, victim) in told
