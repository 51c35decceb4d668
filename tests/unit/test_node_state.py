"""node_state: the one read a role makes of a node (output captured on the Debian 13 container bed), and the
comparisons the roles skip work by (file_differs, unit_differs)."""
import os

import pytest

from ansible_collections.twonode.ha.plugins.filter.resources import service_network
from ansible_collections.twonode.ha.plugins.module_utils import node_state as ns
from ansible_collections.twonode.ha.plugins.modules import node_state
from ansible_collections.twonode.ha.plugins.plugin_utils.resources_plan import postfix_master_cf

CIB_LOCAL = "cibadmin --query --local --scope resources"
CRM_MON = "crm_mon --one-shot --output-as=xml --inactive --fence-history=2"
SYSTEMCTL = "systemctl show --property=Id,LoadState,UnitFileState,ActiveState --"
# The format argument holds a space, which the fake node splits keys at: * stands for it.
DPKG = "dpkg-query -W *"


def test_systemctl_show_gives_each_unit_in_the_order_asked(fixture_text):
    units = ns.parse_systemctl_show(fixture_text("systemctl_show_p3_container_bed.txt"),
                                    ["corosync", "pacemaker", "sbd", "nginx"])
    assert units["corosync"] == {"loaded": True, "enabled": "enabled", "active": "active"}
    assert units["sbd"] == {"loaded": False, "enabled": "", "active": "inactive"}
    with pytest.raises(ValueError, match="answered 4 units, 3 were asked"):
        ns.parse_systemctl_show(fixture_text("systemctl_show_p3_container_bed.txt"), ["corosync", "pacemaker", "sbd"])


def test_a_unit_differs_only_where_the_wanted_state_does(fixture_text):
    units = ns.parse_systemctl_show(fixture_text("systemctl_show_p3_container_bed.txt"),
                                    ["corosync", "pacemaker", "sbd", "nginx"])
    assert not ns.unit_differs(units, "corosync", enabled=True, active=True)
    # A unit that is not installed cannot start at boot: as good as disabled, never enabled.
    assert not ns.unit_differs(units, "sbd", enabled=False)
    assert ns.unit_differs(units, "sbd", enabled=True)
    # The package just started and enabled nginx: the role wants it left to Pacemaker.
    assert ns.unit_differs(units, "nginx", enabled=False)
    assert ns.unit_differs(units, "postfix", enabled=False)  # not read: never skipped


def test_packages_dpkg_does_not_know_or_has_not_installed_are_missing(fixture_text):
    lines = fixture_text("dpkg_query_p3_container_bed.txt").splitlines()
    assert ns.missing_packages(["corosync", "sbd", "nginx", "no-such-package", "sbd"], lines) == [
        "sbd", "no-such-package"]
    assert ns.missing_packages(["corosync"], ["corosync config-files"]) == ["corosync"]


def test_addresses_leave_out_loopback_and_keep_their_prefix(fixture_text):
    networks = ns.parse_ip_addresses(fixture_text("ip_json_address_p3_container_bed.json"))
    assert networks == ["10.213.20.11/24", "fe80::b88d:ddff:fe12:2f8d/64", "10.213.10.11/24", "fe80::f026:7fff:fedf:ea7e/64"]
    assert service_network(networks, "10.213.10.11") == "10.213.10.0/24"
    assert service_network(networks, "10.213.20.11") == "10.213.20.0/24"
    assert service_network(networks, "10.9.9.9") == ""
    with pytest.raises(ValueError, match="did not give JSON"):
        ns.parse_ip_addresses("Error: ...")


def test_the_release_reads_as_ansible_names_it(fixture_text):
    assert ns.parse_os_release(fixture_text("os_release_trixie.txt")) == ("Debian", "13")


def test_mount_points_come_from_mountinfo_with_its_escapes(fixture_text):
    text = fixture_text("mountinfo_p3_container_bed.txt")
    assert ns.mounted_paths(text, ["/srv/services", "/proc", "/"]) == ["/proc", "/"]
    line = "90 80 147:0 / /srv/web\\040data rw,relatime shared:1 - ext4 /dev/drbd0 rw\n"
    assert ns.mounted_paths(text + line, ["/srv/web data", "/srv/web"]) == ["/srv/web data"]


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "conf").write_text("listen 80;\n")
    os.chmod(str(tmp_path / "conf"), 0o644)
    (tmp_path / "dir").mkdir()
    os.chmod(str(tmp_path / "dir"), 0o2775)
    os.symlink("/etc/nginx/sites-available/twonode.conf", str(tmp_path / "link"))
    return tmp_path


def test_a_file_as_wanted_does_not_differ_and_any_change_to_it_does(tree):
    me = ns.file_facts(str(tree / "conf"))
    owner, group = me["owner"], me["group"]
    assert me["type"] == "file" and me["mode"] == "0644" and me["sha1"] == ns.sha1_text("listen 80;\n")
    assert not ns.file_differs(me, content="listen 80;\n", owner=owner, group=group, mode="0644")
    assert ns.file_differs(me, content="listen 81;\n", owner=owner, group=group, mode="0644")
    assert ns.file_differs(me, content="listen 80;\n", owner=owner, group=group, mode="0600")
    assert ns.file_differs(me, content="listen 80;\n", owner="nobody-else", group=group, mode="0644")
    assert ns.file_differs(me, owner=owner, group=group, state="directory")


def test_directories_links_and_absence_compare_by_what_they_are(tree):
    folder = ns.file_facts(str(tree / "dir"))
    assert folder["mode"] == "2775"
    assert not ns.file_differs(folder, owner=folder["owner"], group=folder["group"], mode="2775", state="directory")
    assert ns.file_differs(folder, owner=folder["owner"], group=folder["group"], mode="0755", state="directory")
    link = ns.file_facts(str(tree / "link"))
    assert not ns.file_differs(link, state="link", target="/etc/nginx/sites-available/twonode.conf")
    assert ns.file_differs(link, state="link", target="/etc/nginx/sites-available/default")
    missing = ns.file_facts(str(tree / "nothing"))
    assert missing == {"exists": False}
    assert ns.file_differs(missing, content="") and not ns.file_differs(missing, state="absent")
    assert ns.file_differs(link, state="absent")
    assert ns.file_differs(None, state="directory")


def test_postfix_master_cf_matches_what_lineinfile_and_blockinfile_made_and_keeps_it(fixture_text):
    debian = fixture_text("postfix_master_cf_p3_debian.cf")
    converged = fixture_text("postfix_master_cf_p3_converged.cf")
    assert postfix_master_cf(debian, ["10.213.10.100"]) == converged
    assert postfix_master_cf(converged, ["10.213.10.100"]) == converged
    moved = postfix_master_cf(converged, ["10.213.10.101", "fd00::100"])
    assert moved.count("# BEGIN twonode.ha smtpd listeners") == 1
    assert "10.213.10.101:smtp inet n - y - - smtpd\n[fd00::100]:smtp inet" in moved
    assert "10.213.10.100:smtp" not in moved
    assert moved.split("# BEGIN", maxsplit=1)[0] == converged.split("# BEGIN", maxsplit=1)[0]


@pytest.fixture
def host_files(monkeypatch, fixture_text):
    texts = {"/etc/os-release": fixture_text("os_release_trixie.txt"),
             "/proc/self/mountinfo": fixture_text("mountinfo_p3_container_bed.txt"),
             "/proc/sys/net/ipv4/ip_nonlocal_bind": "1\n",
             "/etc/corosync/corosync.conf": "totem {\n}\n"}
    monkeypatch.setattr(node_state, "read_text", texts.get)


def test_the_module_runs_one_command_per_kind_and_reports_everything(host_files, fake_node, run_module, fixture_text):
    node = fake_node({
        DPKG + " corosync sbd": (1, "corosync installed\n", "dpkg-query: no packages found matching sbd\n"),
        SYSTEMCTL + " corosync pacemaker sbd nginx": (0, fixture_text("systemctl_show_p3_container_bed.txt"), ""),
        "ip -json address show": (0, fixture_text("ip_json_address_p3_container_bed.json"), ""),
        "stonith_admin --list-installed": (0, fixture_text("stonith_admin_list_installed_p3.txt"), ""),
        CIB_LOCAL: (0, fixture_text("cib_p2_services_running.xml"), ""),
    })
    result = run_module(node_state, node, {
        "packages": ["corosync", "sbd"], "units": ["corosync", "pacemaker", "sbd", "nginx"],
        "read": ["/etc/corosync/corosync.conf", "/etc/corosync/authkey"], "sysctls": ["net.ipv4.ip_nonlocal_bind"],
        "mounts": ["/proc", "/srv/services"], "host": True, "fence_agents": True})
    assert node.calls == [DPKG + " corosync sbd", SYSTEMCTL + " corosync pacemaker sbd nginx",
                          "ip -json address show", CIB_LOCAL, "stonith_admin --list-installed"]
    assert result["changed"] is False
    assert result["missing_packages"] == ["sbd"]
    assert result["units"]["pacemaker"]["active"] == "active"
    assert result["contents"] == {"/etc/corosync/corosync.conf": "totem {\n}\n", "/etc/corosync/authkey": None}
    assert result["sysctls"] == {"net.ipv4.ip_nonlocal_bind": "1"}
    assert result["mounted"] == ["/proc"]
    assert result["host"]["distribution"] == "Debian" and result["host"]["distribution_major_version"] == "13"
    assert result["host"]["addresses"] == ["10.213.20.11", "fe80::b88d:ddff:fe12:2f8d", "10.213.10.11",
                                           "fe80::f026:7fff:fedf:ea7e"]
    assert "fence_docker" in result["fence_agents"]
    # The virtual IP alone leaves the node, not the resources' other parameters.
    assert result["host"]["managed_addresses"] == ["10.213.10.100"]
    assert "status" not in result


def test_a_module_asked_for_nothing_runs_nothing(host_files, fake_node, run_module):
    node = fake_node({})
    result = run_module(node_state, node, {"files": ["/nonexistent/twonode"]})
    assert node.calls == []
    assert result["files"] == {"/nonexistent/twonode": {"exists": False}} and result["units"] == {}


def test_systemctl_failing_fails_the_module_in_its_words(host_files, fake_node, run_module):
    node = fake_node({SYSTEMCTL + " corosync": (1, "", "System has not been booted with systemd\n")})
    result = run_module(node_state, node, {"units": ["corosync"]})
    assert result["failed"] is True
    assert "System has not been booted with systemd" in result["msg"]


def test_devices_are_followed_through_links_and_told_apart(tmp_path):
    os.symlink("/dev/null", str(tmp_path / "watchdog"))
    assert ns.device_kind(str(tmp_path / "watchdog")) == "char"
    assert ns.device_kind(str(tmp_path)) == "directory"
    assert ns.device_kind(str(tmp_path / "vdz")) == "missing"
    os.symlink(str(tmp_path / "vdz"), str(tmp_path / "dangling"))
    assert ns.device_kind(str(tmp_path / "dangling")) == "missing"


def _status_node(fake_node, fixture_text, crm_mon, **answers):
    commands = {
        CRM_MON: (0, fixture_text(crm_mon), ""),
        "corosync-cfgtool -s": (0, fixture_text("cfgtool_both_links.txt"), ""),
        "corosync-quorumtool -s": (0, fixture_text("quorumtool_two_node_trixie.txt"), ""),
        "crm_node --name": (0, "node1\n", ""),
        "cibadmin --query --scope resources": (0, "<resources/>", ""),
    }
    commands.update(answers)
    return fake_node(commands)


def test_the_pair_status_tells_the_roles_there_is_nothing_to_wait_for(host_files, fake_node, run_module, fixture_text):
    node = _status_node(fake_node, fixture_text, "crm_mon_group_healthy.xml", **{
        "crmadmin --quiet --status node1": (0, fixture_text("crmadmin_status_p3_idle_stdout.txt"),
                                            fixture_text("crmadmin_status_p3_idle_stderr.txt"))})
    result = run_module(node_state, node, {"status": {"settle_groups": ["services"], "idle": True, "pair": True}})
    assert node.calls == [CRM_MON, "corosync-cfgtool -s", "corosync-quorumtool -s", "crm_node --name", "cibadmin --query --scope resources",
                          "crmadmin --quiet --status node1"]
    status = result["status"]
    assert status["settle_problems"] == [] and status["stack_running"] is True and status["quorate"] is True
    assert sorted(status["nodes"]) == ["node1", "node2"] and "drbd" in status and status["drbd"] == []


def test_a_peer_offline_or_a_transition_in_flight_is_something_to_wait_for(host_files, fake_node, run_module, fixture_text):
    node = _status_node(fake_node, fixture_text, "crm_mon_peer_offline.xml", **{
        "crmadmin --quiet --status node2": (0, "S_TRANSITION_ENGINE\n", "Controller on node2 in state S_TRANSITION_ENGINE: ok\n")})
    result = run_module(node_state, node, {"status": {"idle": True, "pair": True}})
    assert result["status"]["settle_problems"] == [
        "1 of 2 nodes online (offline: node2)",
        "a transition has not finished (the controller on node2 is in state S_TRANSITION_ENGINE, not S_IDLE)"]
    # Without pair and idle only operations in flight count, as for cluster_status.
    node = _status_node(fake_node, fixture_text, "crm_mon_peer_offline.xml")
    assert run_module(node_state, node, {"status": {}})["status"]["settle_problems"] == []


def test_a_node_without_pacemaker_has_a_stack_that_does_not_run(host_files, fake_node, run_module):
    node = fake_node({"ip -json address show": (0, "[]", "")})
    result = run_module(node_state, node, {"status": {"pair": True}, "host": True}, missing=("crm_mon", "cibadmin"))
    assert node.calls == ["ip -json address show"]
    assert result["status"]["stack_running"] is False
    assert result["status"]["settle_problems"] == ["Pacemaker is not installed on this node"]
    assert result["host"]["managed_addresses"] == []


def test_the_preload_filter_sits_in_the_filter_file_that_sorts_last():
    """Ansible loads a collection's filter files in name order until one has the filter asked for: only
    the last file's filter loads them all into ansible-playbook (playbooks/tasks/pair_lock.yml)."""
    directory = os.path.join(os.path.dirname(node_state.__file__), "..", "filter")
    files = sorted(name for name in os.listdir(directory) if name.endswith(".py") and name != "__init__.py")
    with open(os.path.join(directory, files[-1])) as handle:
        assert '"preload_filters"' in handle.read(), "move preload_filters to %s" % files[-1]


def test_a_file_read_keeps_its_line_ends(tmp_path):
    """The arbitrator's CA certificate (certutil's PEM) ends its lines with CRLF: the copy the nodes' enrollment
    mark holds is compared by its sha1, so the text read must be the file's exactly (it was read with LF once,
    and the second run after an arbitrator's install enrolled both nodes again)."""
    from ansible_collections.twonode.ha.plugins.module_utils.node_state import file_facts, sha1_text
    from ansible_collections.twonode.ha.plugins.modules.node_state import read_text
    ca = tmp_path / "qnetd-cacert.crt"
    ca.write_bytes(b"Certificate:\n    Data:\n-----BEGIN CERTIFICATE-----\r\nMIIC\r\n-----END CERTIFICATE-----\n")
    text = read_text(str(ca))
    assert "\r\n" in text and sha1_text(text) == file_facts(str(ca))["sha1"]
    assert read_text(str(tmp_path / "missing")) is None


def test_the_kernel_clock_is_synchronised_only_when_a_time_daemon_said_so():
    from ansible_collections.twonode.ha.plugins.module_utils.node_state import clock_synchronized
    # adjtimex on the beds' host (no time source reached): TIME_ERROR, STA_UNSYNC set.
    assert clock_synchronized(5, 0x40) is False
    # chrony synchronised: TIME_OK, STA_PLL | STA_NANO (0x2001), STA_UNSYNC clear.
    assert clock_synchronized(0, 0x2001) is True
    # Leap second pending (TIME_INS) is still synchronised; STA_UNSYNC alone is not.
    assert clock_synchronized(1, 0x2011) is True and clock_synchronized(0, 0x2041) is False


def test_reading_the_kernel_clock_changes_nothing_and_answers():
    from ansible_collections.twonode.ha.plugins.module_utils.node_state import read_kernel_clock
    rc, status = read_kernel_clock()
    assert 0 <= rc <= 5 and isinstance(status, int)


def test_a_disk_is_described_from_sysfs_mountinfo_blkid_and_dumpe2fs(monkeypatch, fake_node, run_module, fixture_text):
    """The data disk of a server to adopt: mounted ext4, with the output captured on a 512 MiB disk."""
    mountinfo = "22 1 254:0 / / rw - ext4 /dev/vda rw\n64 22 254:16 / /srv/services rw,relatime - ext4 /dev/vdb rw\n"
    monkeypatch.setattr(node_state, "read_text", {"/proc/self/mountinfo": mountinfo}.get)
    monkeypatch.setattr(node_state, "device_kind", lambda path: "block" if path == "/dev/vdb" else "missing")
    monkeypatch.setattr(node_state, "device_number", lambda path: "254:16")
    seen = []
    monkeypatch.setattr(node_state, "sysfs_block", lambda where: seen.append(where) or {
        "size": 536870912, "holders": [], "partitions": [], "lvm": None})
    node = fake_node({
        "blkid -p -o export /dev/vdb": (0, fixture_text("blkid_ext4.txt"), ""),
        "dumpe2fs -h /dev/vdb": (0, fixture_text("dumpe2fs_h_ext4_512m_bookworm.txt"), "dumpe2fs 1.47.0 (5-Feb-2023)\n"),
        "resize2fs -P /dev/vdb": (0, fixture_text("resize2fs_P_ext4_512m_bookworm.txt"), ""),
    })
    result = run_module(node_state, node, {"disks": ["/dev/vdb", "/dev/vdz"], "mounts": ["/srv/services", "/srv/other"]})
    assert seen == ["/sys/dev/block/254:16"]
    disk = result["disks"]["/dev/vdb"]
    assert disk["mountpoints"] == ["/srv/services"] and disk["fstype"] == "ext4" and disk["size"] == 536870912
    assert disk["signature"]["TYPE"] == "ext4" and "DEVNAME" not in disk["signature"]
    assert disk["ext4"] == {"block_count": 131072, "block_size": 4096, "state": "clean", "minimum_blocks": 32041}
    assert result["disks"]["/dev/vdz"] == {"path": "/dev/vdz", "kind": "missing"}
    assert result["mount_sources"] == {"/srv/services": {"source": "/dev/vdb", "fstype": "ext4"}}


def test_sysfs_tells_size_holders_partitions_and_a_logical_volume(tmp_path):
    from ansible_collections.twonode.ha.plugins.module_utils.adopt_plan import sysfs_block
    disk = tmp_path / "254:16"
    (disk / "holders" / "dm-0").mkdir(parents=True)
    (disk / "vdb1").mkdir()
    (disk / "vdb1" / "partition").write_text("1\n")
    (disk / "size").write_text("1048576\n")
    assert sysfs_block(str(disk)) == {"size": 536870912, "holders": ["dm-0"], "partitions": ["vdb1"], "lvm": None}
    volume = tmp_path / "253:0"
    (volume / "dm").mkdir(parents=True)
    (volume / "dm" / "uuid").write_text("LVM-Abc\n")
    (volume / "dm" / "name").write_text("my--vg-data\n")
    (volume / "size").write_text("8192\n")
    assert sysfs_block(str(volume))["lvm"] == {"vg": "my-vg", "lv": "data"}
    assert sysfs_block(str(tmp_path / "none")) == {"size": 0, "holders": [], "partitions": [], "lvm": None}
