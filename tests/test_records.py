"""Records of a training day: `escalate report` on the trainer's own autosave (written by
the real app, driven with Pilot), on a workshop trainee, and the files each format gives."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

from sim import actions as A
from sim.players import PLAYERS
from tui import records, store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.cli import main
from tui.pilot_driver import play_through, settle
from tui.screens.debrief import DebriefScreen

sys.path.insert(0, str(Path(__file__).parent))
from test_exports import XAPI_SCHEMA

FORMATS = ["md", "html", "csv", "appendix1", "appendix1-md", "appendix2", "appendix2-html",
           "xapi", "completion"]


@pytest.fixture(scope="module")
def autosave(tmp_path_factory) -> Path:
    """A case played to its end in the real app; the app's own autosave, as it left it."""
    import asyncio

    folder = tmp_path_factory.mktemp("data")
    patch = pytest.MonkeyPatch()
    patch.setenv(store.ENV_DIR, str(folder))

    async def play() -> None:
        app = build_app(DEFAULT_SCENARIO, 5, prompt_resume=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await play_through(pilot, "late")
            await settle(pilot)
            assert isinstance(app.screen, DebriefScreen)

    try:
        asyncio.run(play())
        saves = store.saves()
        assert len(saves) == 1 and saves[0].finished
        yield saves[0].path
    finally:
        patch.undo()


def test_the_autosave_keeps_real_time(autosave):
    wall = json.loads(autosave.read_text(encoding="utf-8"))["ui"]["wall"]
    started, ended = (datetime.fromisoformat(wall[k]) for k in ("started", "ended"))
    assert started.tzinfo is not None and started <= ended
    assert 0 < wall["seconds"] < 600


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_reads_the_apps_own_autosave_in_every_format(autosave, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    assert main(["report", str(autosave), "--format", fmt, "-o", str(out)]) == 0
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert text.strip()
    if fmt in ("csv", "appendix1"):
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert len(rows) >= 2 or fmt == "csv"
    elif fmt == "xapi":
        statement = json.loads(text)
        jsonschema.validate(statement, XAPI_SCHEMA)
        wall = json.loads(autosave.read_text(encoding="utf-8"))["ui"]["wall"]
        assert datetime.fromisoformat(statement["timestamp"]) == \
            datetime.fromisoformat(wall["ended"])
        assert statement["result"]["duration"].startswith("PT")
        assert statement["result"]["completion"] is True
    elif fmt in ("html", "appendix2-html", "completion"):
        assert text.startswith("<!DOCTYPE html>") and "<title>" in text
    assert "\ufeff" not in text or fmt in ("csv", "appendix1")


def test_the_completion_record_is_printable_and_complete(autosave, tmp_path):
    out = tmp_path / "record.html"
    assert main(["report", str(autosave), "--format", "completion", "--name", "Sam Okafor",
                 "-o", str(out)]) == 0
    import html

    page = html.unescape(out.read_text(encoding="utf-8"))
    session = records.load(autosave).session
    for text in ("Sam Okafor", session.scenario.title, session.policy.title,
                 session.policy.source.date, "Date trained", "Time spent", "Pass mark",
                 "80", "Findings", "@media print", "@page"):
        assert text in page, text
    assert ("Passed" in page) or ("Not passed" in page)
    assert "<script" not in page and "http" not in page.split("<body>")[0].replace(
        "http-equiv", "")


def test_report_latest_is_the_most_recent_autosave(autosave, monkeypatch, capsys):
    monkeypatch.setenv(store.ENV_DIR, str(autosave.parent.parent))
    assert main(["report", "--latest", "--format", "csv"]) == 0
    assert "rule,severity" in capsys.readouterr().out


def test_report_needs_exactly_one_source(capsys):
    with pytest.raises(SystemExit) as done:
        main(["report", "--format", "md"])
    assert done.value.code == 2
    assert "give one of" in capsys.readouterr().err


def test_report_of_a_workshop_trainee(tmp_path, capsys):
    from tui.workshop.service.facilitator import Facilitator, create
    from tui.workshop.service.participant import WorkshopParticipant
    from tui.workshop.service.store import Store

    db = tmp_path / "w.db"
    workshop = Store(db)
    made = create(workshop, "talk-first-school-dsl", None, 3)
    Facilitator(workshop, made.code, made.key).start()
    trainee = WorkshopParticipant.join(workshop, made.code, "Asha Patel")
    for action in PLAYERS["perfect"](trainee.session):
        if trainee.session.finished:
            break
        trainee.act(action)
    if not trainee.session.finished:
        trainee.act(A.Finish())
    base = ["report", "--workshop", made.code, "--trainee", "1", "--key", made.key,
            "--db", str(db)]
    assert main([*base, "--format", "xapi"]) == 0
    statement = json.loads(capsys.readouterr().out)
    jsonschema.validate(statement, XAPI_SCHEMA)
    assert statement["result"]["success"] is True and "duration" in statement["result"]
    assert main([*base, "--format", "completion"]) == 0
    page = capsys.readouterr().out
    assert "Asha Patel" in page and "Passed" in page
    with pytest.raises(SystemExit):
        main([*base[:-4], "--key", "wrong-key", "--db", str(db), "--format", "md"])
    assert "facilitator key" in capsys.readouterr().err


def test_a_deeply_nested_file_is_one_clean_line(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text('{"actions": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SystemExit) as done:
        main(["report", str(path)])
    assert done.value.code == 2
    assert "nested too deeply" in capsys.readouterr().err
