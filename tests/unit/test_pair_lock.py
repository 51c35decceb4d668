"""One run at a time per pair: the lock's decisions and the module on a real lock file."""
import datetime
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.twonode.ha.plugins.module_utils.pair_lock import KEEP, REFUSE, TAKE, decide, parse, render
from ansible_collections.twonode.ha.plugins.modules import pair_lock

NOW = datetime.datetime(2026, 12, 3, 6, 0, 0, tzinfo=datetime.timezone.utc)
ALICE = {"id": "run-a", "who": "alice@ops1", "controller": "ops1", "pid": "4242", "playbook": "site.yml"}
BOB = {"id": "run-b", "who": "bob@ops2", "controller": "ops2", "pid": "777", "playbook": "failover.yml"}


def held_by(holder, minutes_left=30):
    return parse(render(holder, NOW - datetime.timedelta(minutes=5), 300 + minutes_left * 60))


def test_a_free_pair_is_taken_and_a_held_one_kept():
    assert decide(None, ALICE, NOW)[0] == TAKE
    assert decide(held_by(ALICE), ALICE, NOW)[0] == KEEP


def test_another_run_is_refused_with_who_and_since_when():
    verdict, words = decide(held_by(BOB), ALICE, NOW)
    assert verdict == REFUSE
    assert "bob@ops2 running failover.yml (pid 777 on ops2) since 2026-12-03T05:55:00Z, until 2026-12-03T06:30:00Z" in words
    assert "twonode_break_lock=true" in words


def test_an_expired_or_ended_or_broken_lock_is_taken():
    assert decide(held_by(BOB, minutes_left=-1), ALICE, NOW)[0] == TAKE
    assert decide(held_by(BOB), ALICE, NOW, ended=["run-b"])[0] == TAKE
    assert decide(held_by(BOB), ALICE, NOW, ended=["run-x"])[0] == REFUSE
    assert decide(held_by(BOB), ALICE, NOW, break_lock=True)[0] == TAKE


def test_an_unreadable_lock_file_is_no_lock():
    assert parse("") is None and parse("{not json") is None and parse('{"who": "x"}') is None


def run_module(monkeypatch, capsys, params):
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            pair_lock.main()
    return json.loads(capsys.readouterr().out)


def test_two_runs_on_one_lock_file(monkeypatch, capsys, tmp_path):
    path = str(tmp_path / "twonode" / "pair.lock")
    first = run_module(monkeypatch, capsys, {"holder": ALICE, "path": path})
    assert first["changed"] and first["holder"]["id"] == "run-a"
    second = run_module(monkeypatch, capsys, {"holder": BOB, "path": path})
    assert second["failed"] and "alice@ops1 running site.yml" in second["msg"]
    assert json.load(open(path))["id"] == "run-a"
    again = run_module(monkeypatch, capsys, {"holder": ALICE, "path": path})
    assert not again["changed"] and again["holder"]["since"] == first["holder"]["since"]
    # Bob cannot release Alice's lock; Alice can.
    assert not run_module(monkeypatch, capsys, {"state": "released", "holder": BOB, "path": path})["changed"]
    assert run_module(monkeypatch, capsys, {"state": "released", "holder": ALICE, "path": path})["changed"]
    taken = run_module(monkeypatch, capsys, {"holder": BOB, "path": path})
    assert taken["changed"] and taken["holder"]["who"] == "bob@ops2"
    assert run_module(monkeypatch, capsys, {"state": "query", "path": path})["holder"]["id"] == "run-b"


@pytest.mark.parametrize("left", ["", "{\"id\": \"run-a\", \"who\": \"ali", "\0\0\0\0"])
def test_a_lock_file_a_power_cut_left_unreadable_is_taken(monkeypatch, capsys, tmp_path, left):
    """Seen on the VM bed: a drill took the lock, powered the node off, and the node came back with an
    unreadable lock file that it never let go ("could not take the lock: ... keeps changing")."""
    path = tmp_path / "pair.lock"
    path.write_text(left)
    taken = run_module(monkeypatch, capsys, {"holder": ALICE, "path": str(path)})
    assert not taken.get("failed"), taken
    assert taken["changed"] and json.load(open(str(path)))["id"] == "run-a"
    assert run_module(monkeypatch, capsys, {"holder": BOB, "path": str(path)})["failed"]
