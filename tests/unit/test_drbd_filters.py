"""Filters the drbd role uses."""
from ansible_collections.twonode.ha.plugins.filter.drbd import (
    drbd_address,
    drbd_created_everywhere,
    drbd_disk_change_errors,
    drbd_input_errors,
    drbd_progress,
)

NODES = [{"name": "vm1", "address": "10.213.40.11", "addresses": ["10.213.40.11"]},
         {"name": "vm2", "address": "10.213.40.12", "addresses": ["10.213.40.99"]}]


def up(*metadata):
    return {"results": [{"item": {"name": "r%d" % i}, "metadata": m} for i, m in enumerate(metadata)]}


def test_metadata_created_on_every_node():
    assert drbd_created_everywhere([up("created"), up("wiped and created")], "r0") is True
    assert drbd_created_everywhere([up("created"), up("kept")], "r0") is False
    assert drbd_created_everywhere([up("created", "kept"), up("created", "created")], "r1") is False
    assert drbd_created_everywhere([up("created")], "r9") is False


def test_replication_address_must_be_the_nodes():
    errors = drbd_input_errors([{"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdb"}], NODES)
    assert errors == ["node vm2: replication address 10.213.40.12 is not an address of that node"]


def test_addresses_and_progress():
    assert drbd_address("10.213.40.11", 7789) == "ipv4 10.213.40.11:7789"
    assert drbd_address("fd00::11", 7789) == "ipv6 [fd00::11]:7789"
    assert drbd_progress({"name": "r0", "connection": "SyncSource", "disk": "UpToDate", "peer_disk": "Inconsistent",
                          "sync_percent": 12.5, "sync_finish": "0:01:10"}) == \
        "r0: SyncSource, disks UpToDate/Inconsistent, first mirror 12.5% done, about 0:01:10 left"


def test_disk_change_errors_from_the_registered_probe():
    probes = {"results": [
        {"item": {"name": "r0"}, "stdout": "/dev/vdb\nUpToDate/UpToDate\n/dev/vdb"},
        {"item": {"name": "r1"}, "stdout": "/dev/vdc\nUpToDate/UpToDate\n/dev/vdd"},
        {"item": {"name": "r2"}, "skipped": True},
    ]}
    errors = drbd_disk_change_errors(probes, "vm2")
    assert len(errors) == 1 and errors[0].startswith("DRBD resource r1 runs on vm2's disk /dev/vdc")
