"""DRBD's handlers (roles/drbd/files): the split-brain handler still marks and logs as before, and both it
and the alarm handler start the alert agent only when the cluster role configured channels, detached,
so DRBD never waits for a delivery; and the resource template names the handlers each DRBD has."""
import os
import subprocess
import time

import jinja2
import pytest

from ansible_collections.twonode.ha.plugins.filter.drbd import FilterModule

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(REPO, "roles/drbd/files")
# What DRBD 8.4's drbdadm gives the split-brain handler (see test_alert_agent_drbd.py).
DRBD_ENV = {"PATH": "/sbin:/usr/sbin:/bin:/usr/bin", "HOME": "/", "TERM": "linux", "DRBD_RESOURCE": "r0",
            "DRBD_PEERS": "vm1", "DRBD_MINOR": "0", "DRBD_VOLUME": "0"}
# An agent that takes its time: records how it was called, after the handler has long returned.
SLOW_AGENT = """#!/bin/sh
sleep 1.5
echo "$* $DRBD_PEERS $TWONODE_ALERT_CONFIG" >"{out}"
"""


# logger as the handlers call it, writing to a file instead of this machine's journal.
FAKE_LOGGER = """#!/bin/sh
{{ echo "$*"; cat; }} >>"{out}"
"""


@pytest.fixture
def node(tmp_path):
    """The paths the handlers use, pointed into tmp_path (DRBD's own environment never sets these)."""
    agent = tmp_path / "twonode_alert.py"
    agent.write_text(SLOW_AGENT.format(out=tmp_path / "agent.called"))
    agent.chmod(0o755)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "logger").write_text(FAKE_LOGGER.format(out=tmp_path / "logged"))
    (tmp_path / "bin" / "logger").chmod(0o755)
    env = dict(DRBD_ENV, PATH="%s:%s" % (tmp_path / "bin", DRBD_ENV["PATH"]),
               TWONODE_ALERT_AGENT=str(agent), TWONODE_ALERT_CONFIG=str(tmp_path / "alert.json"),
               TWONODE_DRBD_ALARM=os.path.join(FILES, "twonode-drbd-alarm"),
               TWONODE_SPLIT_BRAIN_MARKS=str(tmp_path / "marks"))
    return tmp_path, env


def _run(handler, args, env):
    path = os.path.join(FILES, handler)
    with open(path) as handle:
        # A handler that ignored the test's paths would write to this machine's /var/lib/twonode.
        assert "TWONODE_SPLIT_BRAIN_MARKS" in handle.read() or handler != "twonode-drbd-split-brain"
    started = time.time()
    done = subprocess.run([path] + args, env=env, capture_output=True, text=True, timeout=30, check=False)
    return done, time.time() - started


def _wait_for(path, lines=1, timeout=10):
    """The file's text once it has `lines` lines (the writer may be midway), or None."""
    deadline = time.time() + timeout
    while time.time() < deadline and not (path.exists() and path.read_text().count("\n") >= lines):
        time.sleep(0.1)
    return path.read_text().strip() if path.exists() else None


def test_with_channels_the_agent_is_started_and_drbd_does_not_wait_for_it(node):
    tmp_path, env = node
    (tmp_path / "alert.json").write_text("{}")
    done, took = _run("twonode-drbd-alarm", ["disconnected"], env)
    assert done.returncode == 0 and took < 1.2, (done, took)
    assert _wait_for(tmp_path / "agent.called") == "--drbd disconnected r0 vm1 %s" % (tmp_path / "alert.json")


def test_without_channels_nothing_is_started_and_the_handler_still_succeeds(node):
    tmp_path, env = node
    done, dummy = _run("twonode-drbd-alarm", ["disconnected"], env)
    assert done.returncode == 0
    time.sleep(2)
    assert not (tmp_path / "agent.called").exists()


def test_an_agent_that_fails_or_is_missing_never_fails_the_handler(node):
    tmp_path, env = node
    (tmp_path / "alert.json").write_text("{}")
    (tmp_path / "twonode_alert.py").write_text("#!/bin/sh\necho 'twonode-alert: webhook: unreachable' >&2\nexit 1\n")
    assert _run("twonode-drbd-alarm", ["split-brain"], env)[0].returncode == 0
    assert _wait_for(tmp_path / "logged", lines=2) == "-t twonode-drbd-alarm\ntwonode-alert: webhook: unreachable"
    env["TWONODE_ALERT_AGENT"] = str(tmp_path / "missing")
    assert _run("twonode-drbd-alarm", ["split-brain"], env)[0].returncode == 0


def test_the_split_brain_handler_marks_the_resource_and_tells_the_channels(node):
    tmp_path, env = node
    (tmp_path / "alert.json").write_text("{}")
    done, took = _run("twonode-drbd-split-brain", [], env)
    assert done.returncode == 0 and took < 1.2, (done, took)
    assert (tmp_path / "marks" / "r0").read_text().strip().endswith("Z")
    assert "-t twonode-drbd -p daemon.crit split brain on DRBD resource r0" in (tmp_path / "logged").read_text()
    assert _wait_for(tmp_path / "agent.called") == "--drbd split-brain r0 vm1 %s" % (tmp_path / "alert.json")


def test_the_split_brain_handler_without_channels_marks_as_before(node):
    tmp_path, env = node
    assert _run("twonode-drbd-split-brain", [], env)[0].returncode == 0
    assert (tmp_path / "marks" / "r0").exists()
    time.sleep(2)
    assert not (tmp_path / "agent.called").exists()


def _render(kernel_major):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(REPO, "roles/drbd/templates")))
    environment.filters.update(("twonode.ha." + name, f) for name, f in FilterModule().filters().items())
    hosts = {"vm1": {"__drbd_self": {"hostname": "vm1", "name": "vm1", "address": "10.213.40.11"}},
             "vm2": {"__drbd_self": {"hostname": "vm2", "name": "vm2", "address": "10.213.40.12"}}}
    return environment.get_template("resource.res.j2").render(
        item={"name": "r0", "minor": 0, "port": 7789, "disk": "/dev/vdb"}, __drbd_kernel_major=kernel_major,
        ansible_play_hosts_all=["vm1", "vm2"], hostvars=hosts, ansible_managed="managed", drbd_protocol="C",
        drbd_after_sb_0pri="discard-zero-changes", drbd_after_sb_1pri="discard-secondary",
        drbd_after_sb_2pri="disconnect", drbd_resync_rate="100M")


# Pacemaker's fence-peer script as the wrapper runs it: records its arguments and answers as crm-fence-peer.sh
# does when it placed its constraint (exit 4: the peer's data is outdated).
FAKE_FENCE_PEER = """#!/bin/sh
echo "$* $DRBD_RESOURCE $DRBD_PEERS" >"{out}"
exit 4
"""


def test_drbd_84s_fence_peer_alarms_then_runs_pacemakers_script_and_gives_drbd_its_answer(node):
    tmp_path, env = node
    (tmp_path / "alert.json").write_text("{}")
    fence = tmp_path / "crm-fence-peer.sh"
    fence.write_text(FAKE_FENCE_PEER.format(out=tmp_path / "fenced"))
    fence.chmod(0o755)
    env["TWONODE_DRBD_FENCE_PEER"] = str(fence)
    done, took = _run("twonode-drbd-fence-peer", ["--timeout=90"], env)
    # DRBD reads crm-fence-peer.sh's exit code (4 outdated, 5 unreachable, 7 fenced): it must come through.
    assert done.returncode == 4 and took < 1.2, (done, took)
    assert (tmp_path / "fenced").read_text().strip() == "--timeout=90 r0 vm1"
    assert _wait_for(tmp_path / "agent.called") == "--drbd fence-peer r0 vm1 %s" % (tmp_path / "alert.json")


def test_drbd_84s_fence_peer_without_channels_only_fences(node):
    tmp_path, env = node
    fence = tmp_path / "crm-fence-peer.sh"
    fence.write_text(FAKE_FENCE_PEER.format(out=tmp_path / "fenced"))
    fence.chmod(0o755)
    env["TWONODE_DRBD_FENCE_PEER"] = str(fence)
    assert _run("twonode-drbd-fence-peer", [], env)[0].returncode == 4
    assert (tmp_path / "fenced").exists()
    time.sleep(2)
    assert not (tmp_path / "agent.called").exists()


def test_drbd_9_reports_a_lost_connection_and_drbd_84_through_its_fence_peer_handler():
    # drbdadm-84 refuses a handler it does not know, and DRBD 8.4 never calls one on a disconnect; it
    # calls fence-peer when a primary's peer is unknown.
    nine, eight = _render(9), _render(8)
    assert 'disconnected "/usr/local/sbin/twonode-drbd-alarm disconnected";' in nine
    assert 'fence-peer "/usr/local/sbin/twonode-drbd-fence-peer-9";' in nine
    assert "disconnected \"" not in eight
    assert 'fence-peer "/usr/local/sbin/twonode-drbd-fence-peer";' in eight
    for text in (nine, eight):
        assert 'split-brain "/usr/local/sbin/twonode-drbd-split-brain";' in text


# node_state of vm1 as Pacemaker 3.0.0 wrote it on the VM bed (Debian 13), read from vm2 with cibadmin while
# vm1 was alive, after its power cut, and once vm2 had fenced it (2026-12-07).
NODE_STATE_ALIVE_30 = ('<node_state id="1" uname="vm1" in_ccm="1796640869" crmd="1796640870" '
                       'crm-debug-origin="controld_update_resource_history" join="member" expected="member">')
NODE_STATE_LOST_30 = ('<node_state id="1" uname="vm1" in_ccm="0" crmd="0" crm-debug-origin="do_state_transition" '
                      'join="down" expected="member">')
NODE_STATE_FENCED_30 = ('<node_state id="1" uname="vm1" in_ccm="0" crmd="0" crm-debug-origin="send_stonith_update" '
                        'join="down" expected="down"/>')
# Pacemaker 2.1.5 (Debian 12) still writes the words.
NODE_STATE_FENCED_215 = ('<node_state id="1" uname="vm1" in_ccm="false" crmd="offline" '
                         'crm-debug-origin="send_stonith_update" join="down" expected="down"/>')
# A cibadmin that prints what it is given in $CIB and exits with $RC.
FAKE_CIBADMIN = """#!/bin/sh
echo "$*" >"{out}"
printf '%s' "$CIB"
echo "cibadmin on stderr" >&2
exit "${{RC:-0}}"
"""


def _compat(tmp_path, cib, rc=0, args=("-Ql",)):
    real = tmp_path / "cibadmin.real"
    real.write_text(FAKE_CIBADMIN.format(out=tmp_path / "args"))
    real.chmod(0o755)
    env = dict(DRBD_ENV, TWONODE_CIBADMIN=str(real), CIB=cib, RC=str(rc))
    done = subprocess.run([os.path.join(FILES, "twonode-cibadmin-compat")] + list(args), env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    return done, (tmp_path / "args").read_text().strip()


def test_crm_fence_peer_reads_pacemaker_30s_node_state_in_the_words_it_knows(tmp_path):
    cib = "<cib>\n<status>\n%s\n%s\n</status>\n</cib>" % (NODE_STATE_FENCED_30, NODE_STATE_ALIVE_30.replace('"1"', '"2"', 1))
    done, args = _compat(tmp_path, cib, args=("-Q", "-t", "1"))
    assert done.returncode == 0 and args == "-Q -t 1" and done.stderr == "cibadmin on stderr\n"
    lines = done.stdout.splitlines()
    # the fenced peer reads as crm-fence-peer.sh needs it to be "fenced": expected down, not in ccm, crmd offline
    assert lines[2] == NODE_STATE_FENCED_30.replace('in_ccm="0" crmd="0"', 'in_ccm="false" crmd="offline"')
    assert lines[3] == ('<node_state id="2" uname="vm1" in_ccm="true" crmd="online" '
                        'crm-debug-origin="controld_update_resource_history" join="member" expected="member">')
    assert lines[:2] == ["<cib>", "<status>"] and lines[4:] == ["</status>", "</cib>"]
    lost, dummy = _compat(tmp_path, NODE_STATE_LOST_30)
    assert 'in_ccm="false" crmd="offline"' in lost.stdout and 'expected="member"' in lost.stdout


def test_the_old_words_and_everything_else_pass_unchanged(tmp_path):
    for text in (NODE_STATE_FENCED_215, '<nvpair id="x" name="in_ccm" value="0"/>', ""):
        done, dummy = _compat(tmp_path, text)
        assert done.stdout == (text + "\n" if text else "")
    # cibadmin's exit code is the caller's answer (crm-fence-peer.sh retries on a timeout)
    failed, dummy = _compat(tmp_path, "", rc=107, args=("-C", "-o", "constraints", "-X", "<rsc_location/>"))
    assert failed.returncode == 107


def test_drbd_84s_fence_peer_runs_pacemakers_script_with_the_compatible_cibadmin_first(node):
    tmp_path, env = node
    fence = tmp_path / "crm-fence-peer.sh"
    fence.write_text('#!/bin/sh\necho "$PATH" >"%s"\nexit 7\n' % (tmp_path / "path"))
    fence.chmod(0o755)
    env.update(TWONODE_DRBD_FENCE_PEER=str(fence), TWONODE_PCMK_COMPAT="/usr/local/lib/twonode/pcmk-compat")
    assert _run("twonode-drbd-fence-peer", [], env)[0].returncode == 7
    assert (tmp_path / "path").read_text().strip().startswith("/usr/local/lib/twonode/pcmk-compat:")


def test_drbd_9s_fence_peer_runs_pacemakers_script_with_the_compatible_cibadmin_first(node):
    """crm-fence-peer.9.sh of drbd-utils 9.22 (Debian 12 and 13) has the 8.4 script's node_state bug (fixed
    upstream in 9.28, commit 7506d0ee): it gets the same cibadmin, and DRBD its exit code and arguments."""
    tmp_path, env = node
    fence = tmp_path / "crm-fence-peer.9.sh"
    fence.write_text('#!/bin/sh\necho "$PATH $*" >"%s"\nexit 7\n' % (tmp_path / "called"))
    fence.chmod(0o755)
    env.update(TWONODE_DRBD_FENCE_PEER=str(fence), TWONODE_PCMK_COMPAT="/usr/local/lib/twonode/pcmk-compat")
    assert _run("twonode-drbd-fence-peer-9", ["--timeout=90"], env)[0].returncode == 7
    called = (tmp_path / "called").read_text().strip()
    assert called.startswith("/usr/local/lib/twonode/pcmk-compat:") and called.endswith(" --timeout=90")
    time.sleep(0.5)
    assert not (tmp_path / "agent.called").exists()  # DRBD 9 says so with its disconnected handler
