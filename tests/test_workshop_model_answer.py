"""A workshop trainee's "what good looked like" meets the facilitator's injects.

The model answer is the perfect player on the trainee's case and seed; in a workshop the
facilitator's injects are part of that case, so each lands in the model answer at the
simulated time it reached the trainee. An injected immediate risk is then answered by the
emergency route at once, never by carrying on up the ladder to Stage 2.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring import evaluate
from scoring.debrief import debrief_markdown, what_good_looked_like
from sim import actions as A
from sim.players import perfect, play
from sim.session import Session
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import Store

SCENARIO = "front-door-early-help-health-visitor"
BRUISE = "The child arrives with a new bruise on the cheek and says 'I fell'"


@pytest.fixture
def workshop(tmp_path):
    store = Store(tmp_path / "w.sqlite3")
    made = create(store, SCENARIO, "Model answers", seed=5)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    return store, made, facilitator


def _after_inject(good: Session, text: str) -> tuple[int, list[A.Action]]:
    """Where the inject sits in the model answer's actions, and what the model did next."""
    kinds = [(i, a) for i, (_, a) in enumerate(good.actions)
             if isinstance(a, A.Inject) and a.text == text]
    assert len(kinds) == 1, "the inject lands in the model answer exactly once"
    index = kinds[0][0]
    return index, [a for _, a in good.actions[index + 1:]]


def test_an_injected_immediate_risk_sends_the_model_answer_down_the_emergency_route(workshop):
    store, made, facilitator = workshop
    trainee = WorkshopParticipant.join(store, made.code, "Asha")
    first = perfect(trainee.session)
    for _ in range(3):  # on the case, still at Stage 1
        trainee.act(next(first))
    facilitator.inject(BRUISE, immediate_risk=True)
    trainee.act(A.Wait(hours=1))  # the inject lands before this action
    landed = next(at for at, a in trainee.session.actions if isinstance(a, A.Inject))

    good = what_good_looked_like(trainee.session)
    index, after = _after_inject(good, BRUISE)
    assert good.actions[index][0] == landed, "at the time it reached the trainee"
    route = set(good.expected_referrals(landed))
    assert route and isinstance(after[0], A.Refer) and after[0].role in route
    assert not any(isinstance(a, A.Escalate | A.Contact) for a in after)
    assert good.stage.number == 1 and good.status == "referred"
    assessment = evaluate(good)
    assert not [f for f in assessment.findings if f.severity == "critical"]
    assert BRUISE in debrief_markdown(trainee.session).split("What good looked like")[-1]


def test_without_the_inject_the_same_model_answer_carries_on_up_the_ladder():
    """The contrast the inject makes: the plain model answer on this seed reaches Stage 2."""
    plain = what_good_looked_like(Session.from_scenario(SCENARIO, 5))
    assert any(isinstance(a, A.Escalate) for _, a in plain.actions)
    assert plain.stage.number == 2 and not plain.immediate_risk


def test_an_inject_after_the_model_would_have_finished_is_still_met(workshop):
    """A slow trainee meets the inject days after the model answer resolved the case: the
    model answer waits for it and then takes the emergency route."""
    store, made, facilitator = workshop
    trainee = WorkshopParticipant.join(store, made.code, "Ben")
    trainee.act(A.Wait(until=trainee.session.start + timedelta(days=20)))
    facilitator.inject(BRUISE, immediate_risk=True)
    facilitator.inject("A parent phones, angry that people are talking about the family")
    trainee.act(A.Finish())

    good = what_good_looked_like(trainee.session)
    index, after = _after_inject(good, BRUISE)
    assert good.actions[index][0] >= trainee.session.start + timedelta(days=20)
    assert isinstance(after[0], A.Inject)  # the second inject, at the same moment
    assert any(isinstance(a, A.Refer) for a in after)
    assert isinstance(after[-1], A.Finish)
    assert not [f for f in evaluate(good).findings if f.severity == "critical"]


def test_a_wait_is_cut_short_at_the_inject_and_nothing_else_changes():
    """A non-risk inject is on the timeline at its time; the decisions are the plain ones."""
    plain = play(Session.from_scenario(SCENARIO, 5), "perfect")
    at = plain.start + timedelta(hours=3)
    news = A.Inject(text="A colleague says the family missed two appointments")
    with_news = play(Session.from_scenario(SCENARIO, 5), "perfect", [(at, news)])
    landed = [t for t, a in with_news.actions if a == news]
    assert landed == [at]
    decisions = [a for _, a in with_news.actions if not isinstance(a, A.Inject | A.Wait)]
    assert decisions == [a for _, a in plain.actions if not isinstance(a, A.Wait)]
    assert evaluate(with_news).score == evaluate(plain).score
