"""Failure drills (playbooks/drill.yml) on the VM bed: the active VM's power cut under load (qemu
killed, SBD fencing, takeover, the VM booted again and resynchronised), then fsck of the DRBD
filesystem and every write the client saw acknowledged found on DRBD.

One power-off in CI: each costs about four minutes under emulation (service back after ~60 s, the
VM rebooted, rejoined and resynchronised after ~200 s). The cascade of several back to back runs
on the container bed in CI and on this bed in the benchmark (tests/benchmark.sh, five in a row).
"""
from conftest import INVENTORY
from bedtools import drill_summary, run_drills

testinfra_hosts = ["vm1"]


def test_a_power_cut_under_load_loses_nothing():
    result = run_drills("vmbed", ["cascade_power_off"], "-e", "drill_cascade_count=1", inventory=INVENTORY)
    summary = drill_summary(result)
    print(summary)
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert "1 of 1 drills passed" in summary
    assert "fsck clean, all " in summary and "acknowledged writes present" in summary
