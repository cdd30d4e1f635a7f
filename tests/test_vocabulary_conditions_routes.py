"""Conditional steps and chairs, several immediate-risk routes, and a route that runs
alongside the ladder, on a policy written from scratch (#13, structure vocabulary).

tests/fixtures/policies/conditional-routes.yaml (an invented partnership, rules CR1–CR10):
the managers' review is chaired by the allocated worker's team manager, or by the duty
team manager where no social worker is allocated (CR3); a child on a child protection plan
goes to the conference chair before the senior managers (CR4); a crime or an emergency goes
to the police and the front door (CR6), any other immediate risk to the front door (CR1);
where private-law proceedings are under way the family court adviser is told, alongside the
ladder (CR8).

Dates worked by hand: the cases start Thu 2 Apr 2026 10:00. Fri 3 Apr (Good Friday) and
Mon 6 Apr (Easter Monday) are bank holidays, so under "Day 1 is the next working day" Day 1
is Tue 7 Apr and Day 2 Wed 8 Apr.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from scenarios.checks import check_policy, check_scenario, unhonoured
from scenarios.conditions import ENGINE_CASE, CaseFacts, ladder_for, route_for
from scenarios.loader import load_policy
from scenarios.policy_schema import OutsideRoute, Policy
from scenarios.scenario_schema import ScriptedEvent
from scoring import evaluate
from sim import actions as A
from sim.case import generate_scenario
from sim.deadlines import event_deadlines, policy_deadlines
from sim.emergency import emergency_deadlines
from sim.fast_race import run_block
from sim.players import play
from sim.race import run_chunk
from sim.race_model import RunParams, compile_model, prepare, raw_draws
from sim.session import Session, SessionError
from sim.verdicts import VERDICTS, session_verdicts
from tui.cli import main

FIXTURE = Path("tests/fixtures/policies/conditional-routes.yaml")
START = datetime(2026, 4, 2, 10, 0)  # Thursday before Good Friday
OWN_IDS = {f"CR{n}" for n in range(1, 11)}


def policy() -> Policy:
    return load_policy(FIXTURE)


def case(seed: int = 1, **facts: object) -> Session:
    """A generated case on the fixture, started at START, with the facts given."""
    scenario = generate_scenario(policy(), seed).model_copy(update={"start": START, **facts})
    return Session(scenario, seed, policy())


def ids(session: Session) -> list[str]:
    return [step.id for _, step in session.ladder]


# ---------------------------------------------------------------------- check, deadlines


def test_check_passes_and_says_what_the_engines_approximate(capsys):
    assert check_policy(policy(), FIXTURE.with_suffix(".txt").read_text("utf-8")) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert ": ok (policy 'conditional-routes-test')" in out
    assert ("note: stage 'plan_review' applies only where the child is on a child protection "
            "plan: played, listed and judged for each case") in out
    assert "not yet used" not in out  # every emergency route is used now
    assert len(unhonoured(policy())) == 4  # two chairs, the CP-plan stage, the police route


def test_deadlines_list_every_dated_duty_with_its_condition(capsys):
    items = {i.step or i.stage: i for i in policy_deadlines(policy(), START)}
    # Day 2 (of "within 2 working days") is Wed 8 Apr: Fri 3 and Mon 6 Apr are bank holidays.
    assert items["talk"].due == datetime(2026, 4, 8, 17, 0) and items["talk"].only_if is None
    # 3 working days after Stage 1 ends (Wed 8 Apr): Thu 9, Fri 10, Mon 13 Apr.
    for step in ("review_allocated", "review_duty"):
        assert items[step].due == datetime(2026, 4, 13, 17, 0)
    assert items["review_duty"].only_if == "only where no social worker is allocated"
    assert "(only where a social worker is allocated)" in items["review_allocated"].label
    # 5 working days after the managers' stage (Mon 13 Apr): Tue 14 … Mon 20 Apr.
    assert items["chair_review"].due == datetime(2026, 4, 20, 17, 0)
    assert items["chair_review"].only_if == ("only where the child is on a child protection "
                                             "plan")
    # 10 working days after Mon 13 Apr: Tue 14 Apr … Mon 27 Apr.
    assert items["senior_review"].due == datetime(2026, 4, 27, 17, 0)
    police, front = emergency_deadlines(policy(), START)
    assert police.due == datetime(2026, 4, 2, 10, 30)  # "at once": 30 minutes
    assert "Police (999)" in police.label and "crime or an emergency" in police.label
    assert front.due == datetime(2026, 4, 2, 11, 0) and front.only_if is None
    routes = {i.step: i for i in event_deadlines(policy(), START)}
    lado, cafcass = routes["lado"], routes["cafcass"]
    # 8 working hours from Thu 10:00: 7 on Thursday, the 8th on Tue 7 Apr 09:00–10:00.
    assert lado.due == datetime(2026, 4, 7, 10, 0)
    assert cafcass.due == datetime(2026, 4, 8, 17, 0)  # Day 2, as Stage 1
    assert "alongside the ladder" in cafcass.label and lado.only_if is None
    assert main(["deadlines", str(FIXTURE), "--start", "2026-04-02T10:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    conditional = {d["step"]: d["only_if"] for d in data["deadlines"] if "only_if" in d}
    assert set(conditional) == {"review_allocated", "review_duty", "chair_review"}
    beside = {e["duty"]: e.get("only_if") for e in data["on_events"]}
    assert beside["cafcass"] == "alongside the ladder, only where 'private_law' applies"
    assert [r["route"] for r in data["emergency"]] == ["police_emergency", "front_door_route"]


# ---------------------------------------------------------------------- the case's ladder


def test_the_case_ladder_holds_the_steps_its_facts_meet():
    assert ids(case(plan_status="CPP", allocated_social_worker=True)) == [
        "talk", "review_allocated", "chair_review", "senior_review"]
    assert ids(case(plan_status="none", allocated_social_worker=False)) == [
        "talk", "review_duty", "senior_review"]
    assert ids(case(plan_status="CLA", allocated_social_worker=True)) == [
        "talk", "review_allocated", "senior_review"]


@pytest.mark.parametrize(("level", "plan", "allocated"), [
    ("s17", "none", True), ("s47", "none", True), ("early_help", "none", False),
    ("universal", "none", False), ("early_help", "CPP", True)])
def test_allocation_not_stated_is_read_from_the_level_and_plan(level, plan, allocated):
    session = case(level_of_need=level, plan_status=plan, allocated_social_worker=None)
    step = "review_allocated" if allocated else "review_duty"
    assert step in ids(session)


def test_generated_cases_draw_allocation_reproducibly():
    cases = [generate_scenario(policy(), seed) for seed in range(1, 121)]
    assert cases[4] == generate_scenario(policy(), 5)
    for scenario in cases:
        if scenario.plan_status != "none":
            assert scenario.allocated_social_worker is True
        elif scenario.level_of_need in ("early_help", "universal"):
            assert scenario.allocated_social_worker is False
    assessed = [s.allocated_social_worker for s in cases
                if s.plan_status == "none" and s.level_of_need in ("s17", "s47")]
    assert True in assessed and False in assessed and sum(assessed) > len(assessed) / 2


def test_the_trainee_is_told_which_conditional_steps_their_case_has():
    told = [e.text for e in case(plan_status="CPP", allocated_social_worker=False).timeline
            if e.data.get("condition")]
    assert told == [
        "For this case, Managers' review includes: The duty team manager reviews the "
        "disagreement (only where no social worker is allocated).",
        "For this case, Conference chair review includes: The conference chair reviews the "
        "disagreement (only where the child is on a child protection plan)."]


def test_the_chair_of_the_review_depends_on_allocation():
    unallocated = play(case(plan_status="none", allocated_social_worker=False), "perfect")
    allocated = play(case(plan_status="none", allocated_social_worker=True), "perfect")
    for session, chair in ((unallocated, "Duty team manager"), (allocated, "Team manager")):
        [moved] = [e.text for e in session.timeline
                   if e.kind == "stage" and e.data.get("stage") == "managers"]
        assert moved.endswith(f"Their agency: {chair}.")
        assert evaluate(session).score == 100


def _stalls_at_the_third_step(session: Session):
    """Takes it up, escalates twice at once, then waits: the third step is never taken."""
    yield A.Contact(role="social_worker", channel="phone")
    yield A.Escalate()
    yield A.Escalate()
    yield A.Wait(until=datetime(2026, 5, 29, 12, 0))


def test_a_cp_plan_case_owes_the_chair_review_and_no_other_case_does():
    cpp = play(case(plan_status="CPP", allocated_social_worker=True), _stalls_at_the_third_step)
    assert cpp.step.id == "chair_review"
    escalated = next(e.at for e in cpp.timeline if e.data.get("to_step") == "chair_review")
    assert escalated.date() == START.date()
    found = {f.rule: f for f in evaluate(cpp).findings}
    # The managers' stage concluded on Thu 2 Apr; 5 working days: Tue 7 … Mon 13 Apr.
    assert found["CR4"].at == datetime(2026, 4, 13, 17, 0)
    assert found["CR4"].citation.startswith("Where the child is on a child protection plan")
    # The senior step (next in reach): 10 working days from Thu 2 Apr end Mon 20 Apr.
    assert found["CR5"].at == datetime(2026, 4, 20, 17, 0)
    plain = play(case(plan_status="none", allocated_social_worker=True),
                 _stalls_at_the_third_step)
    assert plain.step.id == "senior_review"
    rules = {f.rule for f in evaluate(plain).findings}
    assert "CR4" not in rules and "CR5" in rules
    with pytest.raises(SessionError):
        case(plan_status="none").act(A.Escalate(to_step="chair_review"))


def test_passive_is_held_to_the_fixture_ids_and_perfect_scores_100():
    for seed in range(1, 6):
        passive = evaluate(play(Session.generate(policy(), seed), "passive"))
        rules = {f.rule for f in passive.findings}
        assert rules <= OWN_IDS and {"CR2", "CR9"} <= rules, seed
        assert evaluate(play(Session.generate(policy(), seed), "perfect")).score == 100, seed
    for facts in ({"plan_status": "CPP", "allocated_social_worker": True},
                  {"plan_status": "CPP", "allocated_social_worker": False},
                  {"alongside": ["private_law"]}):
        perfect = play(case(**facts), "perfect")
        assert evaluate(perfect).score == 100, facts


# ---------------------------------------------------------------------- emergency routes


@pytest.mark.parametrize(("police", "route", "rule", "roles"), [
    (True, "police_emergency", "CR6", {"police_999", "front_door"}),
    (False, "front_door_route", "CR1", {"front_door"})])
def test_the_case_route_is_the_first_whose_condition_matches(police, route, rule, roles):
    facts = {"immediate_risk_at_start": True, "police_matter": police}
    passive = play(case(**facts), "passive")
    assert passive.emergency_route.id == route
    critical = {f.rule for f in evaluate(passive).findings if f.severity == "critical"}
    assert rule in critical and ({"CR1", "CR6"} - {rule}).isdisjoint(critical)
    perfect = play(case(**facts), "perfect")
    referred = {a.role for _, a in perfect.actions if isinstance(a, A.Refer)}
    assert referred == roles
    assert evaluate(perfect).score == 100


def test_a_police_matter_known_only_when_the_risk_arises_picks_the_route_then():
    session = case()
    assert session.emergency_route.id == "front_door_route"
    session.act(A.Inject(text="A crime is disclosed.", immediate_risk=True))
    assert session.emergency_route.id == "front_door_route"  # the injected risk: no police
    disclosure = ScriptedEvent(id="disclosure", after_minutes=30, immediate_risk=True,
                               police_matter=True, text="The child discloses an assault.")
    scenario = generate_scenario(policy(), 1).model_copy(
        update={"start": START, "events": [disclosure]})
    later = play(Session(scenario, 1, policy()), "passive")
    assert later.emergency_route.id == "police_emergency"
    [risk] = [f for f in evaluate(later).findings if f.rule == "CR6" and "Police" in f.observed]
    assert risk.at == datetime(2026, 4, 2, 11, 0)  # known 10:30, "at once" is 30 minutes


def _routes_swapped() -> dict:
    data = yaml.safe_load(FIXTURE.read_text("utf-8"))
    data["emergency_routes"].reverse()
    return data


def test_check_refuses_a_route_no_case_can_take_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "unreachable.yaml"
    text = yaml.safe_dump(_routes_swapped(), sort_keys=False)
    bad.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, row in enumerate(lines) if "id: police_emergency" in row)
    line = next(i for i, row in enumerate(lines[start:], start + 1) if "only_if" in row)
    assert main(["check", "--no-lint", str(bad)]) == 1
    out = "".join(capsys.readouterr())
    assert f"{bad}:{line}:" in out and "emergency_routes[1].only_if" in out
    assert "route 'police_emergency' can never be used" in out
    assert "front_door_route" in out


def test_check_refuses_a_case_with_no_route_a_conditional_first_step_and_a_lost_anchor():
    data = load_policy(FIXTURE).model_dump()
    data["emergency_routes"][1]["only_if"] = {"plan_status": ["CPP"]}
    problems = dict(check_policy(Policy.model_validate(data)))
    assert "no emergency route applies" in problems[("emergency_routes", 1, "only_if")]
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["steps"][0]["only_if"] = {"plan_status": ["CPP"]}
    assert ("stages", 0, "steps", 0, "only_if") in dict(check_policy(Policy.model_validate(data)))
    data = load_policy(FIXTURE).model_dump()
    data["stages"][3]["steps"][0]["deadline"]["after"] = "chair_review"
    problems = dict(check_policy(Policy.model_validate(data)))
    message = problems[("stages", 3, "steps", 0, "deadline", "after")]
    assert "counted from 'chair_review'" in message and "senior_review" in message
    data = load_policy(FIXTURE).model_dump()
    data["stages"][2]["only_if"]["police_matter"] = True
    assert ("stages", 2, "only_if", "police_matter") in dict(
        check_policy(Policy.model_validate(data)))


def test_route_choice_is_first_match():
    fixture = policy()
    assert route_for(fixture, CaseFacts(police_matter=True)).id == "police_emergency"
    assert route_for(fixture, ENGINE_CASE).id == "front_door_route"
    assert [s.id for _, s in ladder_for(fixture, ENGINE_CASE)] == [
        "talk", "review_allocated", "senior_review"]


# ---------------------------------------------------------------------- alongside routes


def test_an_alongside_route_is_owed_where_its_matter_applies_and_ends_nothing():
    passive = evaluate(play(case(alongside=["private_law"]), "passive"))
    [owed] = [f for f in passive.findings if f.rule == "CR8"]
    assert owed.at == datetime(2026, 4, 8, 17, 0)  # Day 2: Wed 8 Apr (bank holidays)
    assert owed.citation.startswith("Where private law proceedings are under way")
    assert owed.observed == "Never done: tell the family court adviser of the concern."
    session = case(alongside=["private_law"], allocated_social_worker=True)
    assert any("Alongside the escalation, at any point" in e.text for e in session.timeline)
    session.act(A.Contact(role="social_worker", channel="phone"))
    session.act(A.Escalate())
    session.act(A.UseRoute(route="cafcass", note="Proceedings under way."))
    assert session.status == "open" and session.step.id == "review_allocated"
    perfect = play(case(alongside=["private_law"]), "perfect")
    assert perfect.status == "resolved"
    assert [a.route for _, a in perfect.actions if isinstance(a, A.UseRoute)] == ["cafcass"]


def test_an_alongside_route_is_not_owed_where_the_scenario_does_not_say_so():
    passive = evaluate(play(case(), "passive"))
    assert "CR8" not in {f.rule for f in passive.findings}
    session = case()
    session.act(A.UseRoute(route="cafcass", note="Just in case."))
    session.act(A.Contact(role="social_worker", channel="phone"))
    assert session.status == "open"
    assert "CR8" not in {f.rule for f in evaluate(play(session, "perfect")).findings}


def test_an_alongside_route_takes_its_own_matter_name_and_a_scenario_must_match_it():
    with pytest.raises(ValidationError, match="needs 'alongside: true'"):
        OutsideRoute(id="x", matter="private_law", action="a", to="b", response="c",
                     rule="CR8")
    with pytest.raises(ValidationError, match="replaces the ladder"):
        OutsideRoute(id="x", matter="complaint", alongside=True, action="a", to="b",
                     response="c", rule="CR8")
    scenario = generate_scenario(policy(), 1).model_copy(update={"alongside": ["probate"]})
    problems = dict(check_scenario(scenario, policy()))
    assert "no route that runs alongside" in problems[("alongside", 0)]


# ---------------------------------------------------------------------- stress engines


def test_the_engines_run_the_engine_case_and_agree_with_the_session_on_it():
    """The engines compile the ladder of `ENGINE_CASE`; the Session on their draws plays
    each case's own ladder (a step the engines do not play is drawn from the seed). Where the
    case is the engine's case, all three reach the same verdict on every dated item."""
    fixture = policy()
    model = compile_model(fixture, "passive", RunParams(cases_per_year=0))
    assert [s.id for s in model.steps] == ["talk", "review_allocated", "senior_review"]
    assert [item.id for item in model.items] == ["talk", "review_allocated", "senior_review"]
    u, z = raw_draws(7, 0, model.n_steps)
    cases = 40
    draws = prepare(model, u, z, cases)
    slow, fast = run_chunk(model, draws), run_block(model, draws)
    compared = 0
    for i in range(cases):
        session = play(Session.from_draws(fixture, draws.case(model, i), seed=i + 1),
                       "passive")
        if [s.id for _, s in session.ladder] != [s.id for s in model.steps]:
            continue
        compared += 1
        states = {item: state for item, state, _ in
                  session_verdicts(session, now=session.finished_at)}
        mine = [states[item.id] for item in model.items]
        assert mine == [VERDICTS[c] for c in slow.item_verdict[i]] == [
            VERDICTS[c] for c in fast.item_verdict[i]], i
    assert compared >= 3
    for i in range(3):
        perfect = play(Session.from_draws(fixture, draws.case(model, i), seed=i + 1),
                       "perfect")
        assert perfect.finished


def test_the_refer_menu_offers_every_route_service():
    """Which route the facts call for is part of the test: the menu offers them all."""
    menu = {o.label for o in case().observe().options if o.group == "refer"}
    assert {"Refer to Police (999)", "Refer to Children's Front Door",
            "Refer to Emergency Duty Team"} <= menu
