"""Checks both Molecule scenarios share: what crm_mon says, waiting, running the playbooks."""
import json
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


# The release the bed was built from (tests/bed/debian-rootfs.sh) and what it ships.
RELEASES = {"trixie": {"debian": "13", "pacemaker": "3.", "kernel": "6.12."},
            "bookworm": {"debian": "12", "pacemaker": "2.1.", "kernel": "6.1."}}


def expected_release():
    return RELEASES[os.environ.get("TWONODE_DEBIAN", "trixie")]


def check_release(host):
    """The node runs the Debian release and Pacemaker major version the bed was asked for."""
    want = expected_release()
    assert host.file("/etc/debian_version").content_string.split(".")[0] == want["debian"]
    version = host.check_output("pacemakerd --version").split()[1]
    assert version.startswith(want["pacemaker"]), version


def cluster_status(host):
    """Nodes and resources as crm_mon reports them on `host`."""
    out = host.check_output("crm_mon --one-shot --output-as=xml")
    root = ET.fromstring(out)
    nodes = {n.get("name"): n.get("online") == "true" for n in root.findall("nodes/node")}
    resources = {r.get("id"): {"active": r.get("active") == "true", "agent": r.get("resource_agent"),
                               "nodes": [n.get("name") for n in r.findall("node")]}
                 for r in root.iter("resource")}
    dc = root.find("summary/current_dc")
    return {"nodes": nodes, "resources": resources, "quorate": dc is not None and dc.get("with_quorum") == "true"}


def quorum(host):
    """corosync-quorumtool -s's flags and the quorum device's line ('' without one)."""
    out = host.check_output("corosync-quorumtool -s")
    flags = re.search(r"^Flags:\s+(.*)$", out, re.MULTILINE).group(1).split()
    device = [line.strip() for line in out.splitlines() if line.strip().startswith("0 ") and "Qdevice" in line]
    return flags, device[0] if device else ""


def votes_for_both(nodes):
    """Every node in {name: host} counts the arbitrator's vote (its device line: 0 1 Qdevice)."""
    return all("Qdevice" in quorum(h)[0] and quorum(h)[1].split()[:2] == ["0", "1"] for h in nodes.values())


def wait_until(what, check, timeout=180, interval=2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # a node that is rebooting does not answer
            last = exc
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def run_playbook(*args, inventory, playbook="site.yml"):
    """ansible-playbook (site.yml by default) against a bed's inventory, as a user would run it."""
    cmd = ["ansible-playbook", "-i", inventory, os.path.join(REPO, "playbooks", playbook)] + list(args)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, check=False)


# The drills CI runs on every bed: short; the full list is `-e drill_list=...` or the role's default.
def run_drills(cluster, drills, *args, inventory, state_dir, alarm_log=None):
    """drill.yml as a user runs it (confirmed by the cluster's name), a short list of drills, keeping the
    client's state and results.json in state_dir (on this machine, the control node). alarm_log: the bed's
    alarm receiver's log, which standby_power_off then checks for the alarm (the bed's inventory names it
    too; given here so the test does not depend on that)."""
    results = os.path.join(state_dir, "results.json")
    if os.path.exists(results):
        os.remove(results)  # a file left by an earlier run must not pass for this run's
    extra = {"drill_list": list(drills), "drill_state_dir": state_dir}
    if alarm_log is not None:
        extra["drill_alarm_log"] = alarm_log
    extra = json.dumps(extra)
    return run_playbook("-e", "drill_confirm=" + cluster, "-e", extra, *args, inventory=inventory, playbook="drill.yml")


def drill_results(state_dir):
    """results.json the drill role wrote: {drills: [{drill, passed, recovery, detail, samples, measured}],
    not_run, client_load: {probes_ok, probes_failed, acked, refused, unanswered}, passed}; None if not written."""
    path = os.path.join(state_dir, "results.json")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def drill_summary(result):
    """The summary drill.yml printed, whitespace folded (the output wraps long lines): for the log only,
    the tests judge results.json."""
    out = result.stdout
    start = out.rfind("Print the summary")
    return " ".join((out[start:start + 6000] if start >= 0 else out[-6000:]).split())


def check_drills_passed(results, drills):
    """Every drill asked for ran, in order, and passed, each with its recovery time measured."""
    assert results is not None, "results.json was not written"
    assert [d["drill"] for d in results["drills"]] == list(drills) and results["not_run"] == []
    failed = {d["drill"]: d["detail"] for d in results["drills"] if not d["passed"]}
    assert failed == {} and results["passed"] is True
    for drill in results["drills"]:
        assert isinstance(drill["recovery"], float) and drill["recovery"] >= 0, drill
    assert results["client_load"]["probes_ok"] > 0, results["client_load"]
