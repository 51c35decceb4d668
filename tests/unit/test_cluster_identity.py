import pytest
from ansible.plugins.filter.core import get_hash, to_json

from ansible_collections.twonode.ha.plugins.plugin_utils.cluster_identity import (
    conf_identity,
    corosync_action,
    has_foreign_resources,
    identity_change_problem,
    identity_digest,
)

NODES = [{"name": "vm1", "nodeid": 1, "ring0_addr": "10.213.30.11", "ring1_addr": "10.213.40.11"},
         {"name": "vm2", "nodeid": 2, "ring0_addr": "10.213.30.12", "ring1_addr": "10.213.40.12"}]
SBD = [["/dev/vdc"], "/dev/watchdog", 10]


def jinja_digest(name, cipher, hash_name, nodes, sbd=None):
    """What the role computed before (to_json | hash('sha256')): running clusters carry this digest."""
    identity = {"name": name, "cipher": cipher, "hash": hash_name, "nodes": nodes}
    if sbd:
        identity["sbd"] = sbd
    return get_hash(to_json(identity), "sha256")


@pytest.mark.parametrize("sbd", [None, SBD])
def test_the_digest_is_the_one_running_clusters_carry(sbd):
    assert identity_digest("vmbed", "aes256", "sha256", NODES, sbd) == jinja_digest("vmbed", "aes256", "sha256", NODES, sbd)


def test_every_part_of_the_identity_changes_the_digest():
    base = identity_digest("vmbed", "aes256", "sha256", NODES, SBD)
    moved = [dict(NODES[0], ring1_addr="10.213.40.21"), NODES[1]]
    others = [identity_digest("other", "aes256", "sha256", NODES, SBD),
              identity_digest("vmbed", "aes128", "sha256", NODES, SBD),
              identity_digest("vmbed", "aes256", "sha1", NODES, SBD),
              identity_digest("vmbed", "aes256", "sha256", moved, SBD),
              identity_digest("vmbed", "aes256", "sha256", NODES, [["/dev/vdc"], "/dev/watchdog", 15]),
              identity_digest("vmbed", "aes256", "sha256", NODES, None)]
    assert base not in others and len(set(others)) == len(others)


def test_the_digest_is_read_back_from_our_corosync_conf_only():
    digest = identity_digest("vmbed", "aes256", "sha256", NODES)
    ours = "# Managed by twonode.ha\n# twonode.ha identity %s\ntotem {\n    version: 2\n}\n" % digest
    assert conf_identity(ours) == digest
    assert conf_identity("totem {\n    version: 2\n    cluster_name: theirs\n}\n") == ""
    assert conf_identity("") == "" and conf_identity(None) == ""


@pytest.mark.parametrize("current,wanted,allow,refused", [
    ("", "abc", False, False),      # a node this collection has not configured: nothing to interrupt
    ("abc", "abc", False, False),   # unchanged
    ("abc", "def", False, True),    # both nodes would restart at once
    ("abc", "def", True, False),    # accepted by the administrator
])
def test_an_identity_change_is_refused_unless_accepted(current, wanted, allow, refused):
    problem = identity_change_problem(current, wanted, allow)
    assert bool(problem) == refused
    if refused:
        assert "cluster_allow_full_restart=true" in problem and problem.endswith("nothing was changed.")


@pytest.mark.parametrize("current,wanted,conf_changed,key_changed,action", [
    ("", "abc", True, True, "restart"),      # new to the cluster
    ("abc", "def", True, False, "restart"),  # a new identity
    ("abc", "abc", False, True, "restart"),  # a new key
    ("abc", "abc", True, False, "reload"),   # the outage tolerance, logging: no restart
    ("abc", "abc", False, False, "none"),
])
def test_corosync_restarts_only_when_it_must(current, wanted, conf_changed, key_changed, action):
    assert corosync_action(current, wanted, conf_changed, key_changed) == action


def test_a_cib_with_any_resource_is_foreign():
    empty = '<cib><configuration><crm_config/><nodes/><resources/><constraints/></configuration></cib>'
    assert not has_foreign_resources(empty, "")
    assert not has_foreign_resources("", "")
    for element in ('<primitive id="x" class="ocf" provider="heartbeat" type="IPaddr2"/>', '<group id="g">',
                    '<clone id="c">', '<bundle id="b">'):
        assert has_foreign_resources("", empty.replace("<resources/>", "<resources>%s</resources>" % element))
    assert not has_foreign_resources('<resources><primitives-note/></resources>')
