"""Hard-kill the node that serves the virtual IP, N times, and time until HTTP answers again.

Runs against the container bed after `tests/deploy-testbed.sh` (it kills nodes: only there).
Prints each round and min/median/max, beside the corosync timing read from the running cluster.

    python3 tests/bed/measure-failover.py [--rounds 5] [--vip 10.213.10.100]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request

STATE = "/var/lib/twonode-bed/containers"
ADDRESSES = {"node1": "10.213.10.11", "node2": "10.213.10.12"}


def podman(*args):
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(STATE, "containers.conf"))
    return subprocess.run(["podman"] + list(args), env=env, check=True, capture_output=True, text=True).stdout


def ssh(node, command):
    return subprocess.run(
        ["ssh", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=3", "-i", os.path.join(STATE, "ssh/id_ed25519"), "root@" + ADDRESSES[node], command],
        capture_output=True, text=True, timeout=30, check=False).stdout


def served_by(vip):
    try:
        with urllib.request.urlopen("http://%s/" % vip, timeout=1) as response:
            return response.headers.get("X-Served-By")
    except OSError:
        return None


def both_online(node):
    return "Online: [ node1 node2 ]" in ssh(node, "crm_mon -1")


def wait(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    sys.exit("timed out waiting for " + what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--vip", default="10.213.10.100")
    args = parser.parse_args()

    token = ssh("node1", "corosync-cmapctl -g runtime.config.totem.token").split("=")[-1].strip()
    consensus = ssh("node1", "corosync-cmapctl -g runtime.config.totem.consensus").split("=")[-1].strip()
    print("corosync token %s ms, consensus %s ms: detection floor %s ms"
          % (token, consensus, int(token) + int(consensus)))
    times = []
    for round_ in range(1, args.rounds + 1):
        victim = served_by(args.vip)
        if victim not in ADDRESSES:
            sys.exit("the VIP does not answer; deploy the bed first")
        survivor = "node2" if victim == "node1" else "node1"
        start = time.time()
        podman("kill", "twonode-" + victim)
        wait("HTTP from " + survivor, lambda: served_by(args.vip) == survivor, 180)
        elapsed = time.time() - start
        times.append(elapsed)
        wait(victim + " to rejoin", lambda: both_online(survivor), 240)
        print("round %d: killed %s, HTTP from %s after %.1f s, %s back after %.1f s"
              % (round_, victim, survivor, elapsed, victim, time.time() - start), flush=True)
        time.sleep(5)
    print("kill -> HTTP again over %d kills: min %.1f s, median %.1f s, max %.1f s"
          % (len(times), min(times), statistics.median(times), max(times)))


if __name__ == "__main__":
    main()
