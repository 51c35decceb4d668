"""Failure drills (playbooks/drill.yml) on the VM bed: the active VM's power cut twice in a row
(qemu killed, SBD fencing, takeover, the VM booted again and resynchronised each time), then fsck
of the DRBD filesystem and every write the client saw acknowledged found on DRBD.
"""
from conftest import INVENTORY
from bedtools import drill_summary, run_drills

testinfra_hosts = ["vm1"]


def test_cascaded_power_offs_lose_nothing():
    result = run_drills("vmbed", ["cascade_power_off"], "-e", "drill_cascade_count=2", inventory=INVENTORY)
    summary = drill_summary(result)
    print(summary)
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert "1 of 1 drills passed" in summary
    assert "fsck clean, all " in summary and "acknowledged writes present" in summary
