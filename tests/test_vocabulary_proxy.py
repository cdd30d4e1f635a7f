"""A stage carried out on the raiser's behalf, and each deadline written once (#13).

tests/fixtures/policies/proxy-stage.yaml (invented): at Stage 2 the practitioner's
safeguarding lead raises the disagreement with the team manager for them; at Stage 3 the
partnership business manager convenes the panel for the referrer. Replies there are fixed
(4 working hours; the DSL's reply factor 2, so 8), phones never answered, no absences, so
every date below can be worked out by hand.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from sim import actions as A
from sim.deadlines import policy_deadlines
from sim.observation import deadline_views
from sim.players import play
from sim.race_model import compile_model
from sim.session import Session
from tui.cli import main
from tui.ladder_table import ladder_table

FIXTURE = Path("tests/fixtures/policies/proxy-stage.yaml")
# Seed 1 seats a form tutor (school) against a social worker, raised Mon 16 Nov 2026 12:39.
START = datetime(2026, 11, 16, 12, 39)


def case(seed: int = 1) -> Session:
    session = Session.generate(load_policy(FIXTURE), seed)
    assert (session.scenario.seat.role, session.start) == ("teacher", START)
    return session


def test_check_passes(capsys):
    assert check_policy(load_policy(FIXTURE)) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert ": ok (policy 'proxy-stage-test')" in out and "note:" not in out


def test_deadlines_lists_every_dated_duty_and_who_carries_it(capsys):
    items = {(i.stage, i.step): i for i in policy_deadlines(load_policy(FIXTURE), START)}
    # Day 1 is Tue 17 Nov (the working day after); 2 working days: Wed 18 Nov 17:00.
    assert items[("talk", None)].due == datetime(2026, 11, 18, 17, 0)
    # 3 working days after Wed 18: Thu 19, Fri 20, Mon 23 Nov.
    assert items[("leads", None)].due == datetime(2026, 11, 23, 17, 0)
    # 10 working days after Mon 23: Tue 24 … Fri 27 (4), Mon 30 … Fri 4 Dec (9), Mon 7 Dec.
    assert items[("panel", None)].due == datetime(2026, 12, 7, 17, 0)
    assert "carried out by Designated safeguarding lead on your behalf" in (
        items[("leads", None)].label)
    # Each deadline is written once: the stages' steps have no rows of their own.
    assert [k for k in items if k[1] is not None] == []
    assert main(["deadlines", str(FIXTURE), "--start", "2026-11-16T12:39"]) == 0
    out = capsys.readouterr().out
    assert "Mon 07 Dec 2026 17:00" in out and "on your behalf" in out


def test_ladder_table_says_who_carries_the_step():
    from rich.console import Console

    console = Console(width=400, record=True)
    console.print(ladder_table(load_policy(FIXTURE)))
    text = " ".join(console.export_text().replace("│", " ").split())
    assert "carried out by Partnership business manager on your behalf" in text


def test_passive_gets_findings_citing_the_fixture_ids():
    assessment = evaluate(play(case(), "passive"))
    assert {f.rule for f in assessment.findings} >= {"PX2"}
    assert assessment.score < 100


def test_perfect_asks_each_proxy_and_scores_100():
    session = play(case(), "perfect")
    assert evaluate(session).score == 100
    asked = [a.role for _, a in session.actions if isinstance(a, A.Contact)]
    assert asked == ["social_worker", "dsl", "business_manager"]
    assert session.status == "resolved" and session.resolved_at == "panel.convene"


def test_the_proxy_takes_the_step_after_their_reply_time_and_the_trainee_is_told():
    session = case()
    session.act(A.Escalate())  # to Stage 2, Mon 16 Nov 12:39 (ten minutes)
    session.act(A.Contact(role="dsl", channel="email"))
    asked = session.proxy_asked["leads.raise"]
    assert asked == datetime(2026, 11, 16, 12, 49)
    assert "leads.raise" not in session.engaged  # asked, not yet taken
    session.act(A.Wait(hours=48))
    told = [e for e in session.timeline if e.data.get("proxy")]
    assert [e.text for e in told] == [
        "The Designated safeguarding lead raises it with the Team manager on your behalf "
        "(Stage 2 – Safeguarding lead raises it)."]
    # The DSL's 4 working hours × 2 = 8 from Mon 12:49 (4h11 that day): Tue 17 Nov 12:49.
    assert told[0].at == datetime(2026, 11, 17, 12, 49)
    assert session.engaged["leads.raise"] == told[0].at
    # The team manager answers the DSL 4 working hours later: Tue 16:49.
    reply = next(e for e in session.timeline if e.kind == "reply" and e.actor == "team_manager")
    assert reply.at == datetime(2026, 11, 17, 16, 49)
    assert "unresolved at Stage 2" in reply.text


def proxied(factor: float) -> Session:
    """Escalated to Stage 2 and the DSL asked, with the team manager agreeing there."""
    data = load_policy(FIXTURE).model_dump()
    data["behaviour"]["reply_factor_by_role"] = {"dsl": factor}
    data["behaviour"]["resolve_chance"]["leads"] = 1.0
    session = Session.generate(Policy.model_validate(data), 1)
    session.act(A.Escalate())
    session.act(A.Contact(role="dsl", channel="email"))
    session.act(A.Wait(hours=24 * 14))
    return session


def test_the_proxys_delay_counts_against_the_stage_deadline():
    # Stage 1 concluded by the escalation, Mon 16 Nov 12:49, so Stage 2 ("3 working days
    # of Stage 1 ending", Day 1 the next working day) is due Thu 19 Nov 17:00.
    quick = proxied(2.0)  # 8 working hours: the DSL raises it Tue 12:49, agreed at 16:49
    assert quick.concluded["leads"] == datetime(2026, 11, 17, 16, 49)
    assert {v.item: v.state for v in deadline_views(quick)}["leads"] == "met"
    # 40 working hours from Mon 12:49: 4h11 that day, 32 Tue–Fri, 3h49 on Mon 23 Nov:
    # raised Mon 23 12:49, agreed 16:49 — after Thu 19 Nov 17:00, on the DSL's delay.
    slow = proxied(10.0)
    assert slow.concluded["leads"] == datetime(2026, 11, 23, 16, 49)
    assert {v.item: v.state for v in deadline_views(slow)}["leads"] == "breached"
    slow.act(A.Finish())
    [late] = [f for f in evaluate(slow).findings if f.rule == "PX2"]
    assert late.stage == "leads" and "Thu 19 Nov 2026 17:00" in late.expected


def test_going_to_the_counterpart_directly_is_the_wrong_route():
    session = case()
    session.act(A.Escalate())
    session.act(A.Contact(role="team_manager", channel="phone"))
    session.act(A.Wait(hours=48))
    session.act(A.Finish())
    [wrong] = [f for f in evaluate(session).findings if f.rule == "PX3"]
    assert "ask the Designated safeguarding lead" in wrong.expected
    assert "carries this step out on your behalf" in wrong.expected
    assert wrong.observed == "Contacted Team manager."


def test_the_proxy_themself_acts_as_at_any_step():
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["steps"][0]["representation"]["school"] = ["dsl"]  # seat the DSL
    policy = Policy.model_validate(data)
    session = Session.generate(policy, 1)
    assert session.scenario.seat.role == "dsl"
    assert session.proxy_for(1) is None and session.proxy_for(2) == "business_manager"
    session = play(session, "perfect")
    assert evaluate(session).score == 100
    asked = [a.role for _, a in session.actions if isinstance(a, A.Contact)]
    assert asked == ["social_worker", "team_manager", "business_manager"]


def test_a_proxy_of_the_other_agency_does_not_act_for_the_trainee():
    session = Session.generate(load_policy(FIXTURE), 2)  # seats the social worker
    assert session.scenario.seat.role == "social_worker"
    assert session.proxy_for(1) is None  # the school's DSL acts for the school
    assert session.proxy_for(2) == "business_manager"  # the partnership, for anyone


def test_walking_away_after_asking_the_proxy_is_not_the_walk_away_finding():
    session = case()
    session.act(A.Escalate())
    session.act(A.Contact(role="dsl", channel="email"))
    session.act(A.Finish())
    assert not [f for f in evaluate(session).findings
                if "before taking it up at this step" in f.observed]


def test_check_refuses_an_unknown_proxy_with_file_and_line(tmp_path, capsys):
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "carried_out_by: dsl", "carried_out_by: school")  # an agency, not a role
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "carried_out_by: school"
                in row)
    assert main(["check", "--no-lint", str(bad)]) == 1
    err = capsys.readouterr()
    out = err.out + err.err
    assert f"{bad}:{line}:" in out and "stages[1].steps[0].carried_out_by" in out


def test_check_refuses_a_step_deadline_that_repeats_its_stage(tmp_path, capsys):
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "        rules: [PX3]\n",
        "        deadline: {within: 2, unit: working_days, text: again}\n"
        "        rules: [PX3]\n")
    bad = tmp_path / "twice.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "text: again" in row)
    assert main(["check", "--no-lint", str(bad)]) == 1
    err = capsys.readouterr()
    out = err.out + err.err
    assert f"{bad}:{line}:" in out and "stages[0].steps[0].deadline" in out
    assert "repeats its stage's" in out


def test_the_engines_add_the_proxys_turnaround():
    model = compile_model(load_policy(FIXTURE))
    steps = {s.id: s for s in model.steps}
    agencies = model.agencies
    leads = dict(zip(agencies, steps["leads.raise"].factor, strict=True))
    # Against the social worker's agency the school's DSL (factor 2) adds to the team
    # manager's 1; against the school, the DSL is the counterpart itself (2) and, being
    # the other side's, adds nothing more.
    assert leads["social_care"] == 3.0 and leads["school"] == 2.0
    assert steps["talk.practitioners"].factor == [1.0] * len(agencies)


def test_stress_runs_on_the_fixture(capsys):
    assert main(["stress", str(FIXTURE), "--cases", "400", "--engine", "fast"]) == 0
    assert "Stage 2" in capsys.readouterr().out


def test_asking_a_later_stages_proxy_first_is_a_skip():
    session = case()
    session.act(A.Contact(role="business_manager", channel="email"))  # at Stage 1
    assert session.step.id == "panel.convene"
    session.act(A.Wait(hours=48))
    session.act(A.Finish())
    findings = evaluate(session).findings
    [skip] = [f for f in findings if f.rule == "PX4"]
    assert "skipping Stage 2 – Safeguarding lead raises it" in skip.observed
    assert not [f for f in findings if f.rule == "PX3"]  # the right one to ask there
