"""`escalate stress` reports a breach rate for every dated duty, not only stage deadlines (#13).

The rates come from generated cases played through the Session and marked by the judges
(`scoring.duty_rates`); a sub-procedure's clock is put to the test through the events the
policy models (`behaviour.events`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import DEADLINE_JUDGES, Policy
from scoring import evaluate
from scoring.duty_rates import case_states, dated_duties, duty_rates
from sim.case import generate_scenario
from sim.players import play
from sim.session import Session
from tui.cli import main

FIXTURES = sorted(Path("tests/fixtures/policies").glob("*.yaml"))
DISSENT = Path("tests/fixtures/policies/conference-dissent.yaml")
POLICIES = [*FIXTURES, Path("docs/examples/riverside-partnership.yaml"),
            Path("scenarios/policies/liverpool-lscb.yaml"),
            Path("scenarios/policies/bs3-early-years.yaml")]


def expected_items(policy: Policy) -> set[tuple[str, str]]:
    """(rule, item) of every dated thing a duty reads, listed straight from the file."""
    reading = {d.rule for d in policy.duties if d.judge in DEADLINE_JUDGES}
    out = set()
    stages = [*policy.stages, *(s for p in policy.procedures for s in p.stages)]
    for stage in stages:
        if stage.deadline is not None:
            out |= {(r, stage.id) for r in stage.rules if r in reading}
        for step in stage.steps:
            if step.deadline is not None:
                out |= {(r, step.id) for r in step.rules if r in reading}
    if policy.total_cap is not None:
        out |= {(r, "total") for r in policy.total_cap_rules if r in reading}
    for duty in policy.duties:
        if duty.judge == "emergency_route":
            out |= {(duty.rule, r.id) for r in policy.emergency_routes
                    if duty.rule in r.rules}
        if duty.judge == "action" and duty.by is not None:
            out.add((duty.rule, duty.id))
        if duty.judge == "notify":
            out |= {(duty.rule, n.id) for n in policy.notifications
                    if n.rule == duty.rule and (n.by_step or n.at_stage)}
        if duty.judge == "decider":
            out |= {(duty.rule, s.id if s.deadline else s.steps[-1].id) for s in policy.stages
                    if duty.rule in s.rules and s.decided_by and s.governing_deadline()}
        if duty.judge == "outside_route":
            out |= {(duty.rule, r.id) for r in policy.outside_routes
                    if r.rule == duty.rule and r.deadline}
    return out


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_every_dated_duty_has_a_row(path):
    policy = load_policy(path)
    rows = dated_duties(policy)
    assert {(r.rule, r.item) for r in rows} == expected_items(policy)
    assert len({(r.duty, r.item) for r in rows}) == len(rows)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_deadlines_lists_every_dated_duty(path, capsys):
    """`escalate deadlines` has a row for every dated duty: ladder items, sub-procedure items
    and the cap in its tables, the immediate-risk route, and the clocks an event starts."""
    assert main(["deadlines", str(path), "--start", "2026-11-20T10:00", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    items = {d["step"] or d["stage"] for d in listed["deadlines"]}
    items |= {d["step"] for d in listed["procedures"]}
    items |= {d["route"] for d in listed["emergency"]}
    items |= {d["duty"] for d in listed["on_events"]}
    for row in dated_duties(load_policy(path)):
        assert row.item in items, row
    assert all(d["due"] for d in listed["on_events"] if not d["label"].startswith("Notify"))


def test_passive_breaches_the_sub_procedure_the_modelled_conference_starts():
    rates = {r.row.item: r for r in duty_rates(load_policy(DISSENT), "passive", 120, seed=4)}
    dissent = rates["raise_dissent"]
    # behaviour.events.conference_held.chance is 0.5: about half the cases hold one.
    assert 40 <= dissent.owed <= 80
    assert dissent.breached == dissent.owed  # passive never raises the dissent
    assert rates["talk_step"].breached == rates["talk_step"].owed == 120
    assert rates["dissent_in_writing"].owed == 0  # its clock runs from raising it


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_perfect_breaches_no_dated_duty(path):
    rates = duty_rates(load_policy(path), "perfect", 60, seed=2)
    assert [(r.row.duty, r.row.item, r.breached) for r in rates if r.breached] == []
    assert sum(r.owed for r in rates) > 0


def test_same_seed_same_table_and_another_seed_differs():
    policy = load_policy(DISSENT)
    first = [r.to_dict() for r in duty_rates(policy, "population", 80, seed=9)]
    assert first == [r.to_dict() for r in duty_rates(policy, "population", 80, seed=9)]
    assert first != [r.to_dict() for r in duty_rates(policy, "population", 80, seed=10)]


@pytest.mark.parametrize("path", [DISSENT, Path("scenarios/policies/liverpool-lscb.yaml")],
                         ids=lambda p: p.stem)
def test_a_breached_row_is_a_finding_citing_its_rule_and_the_reverse(path):
    """The table and the debrief never disagree: a row the authority says is breached has a
    finding (or guide note) citing its rule, and every finding on a dated item is a row
    breached."""
    policy = load_policy(path)
    rows = dated_duties(policy)
    for seed in range(25):
        for player in ("late", "passive"):
            session = Session.generate(policy, seed)
            play(session, player)
            assessment = evaluate(session)
            marked = [*assessment.findings, *assessment.notes]
            states = case_states(session, rows, assessment)
            for row, (_owed, breached) in states.items():
                if breached:
                    assert any(f.rule == row.rule for f in marked), (seed, player, row)
            for finding in marked:
                hits = [r for r in rows if (r.rule, r.item) == (finding.rule, finding.item)]
                if hits:
                    assert any(states[r][1] for r in hits), (seed, player, finding)


def test_a_modelled_alongside_matter_makes_its_route_owed_in_stress():
    rates = {r.row.item: r for r in duty_rates(
        load_policy("tests/fixtures/policies/conditional-routes.yaml"), "passive", 100, 3)}
    cafcass = rates["cafcass"]  # behaviour.alongside.private_law: 0.2
    assert 8 <= cafcass.owed <= 35 and cafcass.breached == cafcass.owed


def test_an_alongside_share_needs_an_alongside_route():
    data = load_policy(DISSENT).model_dump()
    data["behaviour"]["alongside"] = {"private_law": 0.3}
    problems = check_policy(Policy.model_validate(data))
    assert [p for p, _ in problems] == [("behaviour", "alongside", "private_law")]


def test_modelled_events_come_on_their_own_stream():
    plain = load_policy(DISSENT).model_dump()
    plain["behaviour"]["events"] = {}
    without = Policy.model_validate(plain)
    with_events = load_policy(DISSENT)
    for seed in range(10):
        a, b = generate_scenario(without, seed), generate_scenario(with_events, seed)
        assert a.events == []
        assert a.model_dump(exclude={"events"}) == b.model_dump(exclude={"events"})
    drawn = [generate_scenario(with_events, s).events for s in range(200)]
    assert 80 <= sum(bool(e) for e in drawn) <= 120  # chance 0.5
    assert drawn == [generate_scenario(with_events, s).events for s in range(200)]


def test_an_event_that_starts_nothing_is_refused():
    data = load_policy(DISSENT).model_dump()
    data["behaviour"]["events"]["rain"] = {"chance": 0.1, "text": "It rains."}
    problems = check_policy(Policy.model_validate(data))
    assert [p for p, _ in problems] == [("behaviour", "events", "rain")]
    assert "starts nothing" in problems[0][1]


def test_stress_prints_and_exports_the_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["stress", str(DISSENT), "--cases", "300", "--duty-cases", "150",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    rows = {(d["rule"], d["item"]): d for d in summary["duties"]}
    assert set(rows) == expected_items(load_policy(DISSENT))
    assert all(d["cases"] == 150 for d in rows.values())
    assert rows[("CD3", "raise_dissent")]["owed"] > 0
    assert main(["stress", str(DISSENT), "--cases", "200", "--duty-cases", "0",
                 "--json"]) == 0
    assert "duties" not in json.loads(capsys.readouterr().out)
    assert main(["stress", str(DISSENT), "--cases", "200", "--duty-cases", "120"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Every dated duty: 120 generated cases" in out and "dissent-raised (CD3)" in out


def test_the_table_prints_a_policys_words_as_text_not_markup(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    data = yaml.safe_load(DISSENT.read_text(encoding="utf-8"))
    step = data["procedures"][0]["stages"][0]["steps"][0]
    step["action"] = "Raise the [bold]dissent[/bold] with the chair"
    path = tmp_path / "marked.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["stress", str(path), "--cases", "100", "--duty-cases", "40"]) == 0
    assert "raise the [bold]dissent[/bold] with the chair" in capsys.readouterr().out


def test_the_board_report_has_the_table(tmp_path, capsys):
    page = tmp_path / "report.html"
    assert main(["stress", str(DISSENT), "--cases", "200", "--duty-cases", "100",
                 "--report", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<h2>Every dated duty</h2><p>100 generated cases" in html
    assert "<td>dissent-raised (CD3)</td>" in html


def test_duty_cases_must_be_a_whole_number(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", str(DISSENT), "--cases", "10", "--duty-cases", "lots"])
    assert exit_info.value.code == 2
    assert "--duty-cases must be a whole number, got 'lots'" in capsys.readouterr().err
