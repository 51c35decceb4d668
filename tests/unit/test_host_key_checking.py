"""SSH host keys are checked everywhere except on the beds, whose nodes get new keys on every build."""
import configparser
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _config():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(REPO, "ansible.cfg"))
    return parser


def _bed_vars(name):
    with open(os.path.join(REPO, "inventories", name, "hosts.yml")) as handle:
        return yaml.safe_load(handle)["ha_pair"]["vars"]


def test_the_project_configuration_keeps_host_key_checking_on():
    config = _config()
    assert config.get("defaults", "host_key_checking", fallback="true").lower() in ("true", "yes", "1")
    ssh_args = config.get("ssh_connection", "ssh_args", fallback="")
    assert "StrictHostKeyChecking" not in ssh_args
    assert "UserKnownHostsFile" not in ssh_args


def test_only_the_bed_inventories_turn_it_off():
    for bed in ("testbed", "vmbed"):
        bed_vars = _bed_vars(bed)
        assert bed_vars["ansible_host_key_checking"] is False
        assert "StrictHostKeyChecking=no" in bed_vars["ansible_ssh_common_args"]
    with open(os.path.join(REPO, "inventories", "example", "hosts.yml")) as handle:
        example = handle.read()
    assert "host_key_checking" not in example and "StrictHostKeyChecking" not in example
