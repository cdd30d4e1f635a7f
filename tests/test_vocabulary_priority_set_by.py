"""Priority tiers and deadlines set during the case, on a policy written from scratch (#13).

tests/fixtures/policies/priority-tiers.yaml (an invented partnership, rules PT1–PT5):
Stage 1's discussion is due within 1 working day for an urgent case and 5 for any other
(`by_priority`); at Stage 2 the managers agree a timescale (`set_by: parties`, typically 3
working days); at Stage 3 the IRO sets one (`set_by: iro`, typically 5). Day 1 is the
working day after the concern is raised. England's bank holidays in these weeks: Good
Friday 3 Apr and Easter Monday 6 Apr 2026.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from scenarios.case_deadlines import for_case, for_stress
from scenarios.checks import check_policy, check_scenario
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from scoring.debrief import debrief_markdown
from scoring.duty_rates import duty_rates
from sim import actions as A
from sim.case import generate_scenario
from sim.deadlines import describe_deadline, policy_deadlines
from sim.observation import deadline_views
from sim.players import PLAYERS, play
from sim.race_model import RunParams, compile_model, prepare, raw_draws
from sim.session import Session
from tui.cli import main

FIXTURE = Path("tests/fixtures/policies/priority-tiers.yaml")
THURSDAY = datetime(2026, 4, 2, 10, 0)  # the day before Good Friday


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(FIXTURE)


def case(policy: Policy, priority: str | None = None, **update: object) -> Scenario:
    """A generated case between the school's class teacher and the social worker."""
    scenario = generate_scenario(policy, 1, "school").model_dump()
    return Scenario.model_validate({**scenario, "start": THURSDAY, "priority": priority,
                                    **update})


def views(session: Session) -> dict[str, object]:
    return {v.item: v for v in deadline_views(session)}


# ------------------------------------------------------------------ check


def test_check_passes(policy, capsys):
    assert check_policy(policy) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    assert ": ok (policy 'priority-tiers-test')" in capsys.readouterr().out


BROKEN = [
    # (text replaced, by, what the refusal says)
    ("urgent: {within: 1", "urgnt: {within: 1", "by_priority.urgnt: unknown priority 'urgnt'"),
    ("set_by: iro\n", "set_by: iroo\n", "set_by: unknown role 'iroo'"),
    ("set_by: iro\n", "set_by: chair\n", "set_by: 'chair' is named at no step where"),
    ("\n            standard: {within: 5, unit: working_days, text: discussed within 5 "
     "working days}", "",
     "by_priority: no deadline for priority 'standard'"),
    ("default: true}", "default: true}\n  - {id: routine, title: Routine, default: true}",
     "priorities[2].default: only one priority can be the default"),
    ("priority_mix: {urgent: 0.4", "priority_mix: {urgnt: 0.4",
     "behaviour.priority_mix.urgnt: unknown priority 'urgnt'"),
    ("    deadline: {unit: same_working_day}\n",
     "    deadline: {unit: hours, within: 1, set_by: front_door}\n",
     "emergency_routes[0].deadline.set_by: only a ladder step's or stage's deadline"),
]


@pytest.mark.parametrize(("old", "new", "words"), BROKEN)
def test_check_refuses_with_file_and_line(tmp_path, capsys, old, new, words):
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "priority-tiers.txt").write_text(
        FIXTURE.with_suffix(".txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", "--no-lint", str(bad)]) == 1
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if words in line)
    assert line.startswith(f"{bad}:") and line.split(":")[1].isdigit()


def test_scenario_check_refuses_unknown_priority_and_set_item(policy):
    bad = case(policy, "urgnt", set_deadlines={"talk": {"within": 2, "unit": "hours"}})
    problems = dict(check_scenario(bad, policy))
    assert "unknown priority 'urgnt'" in problems[("priority",)]
    assert "'talk' has no deadline set during the case" in problems[("set_deadlines", "talk")]
    assert check_scenario(case(policy, "urgent"), policy) == []


# ------------------------------------------------------------------ deadlines


def test_deadlines_lists_each_tier_and_who_sets_the_rest(policy):
    urgent = {i.step: i for i in policy_deadlines(policy, THURSDAY, "urgent")}
    standard = {i.step: i for i in policy_deadlines(policy, THURSDAY, "standard")}
    # Urgent: Day 1 is the working day after Thursday: Fri 3 and Mon 6 Apr are bank
    # holidays, so Tue 7 Apr at close of office.
    assert urgent["talk"].due == datetime(2026, 4, 7, 17, 0)
    assert urgent["talk"].rule_text == "Urgent case: discussed within 1 working day"
    # Standard: Day 1 Tue 7 Apr, Wed 8, Thu 9, Fri 10, and Day 5 is Mon 13 Apr.
    assert standard["talk"].due == datetime(2026, 4, 13, 17, 0)
    # The default priority is standard.
    assert {i.step: i.due for i in policy_deadlines(policy, THURSDAY)}["talk"] == \
        standard["talk"].due
    for step, who, amount in (("managers_meet", "agreed by the parties", 3),
                              ("iro_review", "set by the Independent Reviewing Officer", 5)):
        assert urgent[step].due is None
        assert urgent[step].rule_text.endswith(
            f"{who} during the case (typically {amount} working days from then)")


def test_the_cli_lists_every_tier_or_the_one_asked_for(capsys):
    start = THURSDAY.isoformat(timespec="minutes")
    assert main(["deadlines", str(FIXTURE), "--start", start, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["deadlines"]
    talk = {r["priority"]: r["due"] for r in rows if r["step"] == "talk"}
    assert talk == {"urgent": "2026-04-07T17:00:00", "standard": "2026-04-13T17:00:00"}
    iro = [r for r in rows if r["step"] == "iro_review"]
    assert iro and all(r["due"] is None for r in iro)
    assert main(["deadlines", str(FIXTURE), "--start", start, "--json",
                 "--priority", "urgent"]) == 0
    rows = json.loads(capsys.readouterr().out)["deadlines"]
    assert [r["due"] for r in rows if r["step"] == "talk"] == ["2026-04-07T17:00:00"]
    with pytest.raises(SystemExit):
        main(["deadlines", str(FIXTURE), "--start", start, "--priority", "nope"])
    assert "unknown priority 'nope'" in capsys.readouterr().err


# ------------------------------------------------------------------ priority tiers


@pytest.mark.parametrize(("priority", "due"), [
    ("urgent", datetime(2026, 4, 7, 17, 0)), ("standard", datetime(2026, 4, 13, 17, 0))])
def test_the_case_priority_picks_the_deadline_passive_is_held_to(policy, priority, due):
    session = play(Session(case(policy, priority), 1, policy), "passive")
    words = {"urgent": "Urgent case: discussed within 1 working day",
             "standard": "Standard case: discussed within 5 working days"}[priority]
    assert f"{priority.title()} case" in session.timeline[0].text  # told at the start
    assert views(session)["talk"].policy_text == words  # the deadline bar says which tier
    [finding] = [f for f in evaluate(session).findings if f.rule == "PT2"]
    assert finding.at == due
    assert finding.expected == ("Practitioner discussion — concluded (resolved, or escalated "
                                f"to the next step) by {due:%a %d %b %Y %H:%M} ({words}).")
    assert words in debrief_markdown(session)
    told = [e.text for e in session.timeline if e.kind == "deadline"]
    assert any(f"due by {due:%a %d %b %H:%M} ({words})" in t for t in told)


def test_generated_cases_draw_their_priority_from_the_mix(policy):
    drawn = [generate_scenario(policy, seed).priority for seed in range(300)]
    assert drawn == [generate_scenario(policy, seed).priority for seed in range(300)]
    assert set(drawn) == {"urgent", "standard"}
    assert 0.3 < drawn.count("urgent") / 300 < 0.5  # the mix says 40%
    # The priority has a stream of its own: without a mix every other draw is unchanged.
    data = policy.model_dump()
    data["behaviour"]["priority_mix"] = {}
    plain = Policy.model_validate(data)
    for seed in range(5):
        with_mix, without = generate_scenario(policy, seed), generate_scenario(plain, seed)
        assert without.priority is None
        assert with_mix.model_copy(update={"priority": None}) == without


# ------------------------------------------------------------------ set during the case


def test_the_parties_agree_a_timescale_when_the_other_side_replies(policy):
    session = Session(case(policy, "standard"), 1, policy)
    session.act(A.Escalate())
    before = views(session)["managers_meet"]
    assert before.state == "pending" and before.due is None
    assert before.awaiting == "to be agreed with Team manager"
    # The DSL (phoned Thu 10:10, no answer) replies after 4 working hours (Thu 14:10) and
    # takes it to the team manager, who replies 4 working hours later: 2h50 left on
    # Thursday, then Good Friday and Easter Monday, so Tue 7 Apr 10:10.
    session.act(A.Contact(role="dsl", channel="phone"))
    session.act(A.Wait())
    [told] = [e for e in session.timeline if e.data.get("set_by")]
    assert told.at == datetime(2026, 4, 7, 10, 10)
    # 3 working days from Tuesday: Wed 8, Thu 9, Fri 10 Apr at close of office.
    assert told.text == ("A timescale is agreed with Team manager: Managers agree a "
                         "timescale by Fri 10 Apr 17:00 (3 working days from now).")
    after = views(session)["managers_meet"]
    assert after.due == datetime(2026, 4, 10, 17, 0) and after.state == "open"
    assert after.awaiting == ""
    play(session, "passive")
    assert views(session)["managers_meet"].state == "breached"
    [finding] = [f for f in evaluate(session).findings if f.rule == "PT3"]
    assert finding.at == datetime(2026, 4, 10, 17, 0)


def test_the_iro_sets_what_the_scenario_says(policy):
    scenario = case(policy, "standard", set_deadlines={
        "iro_review": {"within": 2, "unit": "working_days"}})
    session = Session(scenario, 1, policy)
    session.act(A.Escalate(to_step="iro_review"))
    assert views(session)["iro_review"].awaiting == \
        "to be set by Independent Reviewing Officer"
    # Phoned Thu 10:10 (no answer); the IRO replies 4 working hours later, Thu 14:10, and
    # sets 2 working days: Tue 7 Apr (after the Easter bank holidays), then Wed 8 Apr.
    session.act(A.Contact(role="iro", channel="phone"))
    session.act(A.Wait())
    [told] = [e for e in session.timeline if e.data.get("set_by")]
    assert told.at == datetime(2026, 4, 2, 14, 10)
    assert told.text.startswith("Independent Reviewing Officer sets a deadline: IRO review "
                                "by Wed 08 Apr 17:00")
    play(session, "passive")
    [finding] = [f for f in evaluate(session).findings if f.rule == "PT4"]
    assert finding.at == datetime(2026, 4, 8, 17, 0)


def test_never_set_is_never_due(policy):
    session = play(Session(case(policy, "standard"), 1, policy), "passive")
    assert views(session)["iro_review"].state == "pending"
    assert not [f for f in evaluate(session).findings if f.rule in ("PT3", "PT4")]


# ------------------------------------------------------------------ players and stress


@pytest.mark.parametrize("seed", range(1, 7))
def test_perfect_scores_100_and_passive_cites_the_fixture_ids(policy, seed):
    perfect = play(Session.generate(policy, seed), "perfect")
    assert evaluate(perfect).score == 100
    set_messages = [e for e in perfect.timeline if e.data.get("set_by")]
    assert len(set_messages) == 2  # the managers' and the IRO's, both met
    assert {views(perfect)[i].state for i in ("managers_meet", "iro_review")} == {"met"}
    passive = evaluate(play(Session.generate(policy, seed), "passive"))
    assert "PT2" in {f.rule for f in passive.findings}
    assert {f.rule for f in passive.findings} <= {"PT2", "PRACTICE5"}


def test_late_misses_the_deadlines_set_during_the_case(policy):
    assessment = evaluate(play(Session.generate(policy, 4), "late"))
    assert {"PT3", "PT4"} <= {f.rule for f in assessment.findings}


@pytest.mark.parametrize("player", sorted(PLAYERS))
def test_every_player_plays_it(capsys, player):
    assert main(["autoplay", str(FIXTURE), "--player", player, "--seed", "2", "--json"]) == 0
    assert 0 <= json.loads(capsys.readouterr().out)["score"] <= 100


def test_stress_plays_the_default_tier_and_counts_set_deadlines_from_the_step(policy):
    played = for_stress(policy)
    talk = played.stages[0].steps[0].deadline
    assert talk.within == 5 and talk.text.startswith("Standard case")
    iro = played.stages[2].steps[0].deadline
    assert iro.set_by is None and iro.after == "managers_meet"  # entered when Stage 2 ends
    model = compile_model(policy)
    assert [s.due is not None for s in model.steps] == [True, True, True, True]
    assert main(["stress", str(FIXTURE), "--cases", "300"]) == 0


def test_sessions_on_the_engines_draws_play_each_case_at_its_own_priority(policy):
    # The lead's Session-sampled stress table plays cases this way: each case draws its
    # own priority (from the mix) and its set deadlines fall when the replies come.
    model = compile_model(policy, "perfect", RunParams(cases_per_year=0))
    u, z = raw_draws(3, 0, model.n_steps)
    draws = prepare(model, u, z, 12)
    sessions = [play(Session.from_draws(policy, draws.case(model, i), seed=i), "perfect")
                for i in range(12)]
    assert {s.priority for s in sessions} == {"urgent", "standard"}
    assert all(evaluate(s).score == 100 for s in sessions)
    urgent = next(s for s in sessions if s.priority == "urgent")
    assert views(urgent)["talk"].policy_text.startswith("Urgent case")


@pytest.mark.parametrize(("player", "breached"), [("perfect", False), ("late", True)])
def test_the_every_dated_duty_table_counts_the_set_deadlines(policy, player, breached):
    rates = {r.row.item: r for r in duty_rates(policy, player, cases=12)}
    for item in ("managers_meet", "iro_review"):
        rate = rates[item]
        assert rate.owed > 0  # set in the sampled cases, so owed
        assert (rate.breached > 0) is breached
    assert {r.row.rule for r in rates.values()} >= {"PT2", "PT3", "PT4", "PT5"}


def test_the_ladder_describes_tiers_and_set_deadlines(policy):
    assert describe_deadline(policy.stages[0].steps[0].deadline) == (
        "by priority: urgent: within 1 working days / standard: within 5 working days")
    played = for_case(policy, "urgent")
    assert describe_deadline(played.stages[2].steps[0].deadline) == (
        "set by iro during the case (typically within 5 working days)")


def test_the_case_view_is_idempotent(policy):
    once = for_case(policy, "urgent", {})
    assert for_case(once, "urgent", {}).model_dump() == once.model_dump()
    assert for_case(load_policy("tests/fixtures/policies/minimal.yaml")) is not None
