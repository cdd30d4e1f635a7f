"""The interactive Session: reproducibility, save/restore, conservation, extremes, hours."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from scenarios.loader import get_policy
from scenarios.scenario_schema import Child, Objective, Scenario, Seat
from sim import actions as A
from sim.players import PLAYERS, play
from sim.session import Session, SessionError

POLICY = "liverpool-lscb"


def make_scenario(**overrides) -> Scenario:
    """A DSL at school disagreeing with a social worker; anything can be overridden."""
    base = dict(
        id="test-case", version=1, title="Test case", policy=POLICY,
        seat=Seat(agency="school", role="school.dsl"),
        other=Seat(agency="childrens_services", role="cs.social_worker"),
        audience=["induction"], difficulty="introductory", minutes=10,
        objectives=[Objective(text="Talk first", rules=["L2"])],
        briefing="b", worry="w", start=datetime(2025, 12, 19, 10, 0),
        child=Child(first_name="Ruby", last_name="Penrose", age_years=7, pronoun="she"),
        level_of_need="s17", category="decision_making",
    )
    base.update(overrides)
    return Scenario(**base)


def timeline(session: Session) -> list[dict]:
    return [e.to_dict() for e in session.timeline]


@pytest.mark.parametrize("player", sorted(PLAYERS))
def test_same_seed_gives_identical_timeline(player):
    first = play(Session.generate(POLICY, seed=11), player)
    second = play(Session.generate(POLICY, seed=11), player)
    assert timeline(first) == timeline(second)
    assert len(first.timeline) > 2


def test_different_seeds_give_different_worlds():
    worlds = {json.dumps(timeline(play(Session.generate(POLICY, seed=s), "perfect")))
              for s in range(6)}
    assert len(worlds) > 1


def test_save_and_restore_mid_case_continues_identically():
    reference = play(Session.generate(POLICY, seed=5), "perfect")
    actions = [a for _, a in reference.actions]
    assert len(actions) >= 4
    half = len(actions) // 2
    partial = Session.generate(POLICY, seed=5)
    for action in actions[:half]:
        partial.act(action)
    saved = json.loads(json.dumps(partial.to_dict()))
    restored = Session.from_dict(saved)
    assert timeline(restored) == timeline(partial)
    for action in actions[half:]:
        restored.act(action)
    assert timeline(restored) == timeline(reference)


@pytest.mark.parametrize("player", ["perfect", "passive", "late", "skipper"])
def test_every_case_ends_exactly_once(player):
    """Each case ends in exactly one way, and the timeline agrees with the status."""
    outcomes = set()
    for seed in range(25):
        session = play(Session.generate(POLICY, seed=seed), player)
        kinds = [e.kind for e in session.timeline]
        assert kinds.count("finished") == 1 and kinds[-1] == "finished"
        assert kinds.count("resolved") == (1 if session.status == "resolved" else 0)
        if session.status == "referred":
            referred = {e.data["role"] for e in session.timeline if e.kind == "referred"}
            assert set(session.expected_referrals(session.risk_known_at)) <= referred
        assert session.status in ("resolved", "referred", "open")
        assert (session.resolved_at is not None) == (session.status == "resolved")
        outcomes.add(session.status)
    if player == "perfect":
        assert "resolved" in outcomes


def test_zero_delay_certain_agreement_resolves_at_stage_one():
    scenario = make_scenario(behaviour={
        "reply_hours": {"dist": "fixed", "median": 0},
        "resolve_chance": {"stage1": 1.0}, "risk_per_working_day": 0, "absence_chance": 0,
    })
    for seed in range(10):
        session = play(Session(scenario, seed), "perfect")
        assert session.resolved_at == "stage1.attempt"


def test_replies_that_never_come_reach_the_last_stage_which_taking_up_meets():
    """Nothing lies above the last stage: taking it up meets its deadline, so the Session
    does not tell the trainee it passed — the same reading as the debrief and the bar
    (issue #13: the bar said "missed" where the debrief had no finding)."""
    from scoring import evaluate

    scenario = make_scenario(behaviour={
        "reply_hours": {"dist": "never"}, "meeting_hours": {"dist": "never"},
        "phone_answer_chance": 0.0, "risk_per_working_day": 0,
    })
    session = play(Session(scenario, seed=3), "perfect")
    assert session.stage.id == "stage4"
    assert session.resolved_at is None
    assert "stage4.chair" in session.engaged
    told = {e.data["item"] for e in session.timeline if e.kind == "deadline"}
    assert not told & {"stage4", "stage4.chair"}
    assert not [f for f in evaluate(session).findings if f.stage == "stage4"]


def test_out_of_hours_office_role_does_not_answer_but_edt_and_police_do():
    friday_evening = make_scenario(start=datetime(2025, 12, 19, 18, 30),
                                   behaviour={"risk_per_working_day": 0})
    session = Session(friday_evening, seed=1)
    events = session.act(A.Contact(role="cs.social_worker", channel="phone"))
    assert any(e.kind == "no_answer" for e in events)
    session.act(A.Wait(hours=2, stop_at_event=True))
    replies = [e for e in session.timeline if e.kind == "reply"]
    assert not replies, "an office-hours role must not reply on a Friday night"
    session.act(A.Wait())
    first_reply = next(e for e in session.timeline if e.kind == "reply")
    assert session.cal.is_office_hours(first_reply.at)
    assert first_reply.at >= datetime(2025, 12, 22, 9, 0)
    fresh = Session(friday_evening, seed=1)
    edt = fresh.act(A.Refer(role="cs.edt"))
    police = fresh.act(A.Refer(role="police.emergency"))
    assert any(e.kind == "referred" and e.data["answered"] for e in edt)
    assert any(e.kind == "referred" and e.data["answered"] for e in police)
    closed = fresh.act(A.Refer(role="cs.front_door"))
    assert any(e.kind == "no_answer" for e in closed)


def test_in_hours_edt_does_not_operate():
    session = Session(make_scenario(start=datetime(2025, 12, 17, 11, 0)), seed=1)
    events = session.act(A.Refer(role="cs.edt"))
    assert any(e.kind == "no_answer" for e in events)


def test_immediate_risk_then_right_referrals_close_the_dispute():
    scenario = make_scenario(immediate_risk_at_start=True, start=datetime(2025, 12, 17, 11))
    session = play(Session(scenario, seed=2), "perfect")
    roles = {e.data.get("role") for e in session.timeline if e.kind == "referred"}
    # Liverpool's clause names "established safeguarding procedures", not the police: the
    # front door is the duty unless the facts state a crime or an emergency.
    assert roles == {"cs.front_door"}
    police = make_scenario(immediate_risk_at_start=True, police_matter=True,
                           start=datetime(2025, 12, 17, 11))
    session = play(Session(police, seed=2), "perfect")
    roles = {e.data.get("role") for e in session.timeline if e.kind == "referred"}
    assert roles == {"cs.front_door", "police.emergency"}
    assert any(e.kind == "finished" for e in session.timeline)


def test_each_action_costs_time_and_returns_its_events():
    session = Session(make_scenario(behaviour={"risk_per_working_day": 0}), seed=1)
    before = session.now
    events = session.act(A.Record(record="case_file", text="note"))
    assert session.now > before
    assert events[0].kind == "action"
    assert session.records[0]["record"] == "case_file"


def test_bad_actions_are_refused_with_a_reason():
    session = Session(make_scenario(), seed=1)
    with pytest.raises(SessionError, match="unknown role"):
        session.act(A.Contact(role="nobody"))
    with pytest.raises(SessionError, match="own role"):
        session.act(A.Contact(role="school.dsl"))
    with pytest.raises(SessionError, match="unknown record"):
        session.act(A.Record(record="diary"))
    session.act(A.Finish())
    with pytest.raises(SessionError, match="finished"):
        session.act(A.Wait())


def test_observe_shows_clock_case_deadlines_and_options():
    session = Session(make_scenario(start=datetime(2025, 12, 19, 16, 40)), seed=1)
    obs = session.observe()
    assert obs.now == datetime(2025, 12, 19, 16, 40)
    assert obs.office_hours
    assert obs.facts["Child"].startswith("Ruby Penrose")
    dues = {v.item: v.due for v in obs.deadlines}
    # Day 9 counting Friday 19 Dec 2025 as Day 1 is Monday 5 Jan 2026 (hand-checked).
    assert dues["stage2"] == datetime(2026, 1, 5, 17, 0)
    # Day 2 (Mon 22 Dec) is written once, on Stage 1: the bar shows it once.
    assert dues["stage1"] == datetime(2025, 12, 22, 17, 0)
    assert "stage1.line_manager" not in dues
    groups = {o.group for o in obs.options}
    assert {"contact", "refer", "escalate", "record", "time", "finish"} <= groups


def test_skipping_records_the_skipped_steps():
    session = Session(make_scenario(behaviour={"risk_per_working_day": 0}), seed=1)
    events = session.act(A.Escalate(to_step="stage3.lscb"))
    stage_event = next(e for e in events if e.kind == "stage")
    assert stage_event.data["skipped"] == ["stage1.line_manager", "stage2.representative"]


def test_policy_ids_used_here_exist():
    policy = get_policy(POLICY)
    assert {"school.dsl", "cs.social_worker", "cs.edt", "cs.front_door"} <= policy.role_ids()


def test_referrals_straddling_office_close_still_take_the_route():
    """Front door just before 17:00, police just after: both right for their moment."""
    scenario = make_scenario(immediate_risk_at_start=True, start=datetime(2025, 12, 17, 16, 30))
    session = Session(scenario, seed=1)
    session.act(A.Refer(role="cs.front_door"))
    session.act(A.Wait(until=datetime(2025, 12, 17, 17, 5)))
    session.act(A.Refer(role="police.emergency"))
    assert session.status == "referred"


def _gp_records(**fixed) -> Scenario:
    from scenarios.loader import get_scenario

    scenario = get_scenario("gp-records-social-worker")
    return scenario.model_copy(update={
        "start": datetime(2026, 2, 9, 10, 0),  # Monday
        "fixed": scenario.fixed.model_copy(update=fixed)})


def test_a_manager_passing_the_concern_on_answers_in_working_time():
    """E-mailed Mon 10:10, the team manager replies after 6 working hours (Mon 16:10), then
    takes it up with the health counterpart, whose 6 working hours run from then: Tue 14:10
    (adding the two delays as calendar time would have landed at 22:10, at night)."""
    probe = Session(_gp_records(), 1)
    counterpart = probe.ladder[1][1].roles_for("health")[0]
    session = Session(_gp_records(reply_hours={"cs.team_manager": 6.0, counterpart: 6.0},
                                  agree_at="never"), 1)
    session.act(A.Escalate())
    session.act(A.Contact(role="cs.team_manager", channel="email"))
    while not any(e.kind == "reply" for e in session.timeline):
        session.act(A.Wait(stop_at_event=True))
    reply = next(e for e in session.timeline if e.kind == "reply")
    assert reply.at == datetime(2026, 2, 10, 14, 10)
    assert "taking it up with the other agency for you" in reply.text


def test_a_late_yes_to_an_earlier_step_resolves_where_the_case_now_stands():
    """Escalating before the GP replies, then hearing yes from the GP, ends the dispute at
    the step already entered, not back at the first one."""
    session = Session(_gp_records(reply_hours={"health.frontline": 4.0}, agree_at="stage1"), 1)
    session.act(A.Contact(role="health.frontline", channel="email"))
    session.act(A.Escalate())
    session.act(A.Wait(stop_at_event=True))
    while session.status == "open":
        session.act(A.Wait(stop_at_event=True))
    assert session.status == "resolved"
    assert session.resolved_at == session.ladder[1][1].id


def test_messages_name_people_as_the_scenario_does():
    session = Session(_gp_records(), 1)
    events = session.act(A.Contact(role="health.frontline", channel="phone"))
    assert events[0].text == "You phone GP."
    assert "the other professional is GP" in session.timeline[0].text


def test_passed_deadlines_stay_within_one_step_of_the_case():
    """A passive trainee hears of the deadlines scoring judges (this step and the next), not
    of every stage above; moving up reveals the next one that has already passed."""
    session = play(Session(_gp_records(agree_at="never"), 1), "passive")
    told = {e.data["item"] for e in session.timeline if e.kind == "deadline"}
    near = {session.ladder[0][1].id, session.ladder[1][1].id, session.ladder[0][0].id,
            session.ladder[1][0].id}
    assert told and told <= near
    session = Session(_gp_records(agree_at="never"), 1)
    session.act(A.Wait(until=datetime(2026, 4, 1, 10, 0)))
    before = {e.data["item"] for e in session.timeline if e.kind == "deadline"}
    session.act(A.Escalate())
    after = {e.data["item"] for e in session.timeline if e.kind == "deadline"}
    assert session.ladder[2][1].id in after - before or session.ladder[2][0].id in after - before


def test_an_answered_call_is_heard_when_it_ends():
    """A call picked up is a 15-minute conversation: its outcome comes back with the call,
    not after the trainee's next move; an unanswered one leaves a message instead."""
    answered = 0
    for seed in range(1, 13):
        session = Session(_gp_records(), seed)
        events = session.act(A.Contact(role="health.frontline", channel="phone"))
        kinds = [e.kind for e in events]
        if "no_answer" in kinds:
            assert "reply" not in kinds
            continue
        answered += 1
        reply = next(e for e in events if e.kind == "reply")
        assert reply.at == datetime(2026, 2, 9, 10, 15) == session.now
    assert 0 < answered < 12
