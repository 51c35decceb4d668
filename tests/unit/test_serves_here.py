"""The arbitrator's heuristic (roles/cluster/files/twonode_serves_here.py) on crm_mon captured on the beds."""
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("twonode_serves_here",
                                               os.path.join(REPO, "roles/cluster/files/twonode_serves_here.py"))
heuristic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heuristic)


def test_the_node_running_the_group_serves_and_a_fence_device_does_not_count(fixture_text):
    # Container bed: the group on node1; each node runs the device that fences the other.
    status = fixture_text("crm_mon_group_healthy.xml")
    assert heuristic.serves(status, "node1") is True
    assert heuristic.serves(status, "node2") is False


def test_an_unpromoted_drbd_instance_on_the_standby_does_not_serve(fixture_text):
    # VM bed: DRBD runs on both nodes, promoted on vm2 where the group runs.
    status = fixture_text("crm_mon_vm_nginx_failed.xml")
    assert heuristic.serves(status, "vm2") is True
    assert heuristic.serves(status, "vm1") is False


def test_a_fence_device_alone_is_not_serving(fixture_text):
    # node2 stopped: node1 runs the group and the device that fences node2; node2 nothing.
    status = fixture_text("crm_mon_group_peer_stopped.xml")
    assert heuristic.serves(status, "node1") is True and heuristic.serves(status, "node2") is False
    stonith_only = status.replace('resource_agent="ocf:heartbeat', 'resource_agent="stonith:x').replace(
        'resource_agent="systemd:nginx"', 'resource_agent="stonith:y"')
    assert heuristic.serves(stonith_only, "node1") is False
    assert heuristic.serves("<pacemaker-result/>", "node1") is False
