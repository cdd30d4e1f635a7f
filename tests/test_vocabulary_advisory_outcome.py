"""Advisory limits and outcome-dependent duties, on a policy written from scratch (#13).

tests/fixtures/policies/advisory-outcome.yaml gives Local resolution "about 5 working
days" only as a guide, owes a letter within 2 working days only when the case is resolved
at the managers' stage, and times the first talk at 2 working days or 48 hours,
whichever is sooner.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from scoring.debrief import debrief_html, debrief_markdown
from sim import actions as A
from sim.deadlines import policy_deadlines
from sim.observation import deadline_views
from sim.players import perfect, play
from sim.session import Session
from tui.cli import main

FIXTURE = Path("tests/fixtures/policies/advisory-outcome.yaml")
GUIDE_WORDS = "Local resolution should take about 5 working days"


def policy(**behaviour: object) -> Policy:
    data = load_policy(FIXTURE).model_dump()
    data["behaviour"].update(behaviour)
    return Policy.model_validate(data)


def without_letter(session: Session):
    return (a for a in perfect(session) if not isinstance(a, A.ConfirmOutcome))


def test_check_passes(capsys):
    assert check_policy(load_policy(FIXTURE)) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    assert ": ok (policy 'advisory-outcome-test')" in capsys.readouterr().out


def test_deadlines_lists_the_guide_as_a_guide():
    start = datetime(2026, 11, 20, 10, 0)  # a Friday
    items = {(i.stage, i.step): i for i in policy_deadlines(load_policy(FIXTURE), start)}
    guide = items[("local", None)]
    assert guide.advisory and guide.rule_text == f"{GUIDE_WORDS} (guide)"
    # Day 1 is Mon 23 Nov (the working day after), Day 5 Fri 27 Nov at close of office.
    assert guide.due == datetime(2026, 11, 27, 17, 0)
    talk = items[("local", "talk")]
    assert not talk.advisory and "(guide)" not in talk.rule_text
    # 48 clock hours (Sun 22 Nov 10:00) come before 2 working days (Tue 24 Nov 17:00).
    assert talk.due == datetime(2026, 11, 22, 10, 0)


def test_passive_is_held_to_the_fixture_ids_but_not_to_the_guide():
    session = play(Session.generate(load_policy(FIXTURE), 1), "passive")
    assessment = evaluate(session)
    assert {f.rule for f in assessment.findings} >= {"G2"}
    assert not [f for f in assessment.findings if GUIDE_WORDS in f.expected]
    [note] = assessment.notes
    assert note.rule == "G2" and GUIDE_WORDS in note.expected and note.penalty == 0
    assert "As a guide, not a deadline" in note.expected
    told = [e.text for e in session.timeline if e.kind == "deadline"]
    assert ("Guide time passed: Local resolution was expected by Mon 23 Nov 17:00, "
            f"{GUIDE_WORDS} (as a guide, not a deadline).") in told
    assert not [t for t in told if t.startswith("Deadline passed") and GUIDE_WORDS in t]
    # The bar shows the guide as passed, not missed; the debrief reports it as a note.
    views = {v.item: v.state for v in deadline_views(session)}
    assert views["local"] == "guide" and views["talk"] == "breached"
    debrief = debrief_markdown(session, assessment)
    assert "## Guides passed (not penalised)" in debrief
    assert debrief.index(GUIDE_WORDS, debrief.index("## Guides passed")) > 0
    assert "<h2>Guides passed (not penalised)</h2>" in debrief_html(session, assessment)
    assert assessment.to_dict()["notes"][0]["rule"] == "G2"


def test_the_guide_as_a_deadline_would_cost_points():
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["deadline"]["advisory"] = False
    strict = Policy.model_validate(data)
    guided = evaluate(play(Session.generate(load_policy(FIXTURE), 1), "passive"))
    judged = evaluate(play(Session.generate(strict, 1), "passive"))
    assert [f for f in judged.findings if GUIDE_WORDS in f.expected]
    assert judged.score < guided.score


def test_perfect_scores_100_and_sends_the_letter():
    session = play(Session.generate(load_policy(FIXTURE), 1), "perfect")
    assert session.status == "resolved" and session.resolved_at == "review"
    assert evaluate(session).score == 100
    assert any(isinstance(a, A.ConfirmOutcome) for _, a in session.actions)


def test_resolved_at_stage_2_without_the_letter_is_a_finding_due_across_a_weekend():
    session = play(Session.generate(load_policy(FIXTURE), 1), without_letter)
    resolved = next(e.at for e in session.timeline if e.kind == "resolved")
    assert resolved == datetime(2026, 11, 20, 14, 13)  # a Friday afternoon
    [letter] = [f for f in evaluate(session).findings if f.rule == "G3"]
    # Two working days after Friday: Day 1 Mon 23 Nov, Day 2 Tue 24 Nov, close of office.
    assert letter.at == datetime(2026, 11, 24, 17, 0)
    assert "No letter confirming the outcome was sent." in letter.observed
    assert "Due by Tue 24 Nov 2026 17:00." in letter.expected


def test_resolved_at_stage_1_owes_no_letter():
    session = play(Session.generate(policy(resolve_chance={"local": 1.0}), 1), without_letter)
    assert session.status == "resolved" and session.resolved_at == "talk"
    assessment = evaluate(session)
    assert not [f for f in assessment.findings if f.rule == "G3"]
    assert assessment.score == 100
    # The model answer sends no letter either: the policy does not ask for one.
    model = play(Session.generate(policy(resolve_chance={"local": 1.0}), 1), "perfect")
    assert not any(isinstance(a, A.ConfirmOutcome) for _, a in model.actions)


def test_check_refuses_an_unknown_stage_with_file_and_line(tmp_path, capsys):
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "if_resolved_at: [managers]", "if_resolved_at: [panel]")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "if_resolved_at" in row)
    assert main(["check", "--no-lint", str(bad)]) == 1
    err = capsys.readouterr()
    out = err.out + err.err
    assert f"{bad}:{line}:" in out and "duties[2].if_resolved_at[0]" in out
    assert "panel" in out


@pytest.mark.parametrize("where", ["emergency_routes", "earliest_of"])
def test_check_refuses_a_guide_where_it_means_nothing(where):
    data = load_policy(FIXTURE).model_dump()
    if where == "emergency_routes":
        data["emergency_routes"][0]["deadline"]["advisory"] = True
    else:
        data["stages"][0]["steps"][0]["deadline"]["earliest_of"][0]["advisory"] = True
    problems = check_policy(Policy.model_validate(data))
    assert [p for p, _ in problems if p[-1] == "advisory" and where in p]


def test_a_guide_needs_no_deadline_duty_but_a_deadline_does():
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["rules"] = []  # nothing reads Local resolution's own limit now
    assert check_policy(Policy.model_validate(data)) == []
    data["stages"][0]["deadline"]["advisory"] = False
    assert [p for p, _ in check_policy(Policy.model_validate(data))] == [
        ("stages", 0, "deadline")]


def test_stress_labels_the_guide_breach_rate_as_a_guide():
    from tui.commands.stress import metric_label

    fixture = load_policy(FIXTURE)
    assert metric_label(fixture, "breach.local", "share") == (
        "Stage 1 guide time passed (a guide, not penalised)")
    assert metric_label(fixture, "breach.managers", "share") == "Stage 2 deadline missed"


def test_a_letter_after_a_guiding_by_is_a_note_not_a_late_finding():
    def letter_late(session: Session):
        for action in without_letter(session):
            yield action
            if session.status == "resolved":
                break
        yield A.Wait(until=datetime(2026, 11, 25, 10, 0))  # past Tue 24 Nov 17:00
        yield A.ConfirmOutcome(note="Letter sent.")

    data = load_policy(FIXTURE).model_dump()
    late = play(Session.generate(Policy.model_validate(data), 1), letter_late)
    assert [f.severity for f in evaluate(late).findings if f.rule == "G3"] == ["minor"]
    data["duties"][2]["by"]["advisory"] = True
    guided = play(Session.generate(Policy.model_validate(data), 1), letter_late)
    assessment = evaluate(guided)
    assert not [f for f in assessment.findings if f.rule == "G3"]
    [note] = [n for n in assessment.notes if n.rule == "G3"]
    assert "after Tue 24 Nov 2026 17:00" in note.observed
