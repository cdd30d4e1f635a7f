"""The facilitator's end of a training day: ending asks first, and every trainee's records
(findings CSV, xAPI statement, completion record) come out in one command."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import jsonschema
import pytest

from sim import actions as A
from sim.players import PLAYERS
from tui.cli import main
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from test_exports import XAPI_SCHEMA


@pytest.fixture
def running(tmp_path):
    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, "talk-first-school-dsl", "Records group", seed=4)
    Facilitator(store, made.code, made.key).start()
    return db, store, made


def play(store, code: str, name: str, player: str) -> WorkshopParticipant:
    trainee = WorkshopParticipant.join(store, code, name)
    for action in PLAYERS[player](trainee.session):
        if trainee.session.finished:
            break
        trainee.act(action)
    if not trainee.session.finished:
        trainee.act(A.Finish())
    return trainee


def test_end_refuses_without_a_terminal_unless_yes(running, capsys, monkeypatch):
    db, store, made = running
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    base = ["workshop", "end", made.code, "--key", made.key, "--db", str(db)]
    with pytest.raises(SystemExit) as done:
        main(base)
    assert done.value.code == 2 and "--yes" in capsys.readouterr().err
    assert Facilitator(store, made.code, made.key).state == "running"
    assert main([*base, "--yes"]) == 0
    assert Facilitator(store, made.code, made.key).state == "ended"


@pytest.mark.parametrize(("answer", "state"), [("n", "running"), ("", "running"),
                                               ("y", "ended")])
def test_end_at_a_terminal_asks(running, capsys, monkeypatch, answer, state):
    db, store, made = running
    play(store, made.code, "Asha", "perfect")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or answer)
    try:
        main(["workshop", "end", made.code, "--key", made.key, "--db", str(db)])
    except SystemExit as done:
        assert done.code == 1 and state == "running"
    assert "cannot be undone" in asked[0] and "1 trainee(s)" in asked[0]
    assert Facilitator(store, made.code, made.key).state == state


def test_export_writes_every_trainees_records(running, tmp_path, capsys):
    db, store, made = running
    play(store, made.code, "Asha Patel", "perfect")
    play(store, made.code, "Sam K", "passive")
    out = tmp_path / "records"
    assert main(["workshop", "export", made.code, "--key", made.key, "--db", str(db),
                 "--out-dir", str(out)]) == 0
    listed = capsys.readouterr().out.split()
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(Path(p).name for p in listed)
    assert names == sorted([
        "trainee-1-findings.csv", "trainee-1-xapi.json", "trainee-1-completion.html",
        "trainee-2-findings.csv", "trainee-2-xapi.json", "trainee-2-completion.html",
        f"workshop-{made.code}-statements.json", f"workshop-{made.code}-trainees.csv"])
    statements = json.loads((out / f"workshop-{made.code}-statements.json").read_text())
    assert len(statements) == 2
    for statement in statements:
        jsonschema.validate(statement, XAPI_SCHEMA)
        assert "duration" in statement["result"]
    assert statements[0]["actor"]["account"]["name"] == "Asha Patel"
    assert [s["result"]["success"] for s in statements] == [True, False]
    raw = (out / "trainee-2-findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    summary = list(csv.DictReader(io.StringIO(
        (out / f"workshop-{made.code}-trainees.csv").read_text(encoding="utf-8-sig"))))
    assert [r["trainee"] for r in summary] == ["Asha Patel", "Sam K"]
    assert {"score", "passed", "minutes", "started", "finished"} <= set(summary[0])
    assert "Asha Patel" in (out / "trainee-1-completion.html").read_text(encoding="utf-8")


def test_export_anonymised(running, tmp_path, capsys):
    db, store, made = running
    play(store, made.code, "Asha Patel", "perfect")
    out = tmp_path / "anon"
    assert main(["workshop", "export", made.code, "--key", made.key, "--db", str(db),
                 "--out-dir", str(out), "--anonymous"]) == 0
    for path in out.iterdir():
        assert "Asha" not in path.read_text(encoding="utf-8-sig"), path.name
