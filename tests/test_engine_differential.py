"""One authority for what a deadline means: the deadline bar, the debrief and the stress
engines reach the same verdict on every dated duty (`sim.verdicts`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from three_ways import three_ways

from scenarios.loader import bundled_scenarios, get_policy, load_policy
from scoring import evaluate
from sim.players import play
from sim.race_model import RunParams, compile_model, prepare, raw_draws
from sim.session import Session
from sim.verdicts import (
    BREACHED,
    MET,
    MOOT,
    OPEN,
    PENDING,
    VERDICTS,
    dated_items,
    verdict,
    verdict_codes,
)

DEADLINE_JUDGES = ("stage_deadline", "discussion", "consider_meeting")


def test_verdict_rules_in_order():
    assert verdict(None, None, None, None, 10) == PENDING  # anchor not reached
    assert verdict(5, 5, None, None, 10) == MET  # done at the due minute
    assert verdict(5, 4, 3, 5, 10) == MET  # done before closing or risk
    assert verdict(5, 4, None, 4, 10) == MOOT  # done by the referral that a risk forced
    assert verdict(5, 6, 5, None, 10) == MOOT  # closed by the due minute
    assert verdict(5, None, None, 5, 10) == MOOT  # immediate risk known by then
    assert verdict(5, None, 6, 6, 4) == OPEN  # not yet due
    assert verdict(5, 6, 7, None, 10) == BREACHED  # concluded late
    assert verdict(5, None, None, None, 10, in_reach=False) == PENDING  # not reached


def test_vectorised_verdicts_equal_the_scalar_rules():
    """The engines' array form of the rules gives the same verdict as the scalar one."""
    rng = np.random.default_rng(3)
    n = 4000
    cols = [np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 8, n).astype(float))
            for _ in range(4)]
    now = rng.integers(0, 8, n).astype(float)
    reach = rng.random(n) < 0.8
    codes = verdict_codes(*cols, now, reach)
    assert set(codes) == set(range(len(VERDICTS)))  # every verdict occurs
    for i in range(n):
        due, done, closed, risk = (None if np.isnan(c[i]) else c[i] for c in cols)
        assert VERDICTS[codes[i]] == verdict(due, done, closed, risk, now[i], reach[i]), i


def _judged_items(session: Session) -> dict[str, set[str]]:
    """Dated items the debrief judges: those listing a rule a deadline-judging duty cites."""
    rules = {d.rule for d in session.policy.duties if d.judge in DEADLINE_JUDGES}
    items: dict[str, set[str]] = {}
    for stage, step in session.ladder:
        items[step.id] = rules & set(step.rules)
        items[stage.id] = rules & set(stage.rules)
    return items


@pytest.mark.parametrize("player", ["perfect", "late"])
@pytest.mark.parametrize("scenario_id", sorted(bundled_scenarios()))
def test_the_deadline_bar_says_what_the_debrief_says(scenario_id, player):
    """At the end of the exercise, a deadline the bar shows missed is a finding in the
    debrief at that due time, and every deadline finding is shown missed on the bar."""
    session = play(Session.from_scenario(scenario_id, seed=1), player)
    judged = _judged_items(session)
    rules = {r for rs in judged.values() for r in rs}
    bar = {(v.stage, v.due) for v in session.observe().deadlines
           if v.state == BREACHED and judged[v.item]}
    debrief = {(f.stage, f.at) for f in evaluate(session).findings
               if f.rule in rules and f.theme == "timeliness"}
    assert bar == debrief
    states = {v.state for v in session.observe().deadlines}
    assert states <= {MET, BREACHED, OPEN, MOOT, PENDING}


@pytest.mark.parametrize("player", ["perfect", "late", "passive"])
@pytest.mark.parametrize("path", sorted(Path("tests/fixtures/policies").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_the_bar_says_what_the_debrief_says_on_every_fixture_policy(path, player):
    """The same, item by item, on generated cases of every from-scratch policy: a dated
    step or stage the bar shows missed is a finding on that item, and the reverse; what is
    due beside the ladder and shown missed at the end is a finding on it too."""
    policy = load_policy(path)
    missed: set[str] = set()
    for seed in range(6):
        session = play(Session.generate(policy, seed), player)
        judged = _judged_items(session)
        findings = [*evaluate(session).findings, *evaluate(session).notes]
        bar = {v.item for v in session.observe().deadlines
               if v.state in (BREACHED, "guide") and judged[v.item]}
        ladder = set(judged)
        debrief = {f.item for f in findings if f.item in ladder and f.theme == "timeliness"}
        assert bar == debrief, (seed, bar, debrief)
        also = {v.item for v in session.observe().also_due if v.state in (BREACHED, "guide")}
        assert also <= {f.item for f in findings}, (seed, also)
        missed |= bar
    assert missed or player != "passive"  # the passive player misses something everywhere


# ---------------------------------------------------------------- Session vs engines

CASES = 200
OUTCOME = {"resolved": 0, "referred": 1, "open": 2}
# Share of cases whose path (outcome, stage resolved at, highest stage reached) differs
# between the Session and the engines: the Session's player spends time the engines do not
# model (records, a professionals-meeting decision, notifications: docs/stress.md), so a
# reply can land before it escalates in the Session and after in the engines. The late
# player escalates at once once a deadline has passed, which makes that window matter more.
PATH_DIVERGENCE = {"perfect": 0.06, "late": 0.45}


FIXTURES = ["tests/fixtures/policies/advisory-outcome.yaml",
            "tests/fixtures/policies/conference-dissent.yaml",
            "tests/fixtures/policies/auto-escalation.yaml",
            "docs/examples/riverside-partnership.yaml",
            "tests/fixtures/policies/proxy-stage.yaml"]


def _policy(name: str):
    return load_policy(name) if name.endswith(".yaml") else get_policy(name)


def _three_ways(policy_id: str, player: str):
    """Every case of a chunk played by the Session (on the engines' draws), the SimPy race
    and the numpy engine (`tests/three_ways.py`), one verdict per dated ladder item."""
    for p in three_ways(_policy(policy_id), player, CASES, seed=7):
        yield p.case, p.session, p.mine, p.simpy, p.numpy, p.slow, p.model


@pytest.mark.parametrize("policy_id", ["liverpool-lscb", "bs3-early-years", *FIXTURES])
def test_passive_player_same_verdict_on_every_dated_item_three_ways(policy_id):
    seen = set()
    for i, _session, mine, simpy_, numpy_, _slow, model in _three_ways(policy_id, "passive"):
        assert mine == simpy_ == numpy_, (i, [it.id for it in model.items], mine, simpy_)
        seen |= set(mine)
    assert BREACHED in seen


def test_every_dated_item_has_an_engine_verdict():
    """Steps inside a stage too, not only stage deadlines: Liverpool's Stage 1 has its own
    deadline and dated steps."""
    model = compile_model(get_policy("liverpool-lscb"), "perfect")
    items = [item.id for item in model.items]
    assert items == [item for item, *_ in dated_items(get_policy("liverpool-lscb").steps())]
    assert len(items) > len(model.stages)


@pytest.mark.parametrize("player", ["perfect", "late"])
@pytest.mark.parametrize("policy_id", ["liverpool-lscb", "bs3-early-years", *FIXTURES])
def test_session_and_engines_agree_case_by_case_where_their_paths_agree(policy_id, player):
    """The two engines agree on every case; the Session agrees with them on the verdict on
    every dated step and stage of every case that took the same path (outcome, the step it
    was resolved at, the step it ended at), and paths part in few cases."""
    parted = []
    for i, session, mine, simpy_, numpy_, slow, model in _three_ways(policy_id, player):
        assert simpy_ == numpy_, i
        resolved = next((k for k, s in enumerate(model.steps) if s.id == session.resolved_at),
                        -1)
        path = (OUTCOME[session.status], resolved, session.step_index)
        engine = (slow.outcome[i], slow.at_step[i] if slow.outcome[i] == 0 else -1,
                  slow.at_step[i])
        if path != engine:
            parted.append(i)
            continue
        assert mine == simpy_, (i, [it.id for it in model.items], mine, simpy_)
    assert len(parted) <= PATH_DIVERGENCE[player] * CASES, parted


def _drawn_sessions(policy_id: str, player: str, cases: int = CASES):
    policy = get_policy(policy_id)
    model = compile_model(policy, player, RunParams(cases_per_year=0))
    u, z = raw_draws(7, 0, model.n_steps)
    draws = prepare(model, u, z, cases)
    for i in range(cases):
        yield i, play(Session.from_draws(policy, draws.case(model, i)), player)


def test_the_late_player_never_escalates_while_a_child_at_risk_waits_for_referral():
    """The late player waits out a deadline before escalating; a risk that arises during
    that wait is referred first, never followed by an escalation (found on the engines'
    draws: BS3 case 124 escalated to Stage 2 an hour after the risk)."""
    seen = 0
    for i, session in [*_drawn_sessions("bs3-early-years", "late"),
                       *_drawn_sessions("liverpool-lscb", "late")]:
        if session.risk_known_at is None:
            continue
        seen += 1
        done = session.route_done_at()
        escalations = [e.at for e in session.timeline
                       if e.kind == "stage" and e.at >= session.risk_known_at
                       and (done is None or e.at < done)]
        assert not escalations, i
    assert seen >= 5


def test_resolving_at_a_stage_concludes_it():
    """Resolved at Liverpool's first step (the stage has two), Stage 1 is concluded then:
    its deadline is met, as the engines count it, not moot."""
    found = 0
    for _i, session in _drawn_sessions("liverpool-lscb", "perfect", 40):
        if session.resolved_at != "stage1.attempt":
            continue
        found += 1
        assert session.concluded["stage1"] == session.closed_at()
        states = {v.item: v.state for v in session.observe().deadlines}
        assert states["stage1"] == MET
    assert found >= 10
