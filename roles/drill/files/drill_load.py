"""Client load for the failure drills, run on the control node, with its own record of what it saw.

    drill_load.py run --state DIR --url URL [--node JSON ...] [--probe-via-nodes]
                      [--write-mount DIR --write-file PATH]
    drill_load.py wait --state DIR --since EPOCH [--expect-outage] [--settle S] [--timeout S]
    drill_load.py window --state DIR --since EPOCH [--until EPOCH]
    drill_load.py check-writes --state DIR --found FILE --before EPOCH
    drill_load.py stop --state DIR
    drill_load.py owner

`owner` prints the process id of the ansible-playbook that runs it; `run --owner-pid` stops when
that process is gone, so an interrupted or killed playbook leaves no load on the pair.

`run` probes the service address over HTTP every --interval seconds and keeps the outages it saw
(from the first failed probe to the next answer). Probes overlap: one starts every interval even while
earlier ones wait out their --probe-timeout, so an outage ends within an interval of the service
answering again. With --write-file it also appends numbered
records to a file on the replicated filesystem, through a long-lived SSH session to each node
(--node: the node's name, host, port, user, key and SSH options, taken from the inventory):
a record counts as acknowledged only when the node reported it written and fsync'ed, and only
acknowledged records go to acked.log. After the drills every acknowledged record must be in
the file (check-writes): that is "nothing written was lost".

Without direct reach to the service address (the VM bed), --probe-via-nodes asks the nodes to
fetch the URL; whichever node answers is the client.
"""
import argparse
import base64
import json
import os
import select
import subprocess
import sys
import threading
import time
import urllib.request

# Runs on a node: answers one line per request. "W seq path mount": append seq to path (only where
# mount is mounted), fsync, "ACK seq". "P url": fetch the URL, "UP <served-by>" or "DOWN".
NODE_AGENT = r"""
import os, sys, urllib.request
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "W":
        seq, path, mount = parts[1:4]
        if not os.path.ismount(mount):
            print("NO", seq, "not-mounted", flush=True)
            continue
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (seq + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            print("ACK", seq, flush=True)
        except OSError as exc:
            print("NO", seq, exc.errno, flush=True)
    elif parts[0] == "P":
        try:
            with urllib.request.urlopen(parts[1], timeout=2) as response:
                response.read()
                print("UP", response.headers.get("X-Served-By") or "-", flush=True)
        except Exception:
            print("DOWN", flush=True)
"""


class Timeline:
    """Outages of something probed again and again: [start, end] pairs, end None while it lasts."""

    def __init__(self):
        self.outages = []
        self.seen_up = False

    def record(self, ok, started, finished):
        """One probe that started and finished at these times. Nothing counts before the first answer."""
        down = bool(self.outages) and self.outages[-1][1] is None
        if ok:
            self.seen_up = True
            if down:
                self.outages[-1][1] = finished
        elif self.seen_up and not down:
            self.outages.append([started, None])


class InStartOrder:
    """Results of probes that overlap (a new one starts every interval, whatever the ones before are
    doing), handed to a Timeline in the order the probes started: a probe that waits out its timeout
    must not end an outage that a later, quicker probe already saw end."""

    def __init__(self, timeline):
        self.timeline = timeline
        self.next_seq = 0
        self.done = {}

    def record(self, seq, ok, started, finished):
        """Keep probe `seq`'s result; record it and every later one already back, in sequence. Returns how
        many were recorded."""
        self.done[seq] = (ok, started, finished)
        recorded = 0
        while self.next_seq in self.done:
            self.timeline.record(*self.done.pop(self.next_seq))
            self.next_seq += 1
            recorded += 1
        return recorded


def window(outages, since, until):
    """The outages that overlap [since, until]: the longest, when the last ended, and whether one lasts."""
    overlapping = [o for o in outages if o[0] <= until and (o[1] is None or o[1] >= since)]
    longest = max([min(o[1] if o[1] is not None else until, until) - max(o[0], since)
                   for o in overlapping] or [0.0])
    ongoing = any(o[1] is None for o in overlapping)
    ended = [o[1] for o in overlapping if o[1] is not None]
    return {
        "outages": len(overlapping),
        "longest_outage": round(longest, 2),
        "ongoing": ongoing,
        # from `since` (the moment the drill broke something) to the answer after the last outage
        "recovered_after": None if ongoing or not ended else round(max(ended) - since, 2),
    }


def missing_writes(acked_lines, found_lines, before):
    """Acknowledged record numbers (acked before `before`) that are not in the file found on the node."""
    found = {line.strip() for line in found_lines if line.strip()}
    acked = []
    for line in acked_lines:
        fields = line.split()
        if len(fields) >= 2 and float(fields[1]) < before:
            acked.append(fields[0])
    return acked, [seq for seq in acked if seq not in found]


# The client's own: never prompt, and notice a dead node within seconds (the outages' resolution). SSH
# keeps the first value it gets for an option, so these win over the inventory's; host keys, proxies and
# the like come from the inventory (ansible_ssh_common_args, ansible_ssh_extra_args) as for Ansible.
CLIENT_SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-o", "ServerAliveInterval=2",
                      "-o", "ServerAliveCountMax=2"]


def ssh_command(node, remote):
    """The ssh command line that runs `remote` on a node ({name, host, port, user, key, options})."""
    command = ["ssh", "-q", "-T"] + CLIENT_SSH_OPTIONS
    if node.get("port"):
        command += ["-p", str(node["port"])]
    if node.get("user"):
        command += ["-l", node["user"]]
    if node.get("key"):
        command += ["-i", node["key"]]
    return command + list(node.get("options") or []) + [node["host"], remote]


class NodeSession:
    """One SSH session to a node running NODE_AGENT; reopened when it breaks."""

    def __init__(self, node):
        self.name = node["name"]
        agent = base64.b64encode(NODE_AGENT.encode()).decode()
        self.command = ssh_command(node, "python3 -u -c \"import base64; exec(base64.b64decode('%s'))\"" % agent)
        self.proc = None
        self.fresh = False
        self.next_try = 0.0

    def request(self, line, timeout):
        """The agent's answer to one line, or None (the node does not answer; the session is closed)."""
        if self.proc is None:
            if time.time() < self.next_try:
                return None
            self.next_try = time.time() + 2
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, bufsize=1)
            self.fresh = True
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            # a new session first has to connect and start Python: slow on an emulated node
            ready = select.select([self.proc.stdout], [], [], timeout + (15 if self.fresh else 0))[0]
            answer = self.proc.stdout.readline() if ready else ""
        except (OSError, ValueError):
            answer = ""
        if not answer:
            self.close()
            return None
        self.fresh = False
        return answer.split()

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Load:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.http = Timeline()
        self.writes = Timeline()
        self.counts = {"probes_ok": 0, "probes_failed": 0, "acked": 0, "refused": 0, "unanswered": 0}
        self.served_by = None
        nodes = [json.loads(item) for item in args.node]
        # separate sessions for writes and probes: a write stuck on a frozen device must not stall probing
        self.nodes = [NodeSession(node) for node in nodes]
        self.probe_nodes = [NodeSession(node) for node in nodes]
        self.acked = open(os.path.join(args.state, "acked.log"), "a", buffering=1)

    def probe_direct(self):
        try:
            with urllib.request.urlopen(self.args.url, timeout=self.args.probe_timeout) as response:
                response.read()
                return True, response.headers.get("X-Served-By")
        except Exception:  # any failure to answer is an outage
            return False, None

    def probe_via_nodes(self):
        for session in sorted(self.probe_nodes, key=lambda s: s.proc is None):
            answer = session.request("P " + self.args.url, self.args.probe_timeout + 2)
            if answer is not None:
                return answer[0] == "UP", answer[1] if len(answer) > 1 else None
        return False, None

    def probe_loop(self):
        if not self.args.probe_via_nodes:
            return self.overlapping_probe_loop()
        while not self.stop.is_set():
            started = time.time()
            ok, served_by = self.probe_via_nodes()
            self.probed(ok, served_by, started, time.time())
            self.stop.wait(max(0.0, self.args.interval - (time.time() - started)))

    def probed(self, ok, served_by, started, finished, ordered=None, seq=None):
        with self.lock:
            if ordered is None:
                self.http.record(ok, started, finished)
            else:
                ordered.record(seq, ok, started, finished)
            self.counts["probes_ok" if ok else "probes_failed"] += 1
            if ok:
                self.served_by = served_by

    def overlapping_probe_loop(self):
        """A probe starts every interval even while earlier ones wait out their timeout (a SYN sent to the
        dead node's MAC is lost; the answer comes to the next one sent after the address moved), so an
        outage ends within an interval of the service answering again, not a probe timeout later."""
        ordered = InStartOrder(self.http)
        seq = 0
        while not self.stop.is_set():
            started = time.time()

            def probe(seq=seq, started=started):
                ok, served_by = self.probe_direct()
                self.probed(ok, served_by, started, time.time(), ordered, seq)
            threading.Thread(target=probe, daemon=True).start()
            seq += 1
            self.stop.wait(max(0.0, self.args.interval - (time.time() - started)))

    def write_loop(self):
        seq, current = 0, 0
        while not self.stop.is_set():
            started = time.time()
            seq += 1
            session = self.nodes[current]
            answer = session.request("W %d %s %s" % (seq, self.args.write_file, self.args.write_mount),
                                     self.args.write_timeout)
            ok = answer is not None and answer[0] == "ACK"
            finished = time.time()
            with self.lock:
                self.writes.record(ok, started, finished)
                if ok:
                    self.counts["acked"] += 1
                    self.acked.write("%d %.3f %s\n" % (seq, finished, session.name))
                else:
                    self.counts["refused" if answer else "unanswered"] += 1
            if not ok:  # the other node may be the one with the filesystem now
                current = (current + 1) % len(self.nodes)
            self.stop.wait(max(0.0, self.args.interval - (time.time() - started)))

    def save(self, final=False):
        with self.lock:
            state = {"updated": time.time(), "stopped": final, "http": self.http.outages,
                     "writes": self.writes.outages, "counts": dict(self.counts), "served_by": self.served_by,
                     "writing": bool(self.args.write_file)}
        path = os.path.join(self.args.state, "status.json")
        with open(path + ".tmp", "w") as handle:
            json.dump(state, handle)
        os.replace(path + ".tmp", path)

    def run(self):
        threads = [threading.Thread(target=self.probe_loop, daemon=True)]
        if self.args.write_file:
            threads.append(threading.Thread(target=self.write_loop, daemon=True))
        for thread in threads:
            thread.start()
        stop_file = os.path.join(self.args.state, "stop")
        deadline = time.time() + self.args.max_runtime
        while not os.path.exists(stop_file) and time.time() < deadline and process_alive(self.args.owner_pid):
            self.save()
            time.sleep(0.5)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=self.args.write_timeout + 20)
        for session in self.nodes + self.probe_nodes:
            session.close()
        self.save(final=True)


def process_alive(pid):
    """Whether process `pid` still runs (None: nothing to watch, always true)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def playbook_ancestor(pid, parent_of, command_of):
    """The outermost of the unbroken chain of ansible-playbook processes above `pid` (Ansible's
    workers are forks of the playbook's process and carry its command line), or None."""
    found = None
    pid = parent_of(pid)
    while pid and pid > 1:
        if not any(os.path.basename(arg) == "ansible-playbook" for arg in command_of(pid)[:3]):
            if found is not None:
                break
        else:
            found = pid
        pid = parent_of(pid)
    return found


def proc_parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            # the command name in parentheses may hold spaces: the fields after its closing one
            return int(handle.read().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def proc_command(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return [arg.decode(errors="replace") for arg in handle.read().split(b"\0") if arg]
    except OSError:
        return []


def read_state(directory):
    with open(os.path.join(directory, "status.json")) as handle:
        return json.load(handle)


def started_state(directory, since):
    """The client's state once it runs: None while there is no state yet, or only one an earlier run
    left stopped before `since` (the client starts in the background and replaces it when it starts)."""
    if not os.path.exists(os.path.join(directory, "status.json")):
        return None
    state = read_state(directory)
    return None if state["stopped"] and state["updated"] < since else state


def cmd_run(args):
    os.makedirs(args.state, exist_ok=True)
    for name in ("stop", "status.json", "acked.log"):
        if os.path.exists(os.path.join(args.state, name)):
            os.remove(os.path.join(args.state, name))
    Load(args).run()


def cmd_wait(args):
    """Until the service answered for --settle s after --since (after an outage, with --expect-outage)."""
    deadline = time.time() + args.timeout
    while started_state(args.state, args.since) is None:
        if time.time() > deadline:
            print(json.dumps({"timed_out": True, "why": "the client load never started"}))
            return
        time.sleep(0.5)
    while True:
        state = read_state(args.state)
        now = state["updated"]
        result = window(state["http"], args.since, now)
        last_end = max([o[1] for o in state["http"] if o[1] is not None] or [args.since])
        settled = not result["ongoing"] and now - max(last_end, args.since) >= args.settle
        if settled and (result["outages"] or not args.expect_outage):
            break
        if time.time() > deadline or state["stopped"]:
            result["timed_out"] = True
            break
        time.sleep(0.5)
    result.update(served_by=state["served_by"], waited=round(time.time() - args.since, 2))
    print(json.dumps(result))


def cmd_window(args):
    state = read_state(args.state)
    until = args.until or state["updated"]
    result = {"http": window(state["http"], args.since, until), "writes": window(state["writes"], args.since, until),
              "counts": state["counts"], "served_by": state["served_by"]}
    print(json.dumps(result))


def cmd_check_writes(args):
    with open(os.path.join(args.state, "acked.log")) as handle:
        acked_lines = handle.readlines()
    with open(args.found) as handle:
        found_lines = handle.readlines()
    acked, missing = missing_writes(acked_lines, found_lines, args.before)
    print(json.dumps({"acked": len(acked), "missing": len(missing), "first_missing": missing[:20]}))


def cmd_stop(args):
    open(os.path.join(args.state, "stop"), "w").close()
    deadline = time.time() + 60
    while time.time() < deadline:
        if read_state(args.state)["stopped"]:
            break
        time.sleep(0.5)
    print(json.dumps(read_state(args.state)["counts"]))


def cmd_owner(args):
    print(json.dumps(playbook_ancestor(os.getpid(), proc_parent, proc_command)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--url", required=True)
    run.add_argument("--node", action="append", default=[],
                     help='JSON: {"name", "host", "port", "user", "key", "options": [ssh arguments]}')
    run.add_argument("--probe-via-nodes", action="store_true")
    run.add_argument("--write-mount")
    run.add_argument("--write-file")
    run.add_argument("--interval", type=float, default=0.25)
    run.add_argument("--probe-timeout", type=float, default=1.0)
    run.add_argument("--write-timeout", type=float, default=10.0)
    run.add_argument("--max-runtime", type=float, default=4 * 3600)
    run.add_argument("--owner-pid", type=int, help="stop when this process (the playbook) is gone")
    wait = sub.add_parser("wait")
    wait.add_argument("--since", type=float, required=True)
    wait.add_argument("--expect-outage", action="store_true")
    wait.add_argument("--settle", type=float, default=3.0)
    wait.add_argument("--timeout", type=float, default=300.0)
    win = sub.add_parser("window")
    win.add_argument("--since", type=float, required=True)
    win.add_argument("--until", type=float)
    check = sub.add_parser("check-writes")
    check.add_argument("--found", required=True)
    check.add_argument("--before", type=float, required=True)
    sub.add_parser("stop")
    for command in sub.choices.values():
        command.add_argument("--state", required=True)
    sub.add_parser("owner")
    args = parser.parse_args(argv)
    if args.command == "run":
        if (args.probe_via_nodes or args.write_file) and not args.node:
            parser.error("--probe-via-nodes and --write-file need --node")
        if bool(args.write_file) != bool(args.write_mount):
            parser.error("--write-file and --write-mount go together")
    {"run": cmd_run, "wait": cmd_wait, "window": cmd_window, "check-writes": cmd_check_writes,
     "stop": cmd_stop, "owner": cmd_owner}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
