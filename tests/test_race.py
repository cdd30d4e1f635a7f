"""The SimPy stage race: conservation, extreme values, an analytic check, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenarios.loader import get_policy
from scenarios.policy_schema import Policy
from sim.metrics import wilson
from sim.montecarlo import run_stress, run_task
from sim.race import EMERGENCY, OPEN, RESOLVED, run_chunk
from sim.race_model import CHUNK, RunParams, compile_model, prepare, raw_draws
from sim.whatif import Variant, build_variants

LIVERPOOL = get_policy("liverpool-lscb")
Z99 = 2.5758293035489


def _with(policy: Policy, behaviour: dict | None = None, **changes) -> Policy:
    data = policy.model_dump()
    data["behaviour"].update(behaviour or {})
    data.update(changes)
    return Policy.model_validate(data)


def _play(policy: Policy, player: str = "perfect", seed: int = 1, n: int = CHUNK,
          run: RunParams | None = None):
    model = compile_model(policy, player, run)
    u, z = raw_draws(seed, 0, model.n_steps)
    return model, run_chunk(model, prepare(model, u, z, n))


@pytest.mark.parametrize("player", ["perfect", "late", "passive"])
def test_every_case_ends_exactly_once(player):
    model, result = _play(LIVERPOOL, player)
    assert set(np.unique(result.outcome)) <= {RESOLVED, EMERGENCY, OPEN}
    counts = np.bincount(result.outcome, minlength=3)
    assert counts.sum() == result.n == CHUNK
    resolved = result.outcome == RESOLVED
    assert np.array_equal(resolved, result.stage >= 0)
    assert np.array_equal(resolved, ~np.isnan(result.days))
    assert not result.by_final[~resolved].any()
    assert (result.stage[resolved] <= result.reached[resolved]).all()
    if player != "passive":
        assert np.array_equal(result.outcome == EMERGENCY, ~np.isnan(result.risk_wait))
        assert counts[EMERGENCY] > 0
    # contacts are conserved too: every case contacts the first step's counterpart once,
    # except under the passive player, who raises it with no one (as sim.players.passive)
    first = {model.steps[0].counterpart[a] for a in range(len(model.agencies))}
    if player == "passive":
        assert not result.contacts.any() and not resolved.any()
    else:
        assert sum(result.contacts[r] for r in first) >= result.n


def test_instant_replies_and_certain_agreement_resolve_everything_at_stage_1():
    policy = _with(LIVERPOOL, {
        "reply_hours": {"dist": "fixed", "median": 0.0},
        "resolve_chance": {"stage1": 1.0, "stage2": 1.0, "stage3": 1.0, "stage4": 1.0},
        "risk_per_working_day": 0.0, "absence_chance": 0.0})
    _, result = _play(policy, n=600)
    assert (result.outcome == RESOLVED).all()
    assert (result.stage == 0).all()
    assert not result.breach.any()
    assert result.by_final.all()
    assert np.nanmax(result.days) < 1.0


@pytest.mark.parametrize("player", ["perfect", "late"])
def test_replies_that_never_come_reach_the_last_stage_and_breach_it(player):
    policy = _with(LIVERPOOL, {
        "reply_hours": {"dist": "never"}, "meeting_hours": {"dist": "never"},
        "phone_answer_chance": 0.0, "risk_per_working_day": 0.0})
    model, result = _play(policy, player, n=600)
    last = len(model.stages) - 1
    assert (result.outcome == OPEN).all()
    assert (result.reached == last).all()
    assert result.breach[:, last].all(), "Day 23 passes with the case still open"
    if player == "perfect":
        assert not result.breach[:, :last].any(), "perfect escalates before each deadline"
    else:
        assert result.breach[:, 0].all(), "late escalates only after each deadline"


def _one_step_policy(mean_hours: float, deadline_hours: float) -> Policy:
    """Liverpool cut down to one step whose deadline is d working hours after the start."""
    data = LIVERPOOL.model_dump()
    stage = data["stages"][0]
    deadline = {"within": deadline_hours, "unit": "working_hours", "after": "start"}
    stage["deadline"] = deadline
    stage["steps"] = [dict(stage["steps"][0], deadline=deadline)]
    data["stages"] = [stage]
    data["notifications"] = []
    for role in data["roles"]:
        role["capacity"] = CHUNK  # desks exist but never queue
    data["behaviour"].update({
        "reply_hours": {"dist": "exponential", "mean": mean_hours},
        "resolve_chance": {"stage1": 1.0}, "phone_answer_chance": 0.0,
        "absence_chance": 0.0, "risk_per_working_day": 0.0})
    return Policy.model_validate(data)


def test_breach_fraction_matches_exp_minus_d_over_m():
    mean, deadline = 8.0, 12.0
    policy = _one_step_policy(mean, deadline)
    model = compile_model(policy, "perfect")
    results = run_task([model], seed=11, task=[(c, CHUNK) for c in range(6)],
                       engine="simpy")[0]
    n = results.n
    breaches = int(results.breach[:, 0].sum())
    _, low, high = wilson(breaches, n, z=Z99)
    expected = math.exp(-deadline / mean)
    assert low <= expected <= high, (breaches / n, expected)
    # time to resolution is the reply itself: mean m working hours = m/8 working days
    days = results.days.astype(np.float64)
    half = Z99 * days.std(ddof=1) / math.sqrt(n)
    assert abs(days.mean() - mean / 8) < half


def test_same_seed_gives_identical_results_and_another_seed_does_not():
    variants = build_variants(LIVERPOOL, [], None, None)
    first = run_stress(variants, 3000, seed=5)
    again = run_stress(variants, 3000, seed=5)
    other = run_stress(variants, 3000, seed=6)
    assert [m.to_dict() for m in first.metrics] == [m.to_dict() for m in again.metrics]
    assert np.array_equal(first.results[0].days, again.results[0].days, equal_nan=True)
    assert [m.to_dict() for m in first.metrics] != [m.to_dict() for m in other.metrics]


def test_case_draws_do_not_depend_on_how_many_cases_run():
    model = compile_model(LIVERPOOL)
    u, z = raw_draws(3, 0, model.n_steps)
    few = prepare(model, u, z, 100)
    many = prepare(model, u, z, CHUNK)
    assert np.array_equal(few.start, many.start[:100])
    assert np.array_equal(few.work, many.work[:100])


def test_queues_at_short_staffed_desks_slow_replies():
    """With every case in one partnership year, desks of capacity 1 make cases wait."""
    busy = RunParams(cases_per_year=CHUNK)
    model_free, free = _play(LIVERPOOL, run=RunParams(cases_per_year=0))
    _, queued = _play(LIVERPOOL, run=busy)
    assert np.nanmean(queued.days) > np.nanmean(free.days)
    data = LIVERPOOL.model_dump()
    for role in data["roles"]:
        role["capacity"] = 50
    _, staffed = _play(Policy.model_validate(data), run=busy)
    assert np.nanmean(staffed.days) < np.nanmean(queued.days)
    assert model_free.run.cases_per_year == 0


def test_immediate_risk_waits_depend_on_the_player():
    risky = _with(LIVERPOOL, {"risk_per_working_day": 0.2})
    _, perfect = _play(risky, "perfect", n=1200)
    _, late = _play(risky, "late", n=1200)
    waits_p = perfect.risk_wait[~np.isnan(perfect.risk_wait)]
    waits_l = late.risk_wait[~np.isnan(late.risk_wait)]
    assert waits_p.size > 100 and waits_l.size > 100
    assert waits_p.max() < 0.1, "perfect refers at once: two 20-minute referrals"
    assert not perfect.risk_late.any()
    assert waits_l.mean() > 5 * waits_p.mean()
    assert late.risk_late[~np.isnan(late.risk_wait)].all()


def test_variant_labels_and_common_random_numbers():
    variants = build_variants(LIVERPOOL, [], "behaviour.reply_hours.median=8:16:8", None)
    assert [v.label for v in variants] == ["behaviour.reply_hours.median=8",
                                           "behaviour.reply_hours.median=16"]
    assert all(isinstance(v, Variant) for v in variants)
    run = run_stress(variants, 1200, seed=2)
    # same cases in both variants: starts and categories identical, replies scaled
    assert run.results[0].n == run.results[1].n == 1200
