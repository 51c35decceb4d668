"""Benchmark both test beds in one run and print the figures side by side.

For each bed, from fresh nodes: deploy time of site.yml, time and changed count of a second run,
cluster_status latency beside crm_mon --output-as=xml on the same node (both through Ansible, and
crm_mon alone on the node), the detection floor the corosync settings imply (token + consensus),
controlled switchover times, and hard kill -> service answering again over --kills power-offs
(drill.yml's cascade_power_off, which on a bed with DRBD also checks fsck and every acknowledged
write), per direction (which node was cut); on a bed with an arbitrator inventory, the same power-offs again
with the arbitrator added to the running pair (no fence race delay then), and --dc-kills power-offs of the
node serving beside the DC (the cascade only cuts the DC: its survivor always is the DC). The beds run one after the other
(they need both cores); each bed is left down at the end.
Each bed is measured on each Debian release in --releases (TWONODE_DEBIAN for the bed scripts), so
Debian 13 and 12 are side by side in one table.

    python3 tests/bed/benchmark.py [--beds containers,vms] [--releases trixie,bookworm] [--kills 5]
                                   [--dc-kills 4]
                                   [--switchovers 3] [--samples 10] [--baseline REF] [--reruns-only]

--baseline REF also times a second run of site.yml with the collection as it was at git REF, on the
same bed right after this tree's second run (REF's site.yml twice, the second timed; then this tree's
again, timed too), so a change to rerun speed shows before and after in one table.
"""
import argparse
import json
import os
import re
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BEDS = {
    "containers": {"script": "tests/bed/containers.sh", "inventory": "inventories/testbed/hosts.yml",
                   "arbitrator_inventory": "inventories/testbed/arbitrator.yml", "cluster": "testbed", "node": "node1",
                   "ssh": ["-i", "/var/lib/twonode-bed/containers/ssh/id_ed25519", "root@10.213.10.11"]},
    "vms": {"script": "tests/bed/vms.sh", "inventory": "inventories/vmbed/hosts.yml", "cluster": "vmbed",
            "node": "vm1", "ssh": ["-i", "/var/lib/twonode-bed/vms/ssh/id_ed25519", "-p", "2221", "root@127.0.0.1"]},
}
SSH = ["ssh", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]


def run(cmd, timeout=3600, checkout=REPO):
    """Run cmd in a checkout of the collection (this one, or the baseline's), which twonode.ha resolves to."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(checkout, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    if checkout != REPO:
        env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(checkout, ".benchmark-collections")
    start = time.time()
    result = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return result, time.time() - start


def must(cmd, what, timeout=3600, checkout=REPO):
    result, seconds = run(cmd, timeout, checkout)
    if result.returncode != 0:
        sys.exit("%s failed (rc %d):\n%s\n%s" % (what, result.returncode, result.stdout[-3000:], result.stderr[-2000:]))
    return result, seconds


def changed_count(output):
    """Sum of changed= over the PLAY RECAP lines."""
    return sum(int(n) for n in re.findall(r"\bchanged=(\d+)", output[output.rfind("PLAY RECAP"):]))


def spread(values):
    values = [float(v) for v in values]
    if not values:
        return "-"
    return "min %.1f / median %.1f / max %.1f s (n=%d)" % (
        min(values), statistics.median(values), max(values), len(values))


def drills(bed, names, count, inventories=()):
    spec = BEDS[bed]
    state = "/tmp/twonode-bench-%s" % bed
    extra = [arg for inventory in inventories for arg in ("-i", inventory)]
    must(["ansible-playbook", "-i", spec["inventory"]] + extra
         + ["playbooks/drill.yml", "-e", "drill_confirm=" + spec["cluster"],
            "-e", json.dumps({"drill_list": names, "drill_cascade_count": count, "drill_state_dir": state})],
         "drill.yml " + ",".join(names), timeout=5400)
    with open(os.path.join(state, "results.json")) as handle:
        return json.load(handle)


def latency(bed, samples):
    spec = BEDS[bed]
    ansible = ["ansible", "-i", spec["inventory"], spec["node"], "-o"]
    module, crm_mon = [], []
    for _sample in range(samples):  # interleaved, so both see the same load on the machine
        module.append(must(ansible + ["-m", "twonode.ha.cluster_status"], "cluster_status")[1])
        crm_mon.append(must(ansible + ["-m", "ansible.builtin.command", "-a", "crm_mon --one-shot --output-as=xml"],
                            "crm_mon through Ansible")[1])
    probe = ("python3 -c 'import subprocess,time,statistics;t=[]\n"
             "for i in range(%d):\n s=time.time();subprocess.run([\"crm_mon\",\"--one-shot\",\"--output-as=xml\"],"
             "capture_output=True);t.append(time.time()-s)\nprint(statistics.median(t))'" % samples)
    on_node = float(must(SSH + spec["ssh"] + [probe], "crm_mon on the node")[0].stdout.strip())
    return module, crm_mon, on_node


def detection_floor(bed):
    spec = BEDS[bed]
    out = must(SSH + spec["ssh"] + ["corosync-cmapctl -g runtime.config.totem.token; "
                                    "corosync-cmapctl -g runtime.config.totem.consensus"], "corosync-cmapctl")[0].stdout
    token, consensus = [int(line.split("=")[-1]) for line in out.strip().splitlines()]
    return token, consensus


class Baseline(object):
    """A worktree of the collection at a git ref, resolvable as twonode.ha, removed afterwards."""

    def __init__(self, ref):
        self.ref = ref
        self.path = tempfile.mkdtemp(prefix="twonode-baseline-")
        subprocess.run(["git", "worktree", "add", "--detach", self.path, ref], cwd=REPO, check=True,
                       capture_output=True)
        link = os.path.join(self.path, ".benchmark-collections", "ansible_collections", "twonode", "ha")
        os.makedirs(os.path.dirname(link))
        os.symlink(self.path, link)
        self.commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=self.path, check=True,
                                     capture_output=True, text=True).stdout.strip()

    def remove(self):
        subprocess.run(["git", "worktree", "remove", "--force", self.path], cwd=REPO, check=False, capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)


def second_runs(bed, baseline):
    """REF's site.yml twice on the bed this tree deployed (the second timed), then this tree's again."""
    spec = BEDS[bed]
    site = ["ansible-playbook", "-i", spec["inventory"], "playbooks/site.yml"]
    first = must(site, "site.yml at %s" % baseline.ref, checkout=baseline.path)[0]
    result, seconds = must(site, "site.yml at %s again" % baseline.ref, checkout=baseline.path)
    figures = {"baseline_first_changed": changed_count(first.stdout), "baseline_second_run": seconds,
               "baseline_second_run_changed": changed_count(result.stdout)}
    result, figures["second_run_again"] = must(site, "site.yml again after the baseline's")
    figures["second_run_again_changed"] = changed_count(result.stdout)
    return figures


def bench(bed, args, baseline=None):
    spec = BEDS[bed]
    figures = {}
    print("[%s] fresh nodes" % bed, flush=True)
    must(["bash", spec["script"], "down"], "bed down")
    figures["bed_up"] = must(["bash", spec["script"], "up"], "bed up")[1]
    print("[%s] deploy site.yml" % bed, flush=True)
    figures["deploy"] = must(["ansible-playbook", "-i", spec["inventory"], "playbooks/site.yml"], "site.yml")[1]
    result, figures["second_run"] = must(["ansible-playbook", "-i", spec["inventory"], "playbooks/site.yml"],
                                         "site.yml again")
    figures["second_run_changed"] = changed_count(result.stdout)
    if baseline:
        print("[%s] second runs with the collection at %s" % (bed, baseline.ref), flush=True)
        figures.update(second_runs(bed, baseline))
    if args.reruns_only:
        must(["bash", spec["script"], "down"], "bed down")
        return figures
    print("[%s] status latency" % bed, flush=True)
    figures["module"], figures["crm_mon"], figures["crm_mon_on_node"] = latency(bed, args.samples)
    figures["token"], figures["consensus"] = detection_floor(bed)
    print("[%s] %d switchovers" % (bed, args.switchovers), flush=True)
    figures["switchovers"] = drills(bed, ["cascade_switchover"], args.switchovers)["drills"][0]["samples"]
    print("[%s] %d hard kills" % (bed, args.kills), flush=True)
    kills = drills(bed, ["cascade_power_off"], args.kills)["drills"][0]
    figures["kills"], figures["kills_detail"] = kills["samples"], kills["detail"]
    figures["kills_by_victim"] = by_victim(kills)
    if spec.get("arbitrator_inventory"):
        print("[%s] the arbitrator added; %d hard kills" % (bed, args.kills), flush=True)
        must(["ansible-playbook", "-i", spec["inventory"], "-i", spec["arbitrator_inventory"], "playbooks/site.yml"],
             "site.yml with the arbitrator")
        kills = drills(bed, ["cascade_power_off"], args.kills, [spec["arbitrator_inventory"]])["drills"][0]
        figures["arbitrated_kills_by_victim"] = by_victim(kills)
        figures["arbitrated_kills_detail"] = kills["detail"]
        print("[%s] with the arbitrator, %d power-offs of the node serving beside the DC" % (bed, args.dc_kills),
              flush=True)
        figures["dc_survivor_kills_by_victim"] = dc_survivor_kills(bed, args.dc_kills, [spec["arbitrator_inventory"]])
    must(["bash", spec["script"], "down"], "bed down")
    return figures


def current_dc_and_group_node(bed):
    """(the DC, the node the first group runs on, the other node), from crm_mon on the bed's first node."""
    out = must(SSH + BEDS[bed]["ssh"] + ["crm_mon --one-shot --output-as=xml"], "crm_mon")[0].stdout
    dc = re.search(r'<current_dc [^>]*name="([^"]+)"', out)
    group = re.search(r'<group id="[^"]+"[^>]*>\s*<resource [^>]*>\s*<node name="([^"]+)"', out)
    nodes = re.findall(r'<node name="([^"]+)" id=', out[out.find("<nodes>"):out.find("</nodes>")])
    dc = dc.group(1) if dc else None
    return dc, (group.group(1) if group else None), [n for n in nodes if n != dc][0]


def dc_survivor_kills(bed, count, inventories):
    """The cascade's survivor always is the DC and serves, so each cut there is of the DC and the survivor
    is elected. Here the group is first switched to the node beside the DC, so the DC survives: its
    controller takes over without an election. {node cut: [seconds until the service answered again]}."""
    spec = BEDS[bed]
    extra = [arg for inventory in inventories for arg in ("-i", inventory)]
    found = {}
    for _kill in range(count):
        dc, serving, other = current_dc_and_group_node(bed)
        if serving == dc:
            must(["ansible-playbook", "-i", spec["inventory"]] + extra
                 + ["playbooks/failover.yml", "-e", "group=all", "-e", "to=" + other], "failover.yml to " + other)
        drill = drills(bed, ["active_power_off"], 1, inventories)["drills"][0]
        if isinstance(drill["measured"].get("service_back_after"), (int, float)):
            found.setdefault(drill["measured"]["victim"], []).append(drill["measured"]["service_back_after"])
    return found


def by_victim(drill):
    """{node cut: [seconds until the service answered again]} from cascade_power_off's measured figures."""
    found = {}
    for victim, seconds in zip(drill["measured"]["victims"], drill["measured"]["service_back_after"]):
        if isinstance(seconds, (int, float)):
            found.setdefault(victim, []).append(seconds)
    return found


def directions(kills):
    return "; ".join("%s cut: %s" % (victim, spread(seconds)) for victim, seconds in sorted(kills.items()))


def report(results, baseline=None):
    rows = [
        ("fresh nodes up (bed)", lambda f: "%.0f s" % f["bed_up"]),
        ("deploy site.yml, fresh nodes", lambda f: "%.0f s" % f["deploy"]),
        ("second run", lambda f: "%.1f s, changed=%d" % (f["second_run"], f["second_run_changed"])),
    ]
    if baseline:
        rows += [
            ("second run at %s (before)" % baseline.commit, lambda f: "%.1f s, changed=%d (its first: changed=%d)" % (
                f["baseline_second_run"], f["baseline_second_run_changed"], f["baseline_first_changed"])),
            ("second run again (after)", lambda f: "%.1f s, changed=%d" % (
                f["second_run_again"], f["second_run_again_changed"])),
        ]
    rows += [
        ("cluster_status via Ansible", lambda f: "median %.2f s" % statistics.median(f["module"])),
        ("crm_mon --output-as=xml via Ansible", lambda f: "median %.2f s" % statistics.median(f["crm_mon"])),
        ("crm_mon --output-as=xml on the node", lambda f: "median %.3f s" % f["crm_mon_on_node"]),
        ("detection floor (token + consensus)",
         lambda f: "%.1f s (%d + %d ms)" % ((f["token"] + f["consensus"]) / 1000.0, f["token"], f["consensus"])),
        ("controlled switchover", lambda f: spread(f["switchovers"])),
        ("hard kill -> service answers", lambda f: spread(f["kills"])),
        ("  by direction, no arbitrator", lambda f: directions(f["kills_by_victim"])),
        ("  by direction, with the arbitrator", lambda f: directions(f["arbitrated_kills_by_victim"])),
        ("  with the arbitrator, the DC survives", lambda f: directions(f["dc_survivor_kills_by_victim"])),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print("%-*s  %s" % (width, "figure", "  |  ".join(results)))
    for label, render in rows:
        # --reruns-only leaves the later figures out.
        if all(_has_figures(render, f) for f in results.values()):
            print("%-*s  %s" % (width, label, "  |  ".join(render(f) for f in results.values())))
    for column, figures in results.items():
        if "kills_detail" in figures:
            print("%s cascade: %s" % (column, figures["kills_detail"]))
        if "arbitrated_kills_detail" in figures:
            print("%s cascade with the arbitrator: %s" % (column, figures["arbitrated_kills_detail"]))


def _has_figures(render, figures):
    try:
        render(figures)
    except KeyError:
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beds", default="containers,vms")
    parser.add_argument("--releases", default="trixie,bookworm",
                        help="Debian releases of the nodes, each measured on every bed")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--dc-kills", type=int, default=4,
                        help="power-offs of the serving node beside the DC (beds with an arbitrator)")
    parser.add_argument("--switchovers", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--baseline", help="a git ref whose collection's second run is timed beside this tree's")
    parser.add_argument("--reruns-only", action="store_true",
                        help="stop after the deploy and the second runs (no latency, switchovers or kills)")
    args = parser.parse_args()
    baseline = Baseline(args.baseline) if args.baseline else None
    results = {}
    try:
        for bed in args.beds.split(","):
            for release in args.releases.split(","):
                os.environ["TWONODE_DEBIAN"] = release  # the bed scripts build and boot this release
                results["%s/%s" % (bed, release)] = bench(bed, args, baseline)
            with open("/tmp/twonode-benchmark.json", "w") as handle:
                json.dump(results, handle, indent=1)
    finally:
        if baseline:
            baseline.remove()
    report(results, baseline)


if __name__ == "__main__":
    main()
