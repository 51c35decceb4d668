"""The roles' package check (node_state): dpkg-query's argv and which wanted packages its answer leaves missing."""
from ansible_collections.twonode.ha.plugins.module_utils.node_state import DPKG_QUERY, missing_packages


def test_the_argv_is_the_one_the_roles_ran():
    # A backslash and an n, as the roles' Jinja passed them (ansible-core 2.19); dpkg-query reads the escape.
    assert DPKG_QUERY + ["drbd-utils"] == ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\\n", "drbd-utils"]


def test_only_installed_packages_count():
    # dpkg-query's lines for a package installed, one removed with its configuration left, one never installed
    # (apt knows it), and nothing for one dpkg never heard of (that goes to stderr).
    lines = ["corosync installed", "pacemaker config-files", "sbd not-installed"]
    wanted = ["corosync", "pacemaker", "sbd", "fence-agents-ipmi", "pacemaker"]
    assert missing_packages(wanted, lines) == ["pacemaker", "sbd", "fence-agents-ipmi"]
    assert missing_packages(["corosync"], None) == ["corosync"]
    assert missing_packages([], lines) == []
