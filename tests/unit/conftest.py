# Makes this checkout importable as ansible_collections.twonode.ha, as ansible loads it, and
# gives the module tests a fake node (the commands a module runs and their captured output).
import http.server
import json
import os
import sys
import tempfile
import threading

import pytest
from ansible.module_utils.testing import patch_module_args

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_root = os.path.join(tempfile.gettempdir(), "twonode-unit-collections")
_link = os.path.join(_root, "ansible_collections", "twonode", "ha")
# Another checkout's link (an earlier run from elsewhere) would test that checkout's code.
if os.path.islink(_link) and os.readlink(_link) != REPO:
    os.unlink(_link)
if not os.path.islink(_link):
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    os.symlink(REPO, _link)
if _root not in sys.path:
    sys.path.insert(0, _root)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


@pytest.fixture
def fixture_text():
    def read(name):
        with open(os.path.join(FIXTURES, name)) as handle:
            return handle.read()
    return read


class FakeNode:
    """Stands in for AnsibleModule.run_command: each command the module may run, with its answer.

    answers: {"argv joined by spaces": answer}. "*" in a key matches one argument that differs from
    run to run (a temporary file). An answer is (rc, stdout, stderr), a list of them given in turn
    (the last one repeats), or a function of the argv that returns one. Any other command fails the
    test. calls: the keys of the commands run, in order; stdin: {key: [data passed on stdin]}.
    """

    def __init__(self, answers):
        self.answers = dict((tuple(key.split(" ")), answer) for key, answer in answers.items())
        self.calls = []
        self.stdin = {}
        self._given = {}

    def _match(self, args):
        for key in self.answers:
            if len(key) == len(args) and all(want in ("*", arg) for want, arg in zip(key, args)):
                return key
        raise AssertionError("unexpected command %r" % (args,))

    def run_command(self, args, data=None, **kwargs):
        args = [str(arg) for arg in args]
        key = self._match(args)
        name = " ".join(key)
        self.calls.append(name)
        if data is not None:
            self.stdin.setdefault(name, []).append(data)
        answer = self.answers[key]
        if callable(answer):
            return answer(args)
        if isinstance(answer, list):
            count = self._given.get(key, 0)
            self._given[key] = count + 1
            return answer[min(count, len(answer) - 1)]
        return answer


class FakeClock:
    """time.time and time.sleep for a module's waits: sleeping only moves this clock on."""

    def __init__(self, now=1795320000.0):
        self.now = now
        self.slept = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def fake_node():
    return FakeNode


@pytest.fixture
def clock():
    return FakeClock()


def run_main(monkeypatch, capsys, module, run_command, params, missing=()):
    """Runs module.main() with params, its commands answered by run_command (the tools it looks for are
    found in /usr/sbin, but those named in missing); returns the JSON result it printed."""
    monkeypatch.setattr(module.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(module.AnsibleModule, "get_bin_path",
                        lambda self, name, *a, **k: None if name in missing else "/usr/sbin/" + name)
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def run_module(monkeypatch, capsys):
    """run_main against a FakeNode."""
    def run(module, node, params, missing=()):
        return run_main(monkeypatch, capsys, module, node.run_command, params, missing)
    return run


@pytest.fixture
def proc_drbd(monkeypatch, tmp_path, fixture_text):
    """Points pacemaker_cli.Node's DRBD read at a captured /proc/drbd, or at none (fixture None: the DRBD
    kernel module is not loaded), and at an empty split-brain mark directory."""
    from ansible_collections.twonode.ha.plugins.module_utils.pacemaker_cli import Node

    def use(fixture=None):
        path = tmp_path / "proc_drbd"
        if fixture:
            path.write_text(fixture_text(fixture))
        monkeypatch.setattr(Node, "proc_drbd", str(path))
        monkeypatch.setattr(Node, "split_brain_dir", str(tmp_path / "split-brain-marks"))
    return use


class _Receiver(http.server.BaseHTTPRequestHandler):
    answer = 200
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook on loopback for the alert agent's tests: (server, handler); handler.received lists
    {path, headers, body} of each POST, handler.answer is the status it gives."""
    _Receiver.received = []
    _Receiver.answer = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Receiver
    server.shutdown()
    server.server_close()
