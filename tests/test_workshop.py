"""Workshops without a terminal: storage, credentials, the clock, injects, rejoining,
results access, the cohort debrief and the `escalate workshop` command line."""

from __future__ import annotations

import ast
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from scoring import evaluate
from sim import actions as A
from sim.players import PLAYERS
from tui.cli import main
from tui.workshop.service import codes
from tui.workshop.service import cohort as C
from tui.workshop.service.errors import (
    AccessDenied,
    BadName,
    NameTaken,
    NotActing,
    UnknownCode,
    WorkshopError,
    WrongKey,
)
from tui.workshop.service.facilitator import Facilitator, create, open_facilitator
from tui.workshop.service.participant import WorkshopParticipant, own_results
from tui.workshop.service.store import DB_ENV, MIGRATIONS, Store

SCENARIO = "front-door-early-help-health-visitor"
BRUISE = "The child arrives with a new bruise"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(DB_ENV, raising=False)
    return tmp_path / "data"


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "workshop.sqlite3"


@pytest.fixture
def running(db):
    store = Store(db)
    made = create(store, SCENARIO, "Test group", seed=5)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    return store, made, facilitator


def stored_actions(store: Store, trainee_id: int) -> list[sqlite3.Row]:
    with store.read() as con:
        return con.execute("SELECT * FROM actions WHERE trainee = ? ORDER BY seq",
                           (trainee_id,)).fetchall()


# ---------------------------------------------------------------------- storage and keys

def test_store_is_wal_with_versioned_schema_and_append_only_log(db, running):
    store, made, _ = running
    assert store.journal_mode == "wal"
    assert store.schema_version == len(MIGRATIONS)
    Store(db).close()  # reopening migrates nothing and keeps the data
    assert Store(db).schema_version == len(MIGRATIONS)
    p = WorkshopParticipant.join(store, made.code, "Asha")
    p.act(A.Contact(role="cs.social_worker"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as con:
        con.execute("DELETE FROM actions")
    assert len(stored_actions(store, p.trainee_id)) == 1


def test_a_newer_or_foreign_database_is_refused_clearly(tmp_path, db):
    store = Store(db)
    with store.write() as con:
        con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    store.close()
    with pytest.raises(WorkshopError, match="newer version"):
        Store(db)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkshopError, match="not a usable workshop database"):
        Store(junk)


def test_codes_are_short_unambiguous_and_keys_are_stored_only_hashed(db):
    store = Store(db)
    made = create(store, SCENARIO)
    assert len(made.code) == 6 and set(made.code) <= set(codes.ALPHABET)
    assert not set("01OIL") & set(codes.ALPHABET)
    assert len(codes.normalise(made.key)) == 16
    store.close()
    raw = b"".join(p.read_bytes() for p in db.parent.glob("workshop.sqlite3*"))
    assert codes.normalise(made.key).encode() not in raw
    assert made.key.encode() not in raw
    # forgiving input: lower case, spaces and dashes
    assert codes.matches(made.key.lower().replace("-", " "), codes.digest(made.key))


def test_wrong_join_code_or_facilitator_key_is_refused_clearly(running):
    store, made, _ = running
    with pytest.raises(UnknownCode, match="no workshop has the join code 'ZZZ999'"):
        WorkshopParticipant.join(store, "ZZZ999", "Asha")
    with pytest.raises(WrongKey, match=f"not the facilitator key of workshop {made.code}"):
        Facilitator(store, made.code, "AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(WrongKey):
        open_facilitator(store, made.code, "")
    with pytest.raises(UnknownCode):
        Facilitator(store, "ZZZ999", made.key)
    # the join code is not a facilitator key either
    with pytest.raises(WrongKey):
        Facilitator(store, made.code, made.code)


def test_names_are_checked_and_a_taken_name_needs_its_rejoin_key(running):
    store, made, _ = running
    with pytest.raises(BadName):
        WorkshopParticipant.join(store, made.code, "   ")
    with pytest.raises(BadName):
        WorkshopParticipant.join(store, made.code, "x" * 41)
    first = WorkshopParticipant.join(store, made.code, "Asha  Khan")
    assert first.name == "Asha Khan" and first.is_new
    for token in (None, "WRONG-KEY1"):
        with pytest.raises(NameTaken, match="rejoin key"):
            WorkshopParticipant.join(store, made.code, "asha khan", token)


# ---------------------------------------------------------------------- the clock

def test_actions_are_refused_until_started_while_paused_and_after_the_end(db):
    store = Store(db)
    made = create(store, SCENARIO, seed=2)
    facilitator = Facilitator(store, made.code, made.key)
    p = WorkshopParticipant.join(store, made.code, "Asha")
    with pytest.raises(NotActing, match="not started"):
        p.act(A.Contact(role="cs.social_worker"))
    facilitator.start()
    p.act(A.Contact(role="cs.social_worker"))
    facilitator.pause()
    with pytest.raises(NotActing, match="paused"):
        p.act(A.Wait(hours=2))
    facilitator.resume()
    facilitator.end()
    with pytest.raises(NotActing, match="ended"):
        p.act(A.Wait(hours=2))
    with pytest.raises(WorkshopError, match="it is ended"):
        facilitator.resume()
    with pytest.raises(NotActing, match="has ended"):
        WorkshopParticipant.join(store, made.code, "Late comer")
    # the refused actions were never stored; ending finished the case where it stood
    kinds = [json.loads(r["action_json"])["kind"] for r in stored_actions(store, p.trainee_id)]
    assert kinds == ["contact", "finish"]


def test_pause_freezes_simulated_time_and_a_later_inject_lands_at_the_right_time(running):
    store, made, facilitator = running
    p = WorkshopParticipant.join(store, made.code, "Asha")
    p.act(A.Contact(role="cs.social_worker"))
    p.act(A.Wait(hours=3))
    before, count = p.session.now, len(p.session.actions)
    facilitator.pause()
    for action in (A.Wait(hours=24), A.Wait(), A.Contact(role="cs.team_manager")):
        with pytest.raises(NotActing):
            p.act(action)
    assert p.session.now == before and len(p.session.actions) == count
    assert len(stored_actions(store, p.trainee_id)) == count
    facilitator.resume()
    seq = facilitator.inject(BRUISE, immediate_risk=True)
    events = p.act(A.Wait(hours=1))
    assert events[0].kind == "inject" and events[0].text == BRUISE
    assert events[0].at == before  # the time the trainee had reached, not an hour later
    assert p.session.risk_known_at == before
    with store.read() as con:
        delivery = con.execute("SELECT * FROM deliveries WHERE trainee = ?",
                               (p.trainee_id,)).fetchone()
    assert (delivery["inject_seq"], delivery["action_seq"]) == (seq, count)
    assert delivery["at"] == before.isoformat()


def test_an_inject_fired_while_paused_arrives_by_poll_without_moving_time(running):
    store, made, facilitator = running
    p = WorkshopParticipant.join(store, made.code, "Asha")
    p.act(A.Contact(role="cs.social_worker"))
    frozen = p.session.now
    facilitator.pause()
    facilitator.inject("A parent phones, angry")
    status = p.poll()
    assert status.state == "paused"
    assert [e.text for e in status.delivered] == ["A parent phones, angry"]
    assert p.session.now == frozen
    assert p.poll().delivered == []  # exactly once, however often it polls
    facilitator.resume()
    p.act(A.Wait(hours=1))
    texts = [e.text for e in p.session.timeline if e.kind == "inject"]
    assert texts == ["A parent phones, angry"]


def test_injects_need_text_and_a_started_unended_workshop(db):
    store = Store(db)
    made = create(store, SCENARIO)
    facilitator = Facilitator(store, made.code, made.key)
    with pytest.raises(WorkshopError, match="start the exercise first"):
        facilitator.inject(BRUISE)
    facilitator.start()
    with pytest.raises(WorkshopError, match="needs some text"):
        facilitator.inject("   ")
    facilitator.end()
    with pytest.raises(WorkshopError, match="ended"):
        facilitator.inject(BRUISE)


def test_an_action_the_session_refuses_keeps_the_injects_delivered_before_it(running):
    store, made, facilitator = running
    p = WorkshopParticipant.join(store, made.code, "Asha")
    facilitator.inject("A colleague mentions missed appointments")
    from sim.session import SessionError

    with pytest.raises(SessionError, match="not in the future"):
        p.act(A.Wait(until=p.session.start))
    rows = stored_actions(store, p.trainee_id)
    assert [r["seq"] for r in rows] == [0] and '"inject"' in rows[0]["action_json"]
    assert len(p.session.actions) == 1
    with pytest.raises(NotActing, match="from the facilitator"):
        p.act(A.Inject(text="trainees cannot inject"))


# ---------------------------------------------------------------------- rejoin and windows

def test_rejoining_replays_the_same_case_and_carries_on(running):
    store, made, facilitator = running
    p = WorkshopParticipant.join(store, made.code, "Asha")
    p.act(A.Contact(role="cs.social_worker"))
    facilitator.inject(BRUISE, immediate_risk=True)
    p.act(A.Wait(hours=2))
    saved = p.session.to_dict()
    again = WorkshopParticipant.join(Store(store.path), made.code, "ASHA", p.token)
    assert not again.is_new and again.trainee_id == p.trainee_id
    assert again.session.to_dict() == saved
    again.act(A.Refer(role="cs.front_door"))
    assert len(stored_actions(store, p.trainee_id)) == len(saved["actions"]) + 1


def test_a_second_window_of_the_same_trainee_is_caught_up_not_overwritten(running):
    store, made, facilitator = running
    one = WorkshopParticipant.join(store, made.code, "Asha")
    one.act(A.Contact(role="cs.social_worker"))
    two = WorkshopParticipant.join(Store(store.path), made.code, "Asha", one.token)
    two.act(A.Wait(hours=4))
    facilitator.inject(BRUISE)
    with pytest.raises(NotActing, match="another window"):
        one.act(A.Wait(hours=1))
    assert one.session.to_dict()["actions"] == two.session.to_dict()["actions"]
    one.act(A.Wait(hours=1))  # now in step: delivers the inject once, then waits
    two_status = two.poll()
    assert two_status.caught_up and two_status.delivered == []
    with store.read() as con:
        assert con.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 1


# ---------------------------------------------------------------------- results access

def test_a_trainee_reads_only_their_own_results(running):
    store, made, facilitator = running
    asha = WorkshopParticipant.join(store, made.code, "Asha")
    ben = WorkshopParticipant.join(store, made.code, "Ben")
    for p, player in ((asha, "perfect"), (ben, "passive")):
        for action in PLAYERS[player](p.session):
            if p.session.finished:
                break
            p.act(action)
    assert asha.results().score == evaluate(asha.session).score
    assert own_results(store, made.code, "Ben", ben.token).score == evaluate(ben.session).score
    with pytest.raises(AccessDenied, match="a trainee sees only their own"):
        own_results(store, made.code, "Ben", asha.token)
    with pytest.raises(AccessDenied):
        own_results(store, made.code, "Ben", None)
    with pytest.raises(AccessDenied):
        own_results(store, made.code, "Ben", made.key)  # results by name need the trainee
    name, _, assessment = facilitator.results("Trainee 2")
    assert name == "Ben" and assessment.score == evaluate(ben.session).score
    assert facilitator.results("asha")[0] == "Asha"


# ---------------------------------------------------------------------- progress and debrief

def play_group(store: Store, code: str, players: list[str]) -> list[WorkshopParticipant]:
    group = []
    for number, player in enumerate(players, start=1):
        p = WorkshopParticipant.join(store, code, f"Person {number}")
        for action in PLAYERS[player](p.session):
            if p.session.finished:
                break
            p.act(action)
        group.append(p)
    return group


def test_progress_rows_show_where_each_trainee_is(running):
    store, made, facilitator = running
    p = WorkshopParticipant.join(store, made.code, "Asha")
    assert facilitator.progress()[0].actions == 0
    p.act(A.Contact(role="cs.social_worker"))
    facilitator.inject(BRUISE, immediate_risk=True)
    p.act(A.Wait(hours=1))
    row = facilitator.progress()[0]
    assert (row.label, row.name, row.actions, row.injects) == ("Trainee 1", "Asha", 3, 1)
    assert row.now == p.session.now and row.stage.startswith("Stage 1")
    assert row.immediate_risk and row.score == evaluate(p.session).score


def test_cohort_debrief_counts_by_rule_and_is_anonymous_unless_asked(running):
    store, made, facilitator = running
    group = play_group(store, made.code, ["perfect", "passive", "skipper", "late", "passive"])
    cohort = facilitator.cohort()
    for rule in cohort.rules:
        having = [p for p in group if rule.rule in evaluate(p.session).rule_ids]
        total = sum(f.rule == rule.rule for p in group for f in evaluate(p.session).findings)
        assert (rule.trainees, rule.findings) == (len(having), total), rule.rule
    assert sum(r.trainees for r in cohort.rules) > 0
    page = C.html(cohort)
    assert "Findings by rule" in page and "Trainee 5" in page
    assert all(f"Person {n}" not in page for n in range(1, 6))
    named = C.html(facilitator.cohort(names=True))
    assert "Person 2" in named and "do not project" in named
    rows = list(csv.DictReader(io.StringIO(C.rules_csv(cohort))))
    assert {r["rule"]: int(r["trainees"]) for r in rows} == {
        r.rule: r.trainees for r in cohort.rules}
    findings = list(csv.DictReader(io.StringIO(C.findings_csv(cohort))))
    assert len(findings) == sum(len(evaluate(p.session).findings) for p in group)
    assert all(row["trainee"].startswith("Trainee ") for row in findings)
    assert any(d.what.startswith("Contacted") for d in cohort.decisions)


# ---------------------------------------------------------------------- command line

def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_creates_runs_and_debriefs_a_workshop(capsys, db, tmp_path):
    code, out, _ = run_cli(capsys, "workshop", "new", SCENARIO, "--name", "Tuesday group",
                           "--seed", "3", "--db", str(db))
    assert code == 0 and "join code" in out
    join = next(line.split()[2] for line in out.splitlines() if "join code" in line)
    key = next(line.split()[2] for line in out.splitlines() if "your key" in line)
    store = Store(db)
    with pytest.raises(NotActing):
        WorkshopParticipant.join(store, join, "Asha").act(A.Wait(hours=1))
    assert run_cli(capsys, "workshop", "start", join, "--key", key, "--db", str(db))[0] == 0
    play_group(store, join, ["perfect", "passive"])
    code, out, _ = run_cli(capsys, "workshop", "inject", join, "--key", key, "--db", str(db),
                           BRUISE, "--immediate-risk")
    assert code == 0 and "inject 1" in out
    code, out, _ = run_cli(capsys, "workshop", "status", join, "--key", key, "--db", str(db))
    assert "Asha" in out and "Person 1" in out and "3 trainee(s)" in out
    code, out, _ = run_cli(capsys, "workshop", "debrief", join, "--key", key, "--db", str(db),
                           "--out-dir", str(tmp_path / "out"))
    assert code == 0 and len(list((tmp_path / "out").iterdir())) == 3
    code, out, _ = run_cli(capsys, "workshop", "debrief", join, "--key", key, "--db", str(db),
                           "--format", "csv")
    assert out.startswith("\ufeffrule,title")  # CSV not to a terminal: BOM for Excel
    code, out, _ = run_cli(capsys, "workshop", "results", join, "2", "--key", key,
                           "--db", str(db))
    assert code == 0 and out.startswith("Person 1: score 100/100")
    code, out, _ = run_cli(capsys, "workshop", "list", "--db", str(db))
    assert join not in out and key not in out  # join codes only when asked
    code, out, _ = run_cli(capsys, "workshop", "list", "--codes", "--db", str(db))
    assert join in out and key not in out


def test_cli_refuses_wrong_code_key_and_other_peoples_results(capsys, db):
    store = Store(db)
    made = create(store, SCENARIO)
    Facilitator(store, made.code, made.key).start()
    asha = WorkshopParticipant.join(store, made.code, "Asha")
    ben = WorkshopParticipant.join(store, made.code, "Ben")
    cases = [
        (("workshop", "pause", made.code, "--key", "WRONG"), "not the facilitator key"),
        (("workshop", "status", "QQQQQQ", "--key", made.key), "no workshop has the join code"),
        (("workshop", "results", made.code, "Ben", "--rejoin-key", asha.token),
         "a trainee sees only their own"),
        (("workshop", "debrief", made.code), "not the facilitator key"),
        (("play", "--join", "QQQQQQ", "--name", "Asha"), "no workshop has the join code"),
    ]
    for argv, message in cases:
        code, _, err = run_cli(capsys, *argv, *(["--db", str(db)] if argv[0] != "play" else []))
        if argv[0] == "play":
            assert code != 0
        assert code == 2 and message in err and "Traceback" not in err, argv
    code, out, _ = run_cli(capsys, "workshop", "results", made.code, "ben", "--rejoin-key",
                           ben.token, "--db", str(db))
    assert code == 0 and out.startswith("ben: score")


def test_the_workshop_core_never_imports_textual():
    core = ("store", "codes", "errors", "sessions", "participant", "facilitator", "cohort",
            "injects")
    folder = Path(__file__).parent.parent / "tui" / "workshop" / "service"
    for name in core:
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert not any(m.startswith(("textual", "tui.app", "tui.screens", "tui.workshop.dash",
                                     "tui.workshop.trainee")) for m in imported), name
