"""Before production and on the day after: backup.yml (the cluster's configuration to the control node, its
secrets encrypted with Vault) and fence_check.yml (every device asked; one node fenced on request only)."""
import base64
import glob
import hashlib
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from conftest import cluster_status, run_playbook, wait_until

testinfra_hosts = ["node1"]


def vault_decrypt(path, password_file):
    return subprocess.run(["ansible-vault", "decrypt", "--vault-password-file", password_file, "--output", "-", path],
                          capture_output=True, check=True).stdout


def test_backup_keeps_the_configuration_with_its_secrets_encrypted(node1, node2):
    with tempfile.TemporaryDirectory() as tmp:
        password_file = os.path.join(tmp, "vault-pass")
        with open(password_file, "w") as handle:
            handle.write("bed-backup-password\n")
        refused = run_playbook("-e", "backup_dir=" + tmp, "-e", "backup_vault_password_file=", playbook="backup.yml")
        assert refused.returncode != 0 and "needs the password in a file" in refused.stdout, refused.stdout[-2000:]
        assert not os.path.exists(os.path.join(tmp, "testbed"))

        result = run_playbook("-vvv", "-e", "backup_dir=" + tmp, "-e", "backup_vault_password_file=" + password_file,
                              playbook="backup.yml")
        assert result.returncode == 0, result.stdout[-3000:]
        folders = glob.glob(os.path.join(tmp, "testbed", "*T*Z"))
        assert len(folders) == 1, folders
        folder = folders[0]
        assert sorted(os.listdir(folder)) == ["authkey.b64.vault", "cib.xml.vault", "node1", "node2"]
        for name in ("authkey.b64.vault", "cib.xml.vault"):
            with open(os.path.join(folder, name)) as handle:
                assert handle.read().startswith("$ANSIBLE_VAULT;"), name
            assert oct(os.stat(os.path.join(folder, name)).st_mode & 0o777) == "0o600"

        authkey = base64.b64decode(vault_decrypt(os.path.join(folder, "authkey.b64.vault"), password_file))
        assert hashlib.sha256(authkey).hexdigest() == node1.check_output("sha256sum /etc/corosync/authkey").split()[0]
        cib = ET.fromstring(vault_decrypt(os.path.join(folder, "cib.xml.vault"), password_file))
        assert {"fence-node1", "fence-node2", "services"} <= {e.get("id") for e in cib.iter() if e.get("id")}
        for node, host in (("node1", node1), ("node2", node2)):
            with open(os.path.join(folder, node, "corosync.conf"), "rb") as handle:
                assert handle.read() == host.file("/etc/corosync/corosync.conf").content
        # -vvv shows every task's result: the authkey must not be among them.
        assert base64.b64encode(authkey).decode() not in result.stdout + result.stderr


def group_node(node):
    return cluster_status(node)["resources"]["services-vip1"]["nodes"][0]


def fence_history(node):
    out = node.check_output("stonith_admin --history '*' --verbose --output-as=xml")
    return [(e.get("action"), e.get("target"), e.get("completed")) for e in ET.fromstring(out).iter("fence_event")]


def test_fence_check_asks_every_device_and_fences_only_on_request(node1, node2):
    asked = run_playbook(playbook="fence_check.yml")
    assert asked.returncode == 0, asked.stdout[-3000:]
    for node in ("node1", "node2"):
        assert "fence-%s (fence_docker): %s, plug twonode-%s: ON" % (node, node, node) in asked.stdout

    before = fence_history(node1)
    serving = group_node(node1)
    standby = "node2" if serving == "node1" else "node1"
    refused = run_playbook("-e", "reboot=" + serving, "-e", "confirm=testbed", playbook="fence_check.yml")
    assert refused.returncode != 0 and "%s runs services" % serving in refused.stdout, refused.stdout[-2000:]
    unconfirmed = run_playbook("-e", "reboot=" + standby, playbook="fence_check.yml")
    assert unconfirmed.returncode != 0 and "needs -e confirm=testbed" in unconfirmed.stdout
    assert fence_history(node1) == before, "a refused request fenced a node"

    fenced = run_playbook("-e", "reboot=" + standby, "-e", "confirm=testbed", playbook="fence_check.yml")
    assert fenced.returncode == 0, fenced.stdout[-3000:]
    assert "%s fenced" % standby in fenced.stdout and "the pair is available again" in fenced.stdout
    new = [e for e in fence_history(node1) if e not in before]
    assert [(event[0], event[1]) for event in new] == [("reboot", standby)], new
    wait_until("both nodes online", lambda: all(cluster_status(node1)["nodes"].values()), timeout=120)
    assert group_node(node1) == serving
