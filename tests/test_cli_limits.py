"""Command-line limits: clear errors (never a traceback, never hours of work) for hostile
sessions, seeds, case counts and files; CSV exports never start a cell with a formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from scenarios.loader import get_scenario
from scoring import exports
from scoring.forms import record_type
from sim import actions as A
from sim.session import Session
from tui.cli import main


def run(capsys, *args: str) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("content", "words"), [
    (json.dumps({"actions": "x", "scenario": "talk-first-school-dsl", "seed": 1}),
     "'actions' must be a list"),
    (json.dumps({"actions": [1, 2], "scenario": "talk-first-school-dsl", "seed": 1}),
     "'actions' must be a list"),
    ('{"actions": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ("{\"actions\": [", "is not JSON (line 1, column"),
    (json.dumps({"session": {"actions": "x"}, "ui": None}), "'actions' must be a list"),
])
def test_report_on_a_hostile_session_is_a_clear_error(tmp_path, capsys, content, words):
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    code, err = run(capsys, "report", str(path))
    assert code == 2 and words in err and "Traceback" not in err


@pytest.mark.parametrize("seed", ["1e26", str(10**26), "-1"])
def test_workshop_new_refuses_seeds_out_of_range(tmp_path, capsys, seed):
    code, err = run(capsys, "workshop", "new", "talk-first-school-dsl", "--seed", seed,
                    "--db", str(tmp_path / "w.sqlite3"))
    assert code == 2 and "--seed" in err


def test_stress_refuses_a_trillion_cases_with_the_maximum(capsys):
    code, err = run(capsys, "stress", "liverpool-lscb", "--cases", str(10**12))
    assert code == 2 and "at most 10,000,000" in err


def test_check_refuses_dev_zero(capsys):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    code, err = run(capsys, "check", "/dev/zero")
    assert code == 1 and "too long" in err


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3",
                                     "@SUM(A1)", "\t=1"])
def test_appendix1_csv_neutralises_formulas(payload):
    session = Session(get_scenario("talk-first-school-dsl"), 1)
    log = record_type(session, "summary_log")
    assert log is not None
    session.act(A.Contact(role="cs.social_worker"))
    column = list(log.field_keys)[-1]
    session.act(A.Record(record=log.id, fields={column: payload}, text=payload))
    cells = _cells(exports.appendix1_csv(session))
    assert f"'{payload}" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)


def test_cohort_csvs_neutralise_formulas_in_names(tmp_path, monkeypatch):
    from tui.workshop.service import cohort as C
    from tui.workshop.service.facilitator import Facilitator, create
    from tui.workshop.service.participant import WorkshopParticipant
    from tui.workshop.service.store import Store

    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path))
    store = Store(tmp_path / "w.sqlite3")
    made = create(store, "talk-first-school-dsl", "w", seed=4)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    trainee = WorkshopParticipant.join(store, made.code, "=cmd|' /C calc'!A0")
    trainee.act(A.Finish())
    cohort = facilitator.cohort(names=True)
    for text in (C.rules_csv(cohort), C.findings_csv(cohort)):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in _cells(text))
