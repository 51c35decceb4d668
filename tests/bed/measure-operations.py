"""Controlled switchover round trips and cluster_status latency on the container bed.

Runs after `tests/deploy-testbed.sh`, with tests/env.sh's environment (ansible on PATH):

    source tests/env.sh && python3 tests/bed/measure-operations.py [--round-trips 5] [--samples 5]

Switchover: twonode.ha.failover moves the group to the other node and back, N times; the module's
own elapsed time (move requested -> every member running on the target, constraint removed).
Latency: wall time of `ansible node1 -m twonode.ha.cluster_status` beside
`ansible node1 -m command -a 'crm_mon --one-shot --output-as=xml'` (same connection and Python
start on the node), and of crm_mon alone on the node over SSH.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, "inventories/testbed/hosts.yml")
KEY = "/var/lib/twonode-bed/containers/ssh/id_ed25519"


def ansible(module, args=""):
    cmd = ["ansible", "-i", INVENTORY, "node1", "-o", "-m", module] + (["-a", args] if args else [])
    start = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    elapsed = time.time() - start
    # one-line output: "node1 | CHANGED => {...}" (the command module prints its stdout instead)
    return elapsed, json.loads(out.split("=>", 1)[1]) if "=>" in out else None


def on_node(command):
    start = time.time()
    subprocess.run(["ssh", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-i", KEY,
                    "root@10.213.10.11", command], check=True, capture_output=True)
    return time.time() - start


def summary(values):
    return "min %.2f s, median %.2f s, max %.2f s" % (min(values), statistics.median(values), max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=5)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()

    moves = []
    for unused in range(args.round_trips * 2):
        result = ansible("twonode.ha.failover", "group=services")[1]
        move = result["moved"][0]
        moves.append(result["elapsed"])
        print("switchover %s -> %s: %.1f s" % (move["from"], move["to"], result["elapsed"]), flush=True)
    if moves:
        print("controlled switchover over %d moves (%d round trips): %s"
              % (len(moves), args.round_trips, summary(moves)))

    status, crm_mon, ssh_crm_mon = [], [], []
    for unused in range(args.samples):
        status.append(ansible("twonode.ha.cluster_status")[0])
        crm_mon.append(ansible("ansible.builtin.command", "crm_mon --one-shot --output-as=xml")[0])
        ssh_crm_mon.append(on_node("crm_mon --one-shot --output-as=xml >/dev/null"))
    print("cluster_status through ansible:          " + summary(status))
    print("crm_mon --output-as=xml through ansible: " + summary(crm_mon))
    print("crm_mon --output-as=xml over plain ssh:  " + summary(ssh_crm_mon))


if __name__ == "__main__":
    main()
