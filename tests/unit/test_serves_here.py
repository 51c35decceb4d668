"""The arbitrator's heuristic (roles/cluster/files/twonode_serves_here.py) on the CIB file, `ip -json address`
and /proc/drbd captured on the beds."""
import ast
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "roles/cluster/files/twonode_serves_here.py")
_spec = importlib.util.spec_from_file_location("twonode_serves_here", SCRIPT)
heuristic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heuristic)


def never_mounted(path):
    return False


def test_the_node_holding_the_virtual_ip_serves_and_its_peer_does_not(fixture_text):
    # Container bed, Debian 13: the group on node1 (its VIP on node1's eth0); each node runs the device
    # that fences the other, which decides nothing.
    cib = fixture_text("cib_file_p3_container_bed_group_on_node1.xml")
    assert heuristic.held_resources(cib) == (["10.213.10.100"], [])
    assert heuristic.serves(cib, fixture_text("ip_json_p3_node1_serving.json"), never_mounted) is True
    assert heuristic.serves(cib, fixture_text("ip_json_p3_node2_standby.json"), never_mounted) is False


def test_a_mounted_filesystem_of_a_group_serves(fixture_text):
    cib = fixture_text("cib_file_p3_container_bed_group_on_node1.xml").replace(
        '<primitive id="services-nginx"',
        '<primitive id="services-fs" class="ocf" provider="heartbeat" type="Filesystem"><instance_attributes '
        'id="services-fs-ia"><nvpair id="services-fs-dir" name="directory" value="/srv/services"/>'
        '</instance_attributes></primitive><primitive id="services-nginx"')
    standby = fixture_text("ip_json_p3_node2_standby.json")
    assert heuristic.held_resources(cib)[1] == ["/srv/services"]
    assert heuristic.serves(cib, standby, lambda path: path == "/srv/services") is True
    assert heuristic.serves(cib, standby, never_mounted) is False


def test_a_cloned_address_or_mount_decides_nothing(fixture_text):
    cib = fixture_text("cib_file_p3_container_bed_group_on_node1.xml")
    group_start = cib.index("<group ")
    group_end = cib.index("</group>") + len("</group>")
    cloned = cib[:group_start] + '<clone id="c">' + cib[group_start:group_end] + "</clone>" + cib[group_end:]
    assert heuristic.held_resources(cloned) == ([], [])
    assert heuristic.serves(cloned, fixture_text("ip_json_p3_node1_serving.json"), never_mounted) is False


def test_a_primary_drbd_device_serves(fixture_text):
    assert heuristic.drbd_primary(fixture_text("proc_drbd_84_healthy.txt")) is True
    assert heuristic.drbd_primary(fixture_text("proc_drbd_84_split_brain_secondary.txt")) is False
    # DRBD 9: /proc/drbd names no resources; drbdsetup's JSON does.
    nine = "version: 9.2.12 (api:2/proto:86-122)\n"
    syncing = fixture_text("drbdsetup_9_syncing.json")
    assert heuristic.drbd_primary(nine, syncing) is False
    assert heuristic.drbd_primary(nine, syncing.replace('"role": "Secondary"', '"role": "Primary"', 1)) is True
    # Asked only when no address or mount decided.
    cib = fixture_text("cib_file_p3_container_bed_group_on_node1.xml")
    standby = fixture_text("ip_json_p3_node2_standby.json")
    assert heuristic.serves(cib, standby, never_mounted, lambda: True) is True
    assert heuristic.serves(cib, fixture_text("ip_json_p3_node1_serving.json"), never_mounted,
                            lambda: 1 / 0) is True


def test_no_cib_or_an_empty_configuration_does_not_serve(fixture_text):
    assert heuristic.held_resources("<cib><configuration><resources/></configuration></cib>") == ([], [])
    assert heuristic.serves("<cib/>", fixture_text("ip_json_p3_node1_serving.json"), never_mounted) is False


def test_it_asks_no_cluster_daemon():
    """While corosync settles a membership it waits for this heuristic, and the DC's controller waits
    for corosync: crm_node and crm_mon then hung until the heuristics' 3 s timeout (seen on the container
    bed at every power cut the DC survived). Only the kernel and the CIB file may be asked."""
    with open(SCRIPT) as handle:
        tree = ast.parse(handle.read())
    strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    commands = [s for s in strings if s.startswith(("crm_", "cibadmin", "corosync-", "pcs", "crm "))]
    assert commands == []
