"""The bundled scenario library: every case loads, plays, passes the lint, and together they
cover the categories, seats and timing traps a trainer needs (asserted from the metadata)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from scenarios.loader import LIBRARY_DIR, bundled_scenarios, get_policy, load_scenario
from scenarios.scenario_schema import Scenario
from scoring import evaluate, judgeable
from scoring.lint import lint_scenario
from sim.deadlines import calendar_for, policy_deadlines
from sim.players import PLAYERS, play
from sim.session import Session
from tui.cli import main

LIBRARY = bundled_scenarios()
IDS = sorted(LIBRARY)
FILES = sorted(LIBRARY_DIR.glob("*.yaml"))


def scenarios(**where: object) -> list[Scenario]:
    return [s for s in LIBRARY.values()
            if all(getattr(s, key) == value for key, value in where.items())]


def risk_moment(scenario: Scenario) -> datetime | None:
    """When the scenario's script makes the child's risk immediate (from metadata alone)."""
    if scenario.immediate_risk_at_start:
        return scenario.start
    return next((e.at for e in scenario.events if e.immediate_risk and e.at), None)


# ---------------------------------------------------------------------- loading


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_file_loads_and_is_named_after_its_id(path):
    scenario = load_scenario(path)
    assert scenario.id == path.stem


def test_library_has_at_least_fifteen_scenarios_over_both_policies():
    assert len(LIBRARY) >= 15
    assert {s.policy for s in LIBRARY.values()} == {"liverpool-lscb", "bs3-early-years"}


@pytest.mark.parametrize("scenario_id", IDS)
def test_every_bundled_scenario_passes_the_lint(scenario_id):
    """Perfect scores 100 (seeds 1-3), passive is caught by `teaches`, objectives map to
    rules scoring can judge, events name roles the policy has."""
    assert lint_scenario(LIBRARY[scenario_id]) == []


@pytest.mark.parametrize("player", sorted(PLAYERS))
@pytest.mark.parametrize("scenario_id", IDS)
def test_every_scripted_player_plays_every_scenario_to_the_end(scenario_id, player):
    session = play(Session(LIBRARY[scenario_id], 2), player)
    kinds = [e.kind for e in session.timeline]
    assert session.finished and kinds[-1] == "finished" and kinds.count("finished") == 1
    evaluate(session)  # and scoring reads the result without error


# ---------------------------------------------------------------------- authoring quality


@pytest.mark.parametrize("scenario_id", IDS)
def test_objectives_teaches_and_events_reference_what_the_policy_has(scenario_id):
    scenario = LIBRARY[scenario_id]
    policy = get_policy(scenario.policy)
    rules = {r.id for r in policy.rules}
    roles = policy.role_ids()
    for objective in scenario.objectives:
        assert objective.rules and set(objective.rules) <= rules & judgeable(policy)
    assert scenario.teaches and set(scenario.teaches) <= rules
    for event in scenario.events:
        assert event.sender is None or event.sender in roles
        if event.on and event.on.startswith("contact:"):
            assert event.on.removeprefix("contact:") in roles


@pytest.mark.parametrize("scenario_id", IDS)
def test_every_scenario_is_a_complete_humane_case(scenario_id):
    scenario = LIBRARY[scenario_id]
    assert scenario.seat.title and scenario.other.title, "plain-language titles for both seats"
    assert scenario.child is not None and scenario.family
    assert scenario.debrief.strip() and scenario.worry.strip() and scenario.known
    assert len(scenario.briefing.split()) >= 40


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
PHONE = re.compile(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b")
ADDRESS = re.compile(r"\b\d+[a-z]? [A-Z][a-z]+ (Road|Street|Avenue|Lane|Close|Drive|Way)\b")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_addresses_emails_or_phone_numbers_beyond_the_policys_own(path):
    text = path.read_text(encoding="utf-8")
    scenario = load_scenario(path)
    printed = {r.phone for r in get_policy(scenario.policy).roles if r.phone}
    assert not EMAIL.search(text)
    assert not POSTCODE.search(text)
    assert not ADDRESS.search(text)
    assert set(PHONE.findall(text)) <= printed


def test_children_and_families_are_distinct_invented_people():
    names = [s.child.name for s in LIBRARY.values() if s.child]
    assert len(names) == len(set(names))
    surnames = [s.child.last_name for s in LIBRARY.values() if s.child]
    assert len(surnames) == len(set(surnames)), "no family appears in two cases"


# ---------------------------------------------------------------------- traps are honest


@pytest.mark.parametrize("scenario_id", IDS)
def test_trap_tags_agree_with_the_scenario_metadata(scenario_id):
    scenario = LIBRARY[scenario_id]
    cal = calendar_for(get_policy(scenario.policy))
    traps = set(scenario.traps)
    risk = risk_moment(scenario)
    assert ("immediate_risk" in traps) == (risk is not None)
    if "out_of_hours" in traps:
        assert risk is not None and not cal.is_office_hours(risk)
    if "friday_evening" in traps:
        assert risk is not None and risk.weekday() == 4 and risk.time() >= cal.office_end
    if "iro" in traps:
        assert scenario.plan_status in ("CPP", "CLA") and "L5" in scenario.teaches
    if "conference_dissent" in traps:
        assert scenario.category == "conference_dissent"
        assert any(e.kind == "conference_dissent" for e in scenario.events)
    if "below_threshold" in traps:
        assert scenario.category == "threshold_at_referral"
    if "in_school" in traps:
        assert scenario.seat.agency == scenario.other.agency == "school"
    if "resolve_at_stage1" in traps:
        assert scenario.fixed.agree_at in {"stage1", *(s.id for s in get_policy(
            scenario.policy).stage("stage1").steps[:1])}
    if "drift" in traps:
        assert scenario.category in ("drift_delay", "action_inaction")
    if "christmas" in traps:
        assert crosses_christmas(scenario)
    if "bank_holiday" in traps:
        assert bank_holiday_within(scenario)


def crosses_christmas(scenario: Scenario) -> bool:
    """Christmas Day falls between the start and the Stage 2 (Day 9) deadline."""
    items = policy_deadlines(get_policy(scenario.policy), scenario.start)
    stage2 = next(i.due for i in items if i.stage == "stage2" and i.step is None)
    christmas = datetime(scenario.start.year, 12, 25)
    return stage2 is not None and scenario.start <= christmas <= stage2


def bank_holiday_within(scenario: Scenario, days: int = 14) -> bool:
    """A weekday that is not a working day (a bank holiday) within two weeks of the start."""
    cal = calendar_for(get_policy(scenario.policy))
    span = (scenario.start.date() + timedelta(days=n) for n in range(days))
    return any(d.weekday() < 5 and not cal.is_working_day(d) for d in span)


@pytest.mark.parametrize("scenario_id",
                         [s.id for s in LIBRARY.values() if "immediate_risk" in s.traps])
def test_immediate_risk_cases_reach_the_risk_and_catch_the_passive_player(scenario_id):
    scenario = LIBRARY[scenario_id]
    for seed in (1, 2, 3):
        session = play(Session(scenario, seed), "perfect")
        assert session.risk_known_at == risk_moment(scenario)
        assert session.status == "referred"
    passive = evaluate(play(Session(scenario, 1), "passive"))
    assert passive.capped and any(f.severity == "critical" for f in passive.findings)


@pytest.mark.parametrize("scenario_id",
                         [s.id for s in LIBRARY.values() if "resolve_at_stage1" in s.traps])
def test_stage1_cases_are_settled_at_stage1_by_the_perfect_player(scenario_id):
    for seed in (1, 2, 3):
        session = play(Session(LIBRARY[scenario_id], seed), "perfect")
        assert session.resolved_at is not None and session.resolved_at.startswith("stage1")


# ---------------------------------------------------------------------- coverage


def test_all_nine_liverpool_categories_are_covered():
    nine = {c.id for c in get_policy("liverpool-lscb").categories}
    assert len(nine) == 9
    assert nine <= {s.category for s in scenarios(policy="liverpool-lscb")}


def test_the_seats_the_issue_names_are_covered():
    seats = {(s.policy, s.seat.agency, s.seat.role) for s in LIBRARY.values()}
    assert ("liverpool-lscb", "school", "school.dsl") in seats
    assert ("liverpool-lscb", "childrens_services", "cs.social_worker") in seats
    assert ("liverpool-lscb", "police", "police.frontline") in seats
    assert ("bs3-early-years", "early_years", "early_years.practitioner") in seats
    assert any(s.seat.role == "health.frontline" and s.seat.title == "Health visitor"
               for s in LIBRARY.values())
    assert any(s.seat.role == "school.class_teacher" and s.other.role == "school.dsl"
               and "in_school" in s.traps for s in LIBRARY.values())


def _risk_cases() -> list[tuple[Scenario, datetime]]:
    return [(s, r) for s in LIBRARY.values() if (r := risk_moment(s)) is not None]


def test_immediate_risk_in_office_hours_is_covered():
    assert any(calendar_for(get_policy(s.policy)).is_office_hours(r) for s, r in _risk_cases())


def test_immediate_risk_on_a_friday_evening_is_covered():
    assert any(r.weekday() == 4 and not calendar_for(get_policy(s.policy)).is_office_hours(r)
               and "friday_evening" in s.traps for s, r in _risk_cases())


def test_immediate_risk_on_a_bank_holiday_weekend_is_covered():
    def weekend_before_bank_holiday(s: Scenario, r: datetime) -> bool:
        cal = calendar_for(get_policy(s.policy))
        if r.weekday() < 5:
            return False
        monday = r.date() + timedelta(days=7 - r.weekday())
        return not cal.is_working_day(monday) and "bank_holiday" in s.traps

    assert any(weekend_before_bank_holiday(s, r) for s, r in _risk_cases())


def test_a_case_crossing_the_christmas_bank_holidays_is_covered():
    assert any("christmas" in s.traps and crosses_christmas(s) for s in LIBRARY.values())


@pytest.mark.parametrize("plan", ["CPP", "CLA"])
def test_cpp_and_cla_children_with_the_iro_route_are_covered(plan):
    assert any(s.plan_status == plan and "iro" in s.traps and "L5" in s.teaches
               for s in LIBRARY.values())


@pytest.mark.parametrize(("trap", "category"), [
    ("drift", "drift_delay"),
    ("conference_dissent", "conference_dissent"),
    ("below_threshold", "threshold_at_referral"),
])
def test_drift_dissent_and_front_door_refusal_are_covered(trap, category):
    assert any(trap in s.traps and s.category == category for s in LIBRARY.values())


def test_a_case_that_should_be_resolved_at_stage1_is_covered_for_each_policy():
    assert {s.policy for s in LIBRARY.values() if "resolve_at_stage1" in s.traps} == {
        "liverpool-lscb", "bs3-early-years"}


def test_escalation_cases_need_the_ladder_and_catch_the_passive_player_at_day_2():
    """Cases fixed to agree above Stage 1 teach escalation: passive misses the line manager."""
    climbing = [s for s in scenarios(policy="liverpool-lscb")
                if s.fixed.agree_at in ("stage1.line_manager", "stage2", "stage3")]
    assert len(climbing) >= 8
    for scenario in climbing:
        assert "L4" in scenario.teaches


def test_every_audience_has_scenarios():
    for audience in ("induction", "dsl_refresher", "workshop"):
        assert len([s for s in LIBRARY.values() if audience in s.audience]) >= 4


# ---------------------------------------------------------------------- the CLI


def test_scenario_list_prints_every_id_with_its_seat_and_policy(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal shows every column
    assert main(["scenario", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "LEVEL", "POLICY", "SEAT", "FOR", "TITLE"]
    for scenario_id in IDS:
        line = next(line for line in out.splitlines() if line.startswith(scenario_id + " "))
        assert LIBRARY[scenario_id].policy in line
        assert len(line) <= 200


def test_scenario_list_fits_80_columns_and_still_names_the_policy(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["scenario", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].split() == ["ID", "LEVEL", "TITLE"]
    for scenario_id in IDS:
        index = next(i for i, line in enumerate(lines) if line.startswith(scenario_id + " "))
        heading = next(line for line in reversed(lines[:index]) if line.startswith("-- policy"))
        assert LIBRARY[scenario_id].policy in heading


def test_scenario_list_json_has_the_catalogue_fields(capsys):
    assert main(["scenario", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["id"] for r in rows) == IDS
    for row in rows:
        assert {"id", "title", "seat", "policy", "difficulty", "audience"} <= set(row)
        assert row["seat"]["title"] and row["seat"]["role"]


def test_scenario_list_filters_by_policy_and_audience(capsys):
    assert main(["scenario", "list", "--json", "--policy", "bs3-early-years",
                 "--audience", "induction"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["policy"] == "bs3-early-years" and "induction" in r["audience"]
                        for r in rows)


def test_scenario_list_unknown_policy_is_a_clean_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["scenario", "list", "--policy", "nowhere"])
    assert exc.value.code == 2
    assert "unknown policy 'nowhere'" in capsys.readouterr().err


def test_scenario_show_prints_the_briefing_but_not_the_debrief(capsys):
    scenario = LIBRARY["christmas-support-school-dsl"]
    assert main(["scenario", "show", scenario.id]) == 0
    out = capsys.readouterr().out
    assert scenario.title in out and "Fri 19 Dec 2025 16:40" in out
    assert "It is 16:40 on Friday 19 December" in out
    assert "Trainer's notes" not in out and "seventeen calendar days" not in out


def test_scenario_show_trainer_adds_traps_events_and_debrief(capsys):
    assert main(["scenario", "show", "christmas-support-school-dsl", "--trainer"]) == 0
    out = capsys.readouterr().out
    assert "Traps: christmas, bank holiday" in out
    assert "Wed 24 Dec 2025 11:00" in out and "seventeen calendar days" in out


def test_scenario_show_a_yaml_path_and_json(capsys):
    path = LIBRARY_DIR / "talk-first-school-dsl.yaml"
    assert main(["scenario", "show", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "talk-first-school-dsl"


def test_scenario_show_unknown_id_is_a_clean_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["scenario", "show", "no-such-case"])
    assert exc.value.code == 1
    assert "no scenario 'no-such-case'" in capsys.readouterr().err


def test_scenario_schema_is_json_schema(capsys):
    assert main(["scenario", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"seat", "events", "fixed", "traps", "teaches"} <= set(schema["properties"])


# ---------------------------------------------------------------------- the authoring guide


def test_the_worked_example_in_the_authoring_guide_fails_then_passes_the_lint(tmp_path):
    """docs/authoring.md shows the lint catching `teaches: [L2, L6]`, then the fix."""
    guide = (LIBRARY_DIR.parent.parent / "docs" / "authoring.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```yaml\n(.*?)```", guide, re.S)
                   if "id: pe-kit-dsl" in b)
    first = tmp_path / "pe-kit-dsl.yaml"
    first.write_text(example, encoding="utf-8")
    assert lint_scenario(load_scenario(first)) == [
        "the passive player is not caught by L6 (listed in 'teaches')"]
    first.write_text(example.replace("teaches: [L2, L6]", "teaches: [L2, L4]"), encoding="utf-8")
    assert lint_scenario(load_scenario(first)) == []
